package nimbus.storage;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import nimbus.cluster.CborSerializable;
import nimbus.cluster.Rejection;
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
 * One image of the image service, keyed by its UUID. This first version knows images whose
 * files already sit on the hosts (registered from configuration); upload comes with the image
 * API.
 */
public final class ImageEntity
    extends EventSourcedBehaviorWithEnforcedReplies<ImageEntity.Command, ImageEntity.Event, ImageEntity.State> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Image");
  public static final String TAG = "image";

  /** What an image is, as the image API shows it. */
  public record Image(String id, String name, String diskFormat, String containerFormat,
      Optional<String> location, String visibility, String ownerProjectId,
      Map<String, String> properties, Instant createdAt) implements CborSerializable {

    public Optional<String> property(String key) {
      return Optional.ofNullable(properties.get(key));
    }
  }

  /** Messages an image understands. */
  public sealed interface Command extends CborSerializable {}

  /** Registers the image; repeating it with the same image is harmless. */
  public record Register(Image image, ActorRef<StatusReply<Image>> replyTo) implements Command {}

  public record Get(ActorRef<StatusReply<Image>> replyTo) implements Command {}

  /** Facts about an image. */
  public sealed interface Event extends CborSerializable {}

  public record ImageRegistered(Image image) implements Event {}

  /** An image's phases. */
  public sealed interface State extends CborSerializable {}

  public record Unknown() implements State {}

  public record Available(Image image) implements State {}

  public static Behavior<Command> create(String imageId) {
    return new ImageEntity(imageId);
  }

  private final String imageId;

  private ImageEntity(String imageId) {
    super(PersistenceId.of(TYPE_KEY.name(), imageId));
    this.imageId = imageId;
  }

  @Override
  public State emptyState() {
    return new Unknown();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    var builder = newCommandHandlerWithReplyBuilder();
    builder.forStateType(Unknown.class)
        .onCommand(Register.class, this::register)
        .onCommand(Get.class, (state, cmd) ->
            Effect().reply(cmd.replyTo(), Rejection.notFound("Image " + imageId + " could not be found.")));
    builder.forStateType(Available.class)
        .onCommand(Register.class, (state, cmd) -> Effect().reply(cmd.replyTo(), StatusReply.success(state.image())))
        .onCommand(Get.class, (state, cmd) -> Effect().reply(cmd.replyTo(), StatusReply.success(state.image())));
    return builder.build();
  }

  private ReplyEffect<Event, State> register(Unknown state, Register cmd) {
    if (!cmd.image().id().equals(imageId)) {
      return Effect().reply(cmd.replyTo(), Rejection.invalid("image id does not match its entity"));
    }
    return Effect().persist(new ImageRegistered(cmd.image()))
        .thenReply(cmd.replyTo(), s -> StatusReply.success(((Available) s).image()));
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState()
        .onEvent(ImageRegistered.class, (state, e) -> new Available(e.image()))
        .build();
  }

  @Override
  public java.util.Set<String> tagsFor(Event event) {
    return java.util.Set.of(TAG);
  }
}
