package nimbus.storage;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import nimbus.cluster.CborSerializable;
import nimbus.cluster.Entities;
import nimbus.cluster.Rejection;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * One project's uploads held against its image quota (Glance's {@code image_size_total} and
 * {@code image_count_uploading}), keyed by the project id. The bytes of stored images come from
 * the read side with each request; what the read side cannot know yet, the uploads running now
 * and those that just finished, is held here. Every upload asks first, one at a time, so
 * concurrent uploads cannot together pass the limit.
 *
 * <p>A hold ends when its upload is released, when the read side counts the stored image, or at
 * its deadline: a node that dies mid-upload leaves nothing held for ever.
 */
public final class ImageQuotaEntity
    extends EventSourcedBehaviorWithEnforcedReplies<ImageQuotaEntity.Command, ImageQuotaEntity.Event, ImageQuotaEntity.Holds> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "ImageQuota");

  // ---------------------------------------------------------------- commands

  /** Messages a project's image quota understands. */
  public sealed interface Command extends CborSerializable {}

  /**
   * Room for an upload of {@code imageId}, given the project's {@code stored} images (id to size,
   * from the read side): answers the bytes the upload may bring, at most {@code maxImageBytes},
   * or TOO_MANY when the project has no room or runs too many uploads.
   */
  public record Hold(String imageId, Map<String, Long> stored, long maxImageBytes,
      ActorRef<StatusReply<Long>> replyTo) implements Command {}

  /** The upload is stored with {@code bytes}: held until the read side counts it. */
  public record Settle(String imageId, long bytes, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** The upload failed: its room is free again. */
  public record Release(String imageId, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** The image is deleted: its bytes are free, even while the read side still lists it. */
  public record Forget(String imageId, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** The holds as they are. */
  public record Get(ActorRef<Holds> replyTo) implements Command {}

  // ---------------------------------------------------------------- events

  /** Facts about a project's held uploads. */
  public sealed interface Event extends CborSerializable {
    Instant at();
  }

  public record UploadHeld(String imageId, long bytes, Instant until, Instant at) implements Event {}

  public record UploadSettled(String imageId, long bytes, Instant until, Instant at) implements Event {}

  public record UploadReleased(String imageId, Instant at) implements Event {}

  public record ImageForgotten(String imageId, Instant until, Instant at) implements Event {}

  // ---------------------------------------------------------------- state

  /** One held upload: its bytes, whether it still runs, and when the hold lapses. */
  public record Held(long bytes, boolean uploading, Instant until) implements CborSerializable {}

  /**
   * The project's holds by image id, and the images deleted lately (until the read side has
   * dropped them too).
   */
  public record Holds(Map<String, Held> byImage, Map<String, Instant> gone) implements CborSerializable {

    public Holds {
      gone = gone == null ? Map.of() : gone;
    }

    /** What the project uses at {@code now}, given its {@code stored} images as the read side lists them. */
    Usage usage(Instant now, Map<String, Long> stored, String except) {
      Map<String, Long> counted = new HashMap<>(stored);
      gone.forEach((id, until) -> {
        if (until.isAfter(now)) counted.remove(id);
      });
      long bytes = counted.values().stream().mapToLong(Long::longValue).sum();
      int uploading = 0;
      for (var hold : byImage.entrySet()) {
        Held h = hold.getValue();
        if (!h.until().isAfter(now) || counted.containsKey(hold.getKey()) || hold.getKey().equals(except)) continue;
        bytes += h.bytes();
        if (h.uploading()) uploading++;
      }
      return new Usage(bytes, uploading);
    }

    /** The state after {@code event}; lapsed holds and marks go with it. */
    Holds after(Event event) {
      Map<String, Held> next = new HashMap<>(byImage);
      next.values().removeIf(h -> !h.until().isAfter(event.at()));
      Map<String, Instant> nextGone = new HashMap<>(gone);
      nextGone.values().removeIf(until -> !until.isAfter(event.at()));
      if (event instanceof UploadHeld e) next.put(e.imageId(), new Held(e.bytes(), true, e.until()));
      if (event instanceof UploadSettled e) next.put(e.imageId(), new Held(e.bytes(), false, e.until()));
      if (event instanceof UploadReleased e) next.remove(e.imageId());
      if (event instanceof ImageForgotten e) {
        next.remove(e.imageId());
        nextGone.put(e.imageId(), e.until());
      }
      return new Holds(Map.copyOf(next), Map.copyOf(nextGone));
    }
  }

  /** Bytes in use (stored and held) and uploads running. */
  public record Usage(long bytes, int uploading) {}

  // ---------------------------------------------------------------- behavior

  /**
   * How long a finished upload stays held, and a deleted image is known gone: the read side
   * catches up well within this, and until then this entity answers for it.
   */
  static final Duration SETTLED_HOLD = Duration.ofMinutes(5);

  public static Behavior<Command> create(String projectId, ImageQuotas.Limits limits, Duration uploadTimeout, Clock clock) {
    return new ImageQuotaEntity(projectId, limits, uploadTimeout, clock);
  }

  private final String projectId;
  private final ImageQuotas.Limits limits;
  private final Duration uploadTimeout;
  private final Clock clock;

  private ImageQuotaEntity(String projectId, ImageQuotas.Limits limits, Duration uploadTimeout, Clock clock) {
    super(PersistenceId.of(TYPE_KEY.name(), projectId), Entities.JOURNAL_BACKOFF);
    this.projectId = projectId;
    this.limits = limits;
    this.uploadTimeout = uploadTimeout;
    this.clock = clock;
  }

  @Override
  public Holds emptyState() {
    return new Holds(Map.of(), Map.of());
  }

  @Override
  public CommandHandlerWithReply<Command, Event, Holds> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onCommand(Hold.class, this::hold)
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), s))
        .onCommand(Settle.class, (s, c) -> Effect()
            .persist(new UploadSettled(c.imageId(), c.bytes(), now().plus(SETTLED_HOLD), now()))
            .thenReply(c.replyTo(), next -> StatusReply.ack()))
        .onCommand(Release.class, (s, c) -> s.byImage().containsKey(c.imageId())
            ? Effect().persist(new UploadReleased(c.imageId(), now())).thenReply(c.replyTo(), next -> StatusReply.ack())
            : Effect().reply(c.replyTo(), StatusReply.ack()))
        .onCommand(Forget.class, (s, c) -> Effect()
            .persist(new ImageForgotten(c.imageId(), now().plus(SETTLED_HOLD), now()))
            .thenReply(c.replyTo(), next -> StatusReply.ack()))
        .build();
  }

  private ReplyEffect<Event, Holds> hold(Holds s, Hold c) {
    Usage others = s.usage(now(), c.stored(), c.imageId());
    if (others.uploading() >= limits.countUploading()) {
      return Effect().reply(c.replyTo(), overLimit("image_count_uploading", limits.countUploading(), others.uploading()));
    }
    long room = limits.sizeTotalBytes() - others.bytes();
    if (room <= 0) return Effect().reply(c.replyTo(), overLimit("image_size_total", limits.sizeTotalBytes(), others.bytes()));
    long allowed = Math.min(room, c.maxImageBytes());
    return Effect().persist(new UploadHeld(c.imageId(), allowed, now().plus(uploadTimeout), now()))
        .thenReply(c.replyTo(), next -> StatusReply.success(allowed));
  }

  private <T> StatusReply<T> overLimit(String resource, long limit, long usage) {
    return Rejection.of(Rejection.Kind.TOO_MANY, "Project " + projectId + " is over a limit for " + resource
        + ": limit " + limit + ", usage " + usage);
  }

  private Instant now() {
    return clock.instant();
  }

  @Override
  public EventHandler<Holds, Event> eventHandler() {
    return Holds::after;
  }
}
