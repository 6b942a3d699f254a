package nimbus.storage;

import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import nimbus.cluster.CborSerializable;
import nimbus.cluster.Rejection;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * One image of the image service, keyed by its UUID, with Glance's lifecycle: created
 * {@code queued}, {@code saving} while its file is uploaded, {@code active} once the file is in
 * the store (with its size and hashes), and deleted. Images registered from configuration
 * point at a file already on the hosts and are active at once.
 *
 * <p>The entity holds the record; the bytes are in the {@link ImageStore}, named by their
 * SHA-512. {@link ImageUploads} moves an image through saving to active around a store write.
 */
public final class ImageEntity
    extends EventSourcedBehaviorWithEnforcedReplies<ImageEntity.Command, ImageEntity.Event, ImageEntity.State> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Image");
  public static final String TAG = "image";

  // ---------------------------------------------------------------- commands

  /** Messages an image understands; each is answered with the image as it then is, or why not. */
  public sealed interface Command extends CborSerializable {
    ActorRef<StatusReply<Image>> replyTo();
  }

  /** Creates the image in {@code queued} (or {@code active}, if it has a host-file location). */
  public record Create(Image image, ActorRef<StatusReply<Image>> replyTo) implements Command {}

  /** Creates the image unless it exists; a configuration seed registered at every start. */
  public record Register(Image image, ActorRef<StatusReply<Image>> replyTo) implements Command {}

  public record Get(ActorRef<StatusReply<Image>> replyTo) implements Command {}

  /** Replaces what users may change (the JSON patch is applied by the caller). */
  public record UpdateMetadata(ImageMetadata metadata, ActorRef<StatusReply<Image>> replyTo) implements Command {}

  /** Starts an upload: only a {@code queued} image takes one. */
  public record BeginUpload(ActorRef<StatusReply<Image>> replyTo) implements Command {}

  /** The upload's file is in the store: the image becomes active. */
  public record FinishUpload(StoredFile file, ActorRef<StatusReply<Image>> replyTo) implements Command {}

  /** The upload failed: the image is {@code queued} again, ready for another upload. */
  public record AbortUpload(String reason, ActorRef<StatusReply<Image>> replyTo) implements Command {}

  public record Delete(ActorRef<StatusReply<Image>> replyTo) implements Command {}

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

  public static Behavior<Command> create(String imageId, Clock clock) {
    return new ImageEntity(imageId, clock);
  }

  private final String imageId;
  private final Clock clock;

  private ImageEntity(String imageId, Clock clock) {
    super(PersistenceId.of(TYPE_KEY.name(), imageId));
    this.imageId = imageId;
    this.clock = clock;
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
        .onCommand(Command.class, (s, c) -> Effect().reply(c.replyTo(), notFound()));
    b.forStateType(Deleted.class)
        .onCommand(Command.class, (s, c) -> Effect().reply(c.replyTo(), notFound()));
    b.forStateType(Queued.class)
        .onCommand(BeginUpload.class, (s, c) -> persist(new UploadStarted(now()), c.replyTo()));
    b.forStateType(Saving.class)
        .onCommand(FinishUpload.class, (s, c) -> persist(new UploadFinished(c.file(), now()), c.replyTo()))
        .onCommand(AbortUpload.class, (s, c) -> persist(new UploadAborted(c.reason(), now()), c.replyTo()));
    existing(b);
    return b.build();
  }

  private void existing(CommandHandlerWithReplyBuilder<Command, Event, State> b) {
    b.forStateType(Existing.class)
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.success(s.image())))
        .onCommand(Register.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.success(s.image())))
        .onCommand(Create.class, (s, c) -> Effect().reply(c.replyTo(),
            Rejection.conflict("Image ID " + imageId + " already exists")))
        .onCommand(UpdateMetadata.class, (s, c) -> {
          Optional<String> refused = s.image().refusal(c.metadata());
          return refused.isPresent()
              ? Effect().reply(c.replyTo(), Rejection.of(Rejection.Kind.FORBIDDEN, refused.get()))
              : persist(new MetadataUpdated(c.metadata(), now()), c.replyTo());
        })
        .onCommand(BeginUpload.class, (s, c) -> Effect().reply(c.replyTo(),
            Rejection.conflict("Image status transition from " + s.image().status() + " to saving is not allowed")))
        .onCommand(FinishUpload.class, (s, c) -> Effect().reply(c.replyTo(),
            Rejection.conflict("Image " + imageId + " is not being uploaded")))
        .onCommand(AbortUpload.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.success(s.image())))
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

  private ReplyEffect<Event, State> persist(Event event, ActorRef<StatusReply<Image>> replyTo) {
    return Effect().persist(event).thenReply(replyTo, s -> StatusReply.success(((Existing) s).image()));
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
