package nimbus.storage;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import nimbus.cluster.CborSerializable;
import nimbus.cluster.Entities;
import nimbus.cluster.Rejection;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One image of the image service, keyed by its UUID, with Glance's lifecycle: created
 * {@code queued}, {@code saving} while its file is uploaded, {@code active} once the file is in
 * the store (with its size and hashes), {@code deactivated} while its owner or an admin withholds
 * its file, and deleted. Images registered from configuration
 * point at a file already on the hosts and are active at once.
 *
 * <p>The entity holds the record; the bytes are in the {@link ImageStore}, named by their
 * SHA-512. {@link ImageUploads} moves an image through saving to active around a store write.
 */
public final class ImageEntity
    extends EventSourcedBehaviorWithEnforcedReplies<ImageEntity.Command, ImageEntity.Event, ImageEntity.State> {

  /** Glance's image_member_quota. */
  static final int MAX_MEMBERS = 128;

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Image");
  public static final String TAG = "image";

  // ---------------------------------------------------------------- commands

  /** Messages an image understands. */
  public sealed interface Command extends CborSerializable {}

  /** A request, answered with the image as it then is, or why not. */
  public sealed interface Request extends Command {
    ActorRef<StatusReply<Image>> replyTo();
  }

  /** An upload's time is up: if it has not finished, it never will (its client is gone). */
  record UploadExpired() implements Command {}

  /** Creates the image in {@code queued} (or {@code active}, if it has a host-file location). */
  public record Create(Image image, ActorRef<StatusReply<Image>> replyTo) implements Request {}

  /**
   * Creates the image unless it exists; a configuration seed registered at every start. A seed
   * whose files moved (its configuration changed) takes the new location.
   */
  public record Register(Image image, ActorRef<StatusReply<Image>> replyTo) implements Request {}

  public record Get(ActorRef<StatusReply<Image>> replyTo) implements Request {}

  /**
   * Replaces what users may change (the JSON patch is applied by the caller) and, if
   * {@code owner} is not null, the owning project (only admins give one another's).
   */
  public record UpdateMetadata(ImageMetadata metadata, String owner, ActorRef<StatusReply<Image>> replyTo)
      implements Request {
    public UpdateMetadata(ImageMetadata metadata, ActorRef<StatusReply<Image>> replyTo) {
      this(metadata, null, replyTo);
    }
  }

  /** Starts an upload: only a {@code queued} image takes one. */
  public record BeginUpload(ActorRef<StatusReply<Image>> replyTo) implements Request {}

  /** The upload's file is in the store: the image becomes active. */
  public record FinishUpload(StoredFile file, ActorRef<StatusReply<Image>> replyTo) implements Request {}

  /** The upload failed: the image is {@code queued} again, ready for another upload. */
  public record AbortUpload(String reason, ActorRef<StatusReply<Image>> replyTo) implements Request {}

  public record Delete(ActorRef<StatusReply<Image>> replyTo) implements Request {}

  /**
   * Deletes the image unless it has its data: a snapshot's image that will never get it (the
   * snapshot failed or its server was deleted). Answered once done, also when there was nothing to do.
   */
  public record Discard(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Shares a shared image with a project, whose answer is then pending. */
  public record AddMember(String projectId, ActorRef<StatusReply<Image>> replyTo) implements Request {}

  /** The member project's answer: accepted, rejected or pending. */
  public record AnswerMember(String projectId, String status, ActorRef<StatusReply<Image>> replyTo)
      implements Request {}

  public record RemoveMember(String projectId, ActorRef<StatusReply<Image>> replyTo) implements Request {}

  /** Glance's deactivate: an active image's file may no longer be downloaded (but by admins). */
  public record Deactivate(ActorRef<StatusReply<Image>> replyTo) implements Request {}

  /** Glance's reactivate: a deactivated image is active again. */
  public record Reactivate(ActorRef<StatusReply<Image>> replyTo) implements Request {}

  // ---------------------------------------------------------------- events

  /** Facts in an image's life. */
  public sealed interface Event extends CborSerializable {
    Instant at();
  }

  public record ImageCreated(Image image, Instant at) implements Event {}

  public record MetadataUpdated(ImageMetadata metadata, Instant at) implements Event {}

  public record UploadStarted(Instant at) implements Event {}

  public record UploadFinished(StoredFile file, Instant at) implements Event {}

  public record UploadAborted(String reason, Instant at) implements Event {}

  public record ImageDeleted(Instant at) implements Event {}

  public record MemberAdded(String projectId, Instant at) implements Event {}

  public record MemberAnswered(String projectId, String status, Instant at) implements Event {}

  public record MemberRemoved(String projectId, Instant at) implements Event {}

  /** Another project owns the image (an admin gave it). */
  public record OwnerChanged(String owner, Instant at) implements Event {}

  public record ImageDeactivated(Instant at) implements Event {}

  public record ImageReactivated(Instant at) implements Event {}

  /** A configuration seed's host file is elsewhere now. */
  public record LocationMoved(String location, Instant at) implements Event {}

  // ---------------------------------------------------------------- states

  /** An image's phases; all but {@link NoImage} hold the image as the API shows it. */
  public sealed interface State extends CborSerializable {}

  public record NoImage() implements State {}

  public sealed interface Existing extends State {
    Image image();
  }

  public record Queued(Image image) implements Existing {}

  public record Saving(Image image) implements Existing {}

  public record Active(Image image) implements Existing {}

  public record Deleted(Image image) implements Existing {}

  // ---------------------------------------------------------------- behavior

  private static final String UPLOAD_TIMER = "upload";

  /** An image whose uploads must finish within {@code uploadTimeout}. */
  public static Behavior<Command> create(String imageId, Clock clock, Duration uploadTimeout) {
    return Behaviors.withTimers(timers -> new ImageEntity(imageId, clock, uploadTimeout, timers));
  }

  private final String imageId;
  private final Clock clock;
  private final Duration uploadTimeout;
  private final TimerScheduler<Command> timers;

  private ImageEntity(String imageId, Clock clock, Duration uploadTimeout, TimerScheduler<Command> timers) {
    super(PersistenceId.of(TYPE_KEY.name(), imageId), Entities.JOURNAL_BACKOFF);
    this.imageId = imageId;
    this.clock = clock;
    this.uploadTimeout = uploadTimeout;
    this.timers = timers;
  }

  private boolean expired(Saving s) {
    return !now().isBefore(s.image().updatedAt().plus(uploadTimeout));
  }

  /** After a restart in saving, the upload's deadline still holds. */
  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), state -> {
      if (state instanceof Saving s) {
        Duration left = Duration.between(now(), s.image().updatedAt().plus(uploadTimeout));
        timers.startSingleTimer(UPLOAD_TIMER, new UploadExpired(), left.isNegative() ? Duration.ZERO : left);
      }
    }).build();
  }

  @Override
  public State emptyState() {
    return new NoImage();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    var b = newCommandHandlerWithReplyBuilder();
    b.forStateType(NoImage.class)
        .onCommand(Create.class, (s, c) -> create(c.image(), c.replyTo()))
        .onCommand(Register.class, (s, c) -> create(c.image(), c.replyTo()))
        .onCommand(Request.class, (s, c) -> Effect().reply(c.replyTo(), notFound()));
    b.forStateType(Deleted.class)
        .onCommand(Request.class, (s, c) -> Effect().reply(c.replyTo(), notFound()));
    b.forStateType(Queued.class)
        .onCommand(Discard.class, (s, c) -> discard(c))
        .onCommand(BeginUpload.class, (s, c) -> Effect().persist(new UploadStarted(now()))
            .thenRun(next -> timers.startSingleTimer(UPLOAD_TIMER, new UploadExpired(), uploadTimeout))
            .thenReply(c.replyTo(), next -> StatusReply.success(((Existing) next).image())));
    b.forStateType(Saving.class)
        .onCommand(Discard.class, (s, c) -> discard(c))
        .onCommand(FinishUpload.class, (s, c) -> persist(new UploadFinished(c.file(), now()), c.replyTo()))
        .onCommand(AbortUpload.class, (s, c) -> persist(new UploadAborted(c.reason(), now()), c.replyTo()))
        .onCommand(UploadExpired.class, (s, c) -> expired(s)
            ? Effect().persist(new UploadAborted("The upload did not finish within " + uploadTimeout, now())).thenNoReply()
            : Effect().noReply())
        // a read after the deadline sees the image queued again, even before the timer fires
        .onCommand(Get.class, (s, c) -> expired(s)
            ? persist(new UploadAborted("The upload did not finish within " + uploadTimeout, now()), c.replyTo())
            : Effect().reply(c.replyTo(), StatusReply.success(s.image())));
    b.forAnyState()
        .onCommand(UploadExpired.class, (s, c) -> Effect().noReply())
        .onCommand(Discard.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.ack()));
    existing(b);
    return b.build();
  }

  private void existing(CommandHandlerWithReplyBuilder<Command, Event, State> b) {
    b.forStateType(Existing.class)
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.success(s.image())))
        .onCommand(Register.class, (s, c) -> c.image().location().isPresent()
            && !c.image().location().equals(s.image().location())
            ? persist(new LocationMoved(c.image().location().get(), now()), c.replyTo())
            : Effect().reply(c.replyTo(), StatusReply.success(s.image())))
        // the same create again (a workflow's retried step) answers with the image as it is
        .onCommand(Create.class, (s, c) -> Effect().reply(c.replyTo(), sameCreate(c.image(), s.image())
            ? StatusReply.success(s.image()) : Rejection.conflict("Image ID " + imageId + " already exists")))
        .onCommand(UpdateMetadata.class, (s, c) -> {
          Optional<String> refused = s.image().refusal(c.metadata());
          return refused.isPresent()
              ? Effect().reply(c.replyTo(), Rejection.of(Rejection.Kind.FORBIDDEN, refused.get()))
              : update(s.image(), c);
        })
        .onCommand(BeginUpload.class, (s, c) -> Effect().reply(c.replyTo(),
            Rejection.conflict("Image status transition from " + s.image().status() + " to saving is not allowed")))
        .onCommand(FinishUpload.class, (s, c) -> Effect().reply(c.replyTo(),
            Rejection.conflict("Image " + imageId + " is not being uploaded")))
        .onCommand(AbortUpload.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.success(s.image())))
        .onCommand(AddMember.class, (s, c) -> {
          if (!s.image().visibility().equals("shared")) {
            return Effect().reply(c.replyTo(), Rejection.of(Rejection.Kind.FORBIDDEN, "Only shared images have members."));
          }
          if (s.image().members().containsKey(c.projectId())) {
            return Effect().reply(c.replyTo(), Rejection.conflict("Member " + c.projectId() + " already exists."));
          }
          if (s.image().members().size() >= MAX_MEMBERS) {
            return Effect().reply(c.replyTo(), Rejection.of(Rejection.Kind.TOO_MANY,
                "Maximum number of image members exceeded (" + MAX_MEMBERS + ")"));
          }
          return persist(new MemberAdded(c.projectId(), now()), c.replyTo());
        })
        .onCommand(AnswerMember.class, (s, c) -> {
          if (!s.image().members().containsKey(c.projectId())) return Effect().reply(c.replyTo(), noMember(c.projectId()));
          if (!ImageMember.STATUSES.contains(c.status())) {
            return Effect().reply(c.replyTo(), Rejection.invalid("Invalid status: " + c.status()));
          }
          return persist(new MemberAnswered(c.projectId(), c.status(), now()), c.replyTo());
        })
        .onCommand(RemoveMember.class, (s, c) -> s.image().members().containsKey(c.projectId())
            ? persist(new MemberRemoved(c.projectId(), now()), c.replyTo())
            : Effect().reply(c.replyTo(), noMember(c.projectId())))
        .onCommand(Deactivate.class, (s, c) -> toggle(s.image(), "deactivate", "active", "deactivated",
            new ImageDeactivated(now()), c.replyTo()))
        .onCommand(Reactivate.class, (s, c) -> toggle(s.image(), "reactivate", "deactivated", "active",
            new ImageReactivated(now()), c.replyTo()))
        .onCommand(Delete.class, (s, c) -> s.image().metadata().deletionProtected()
            ? Effect().reply(c.replyTo(), Rejection.of(Rejection.Kind.FORBIDDEN,
                "Image " + imageId + " is protected and cannot be deleted."))
            : persist(new ImageDeleted(now()), c.replyTo()));
  }

  private ReplyEffect<Event, State> create(Image image, ActorRef<StatusReply<Image>> replyTo) {
    if (!image.id().equals(imageId)) {
      return Effect().reply(replyTo, Rejection.invalid("image id does not match its entity"));
    }
    return persist(new ImageCreated(image, image.createdAt()), replyTo);
  }

  private ReplyEffect<Event, State> update(Image image, UpdateMetadata c) {
    List<Event> events = new ArrayList<>(List.of(new MetadataUpdated(c.metadata(), now())));
    if (c.owner() != null && !c.owner().equals(image.ownerProjectId())) events.add(new OwnerChanged(c.owner(), now()));
    return Effect().persist(events).thenReply(c.replyTo(), s -> StatusReply.success(((Existing) s).image()));
  }

  /**
   * Moves the image from {@code from} to {@code to} with {@code event}; already in {@code to} is
   * no change (Glance's actions are idempotent), any other status is refused.
   */
  private ReplyEffect<Event, State> toggle(Image image, String action, String from, String to, Event event,
      ActorRef<StatusReply<Image>> replyTo) {
    if (image.status().equals(to)) return Effect().reply(replyTo, StatusReply.success(image));
    if (!image.status().equals(from)) {
      return Effect().reply(replyTo, Rejection.of(Rejection.Kind.FORBIDDEN,
          "Not allowed to " + action + " image in status '" + image.status() + "'"));
    }
    return persist(event, replyTo);
  }

  private ReplyEffect<Event, State> discard(Discard c) {
    return Effect().persist(new ImageDeleted(now())).thenReply(c.replyTo(), s -> StatusReply.ack());
  }

  private static boolean sameCreate(Image asked, Image existing) {
    return asked.ownerProjectId().equals(existing.ownerProjectId()) && asked.createdAt().equals(existing.createdAt())
        && asked.location().isEmpty() && existing.location().isEmpty();
  }

  private ReplyEffect<Event, State> persist(Event event, ActorRef<StatusReply<Image>> replyTo) {
    return Effect().persist(event).thenReply(replyTo, s -> StatusReply.success(((Existing) s).image()));
  }

  private <T> StatusReply<T> noMember(String projectId) {
    return Rejection.notFound("Project " + projectId + " is not a member of image " + imageId);
  }

  private <T> StatusReply<T> notFound() {
    return Rejection.notFound("No image found with ID " + imageId);
  }

  private Instant now() {
    return clock.instant();
  }

  // ---------------------------------------------------------------- events applied

  @Override
  public EventHandler<State, Event> eventHandler() {
    return (state, event) -> next(state instanceof Existing e ? Optional.of(e.image()) : Optional.empty(), event);
  }

  /** The phase an event leads to; shared with the read side, which replays the same events. */
  public static State next(Optional<Image> before, Event event) {
    if (event instanceof ImageCreated e) return phaseOf(e.image());
    Image image = before.orElseThrow(() -> new IllegalStateException("event before creation"));
    return phaseOf(image.after(event));
  }

  private static State phaseOf(Image image) {
    return switch (image.status()) {
      case "queued" -> new Queued(image);
      case "saving" -> new Saving(image);
      case "deleted" -> new Deleted(image);
      default -> new Active(image);
    };
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return Set.of(TAG);
  }
}
