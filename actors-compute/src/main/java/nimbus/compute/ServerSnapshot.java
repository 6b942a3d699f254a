package nimbus.compute;

import java.util.Optional;
import nimbus.cluster.Rejection;
import nimbus.compute.ServerEntity.Command;
import nimbus.compute.ServerEntity.CreateImage;
import nimbus.compute.ServerEntity.Event;
import nimbus.compute.ServerEntity.SnapshotStep;
import nimbus.compute.ServerEntity.Snapshotting;
import nimbus.compute.ServerEntity.State;
import nimbus.compute.ServerEntity.StepAnswered;
import nimbus.compute.ServerEntity.TaskDone;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import org.apache.pekko.persistence.typed.javadsl.EffectFactories;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * Nova's {@code createImage}, as persisted steps of the server: {@code SnapshotRequested} (with
 * the queued image to make) → the image created in the image service ({@code SnapshotImageCreated},
 * and only then the client's answer) → the host copies the root disk into it
 * ({@code ServerSnapshotted}). A snapshot that fails or times out discards its image, which would
 * otherwise stay queued for ever ({@code SnapshotImageDiscarded}); a server deleted mid-snapshot
 * discards it too. The server then goes back to the phase it was in.
 */
final class ServerSnapshot {
  private final ServerSteps steps;
  private final EffectFactories<Event, State> effect;

  ServerSnapshot(ServerSteps steps) {
    this.steps = steps;
    this.effect = steps.effect();
  }

  void handlers(CommandHandlerWithReplyBuilder<Command, Event, State> b) {
    for (Class<? extends State> phase : java.util.List.of(ServerEntity.Active.class, ServerEntity.Stopped.class,
        ServerEntity.Paused.class, ServerEntity.Suspended.class)) {
      b.forStateType(phase).onCommand(CreateImage.class, this::requested);
    }
    b.forStateType(Snapshotting.class)
        .onCommand(ServerEntity.Get.class, (s, c) -> steps.reply(c.replyTo(), s))
        .onCommand(StepAnswered.class, this::answered)
        .onCommand(TaskDone.class, (s, c) -> s.step() == SnapshotStep.COPYING_DISK && c.task() == Task.IMAGE_SNAPSHOT
            ? steps.persist(new ServerEntity.ServerSnapshotted(steps.now()))
            : effect.noReply())
        .onCommand(ServerEntity.TaskFailedOnHost.class, (s, c) -> s.step() == SnapshotStep.COPYING_DISK
                && c.task() == Task.IMAGE_SNAPSHOT
            ? steps.persist(new ServerEntity.TaskFailed(Task.IMAGE_SNAPSHOT, c.reason(), steps.now()))
            : effect.noReply())
        .onCommand(ServerEntity.Tick.class, (s, c) -> s.step() != SnapshotStep.DISCARDING_IMAGE
                && steps.expired(s.since(), steps.settings.snapshotTimeout())
            ? failed(s, "Timed out waiting for the snapshot")
            : steps.driveAgain());
    steps.onStep(Snapshotting.class, this::step);
  }

  private ReplyEffect<Event, State> requested(State s, CreateImage c) {
    if (s.task().isPresent()) return effect.reply(c.replyTo(), steps.busy("createImage", s.task().get()));
    steps.await(c.replyTo());
    return steps.persist(new ServerEntity.SnapshotRequested(c.image().id(), Optional.of(c.image()), steps.requestId(), steps.now()));
  }

  private boolean step(Snapshotting s) {
    switch (s.step()) {
      case CREATING_IMAGE -> steps.ask(imageStep(s), () -> steps.images.create(s.image().orElseThrow()));
      case COPYING_DISK -> steps.hosts.tellAgent(s.server().host().orElseThrow(),
          new HostAgentCommand.SnapshotServer(steps.serverId, s.imageId()));
      case DISCARDING_IMAGE -> steps.ask(discardStep(s), () -> steps.images.discard(s.imageId())
          .thenApply(done -> Optional.<Rejection>empty()));
    }
    return true;
  }

  private ReplyEffect<Event, State> answered(Snapshotting s, StepAnswered c) {
    steps.answered(c);
    if (c.unanswered()) return effect.noReply(); // the next tick asks again
    if (s.step() == SnapshotStep.CREATING_IMAGE && c.step().equals(imageStep(s))) {
      if (c.refusal().isPresent()) {
        Rejection refusal = c.refusal().get();
        return steps.persistAndAnswer(new ServerEntity.SnapshotRefused(refusal.kind(), refusal.message(), steps.now()),
            Rejection.of(refusal.kind(), refusal.message()));
      }
      return steps.persistAndAnswer(new ServerEntity.SnapshotImageCreated(steps.now()), StatusReply.ack());
    }
    if (s.step() == SnapshotStep.DISCARDING_IMAGE && c.step().equals(discardStep(s))) {
      return steps.persist(new ServerEntity.SnapshotImageDiscarded(steps.now()));
    }
    return effect.noReply();
  }

  /** The snapshot did not happen: its image is discarded (clients still waiting learn it failed). */
  private ReplyEffect<Event, State> failed(Snapshotting s, String reason) {
    return steps.persistAndAnswer(new ServerEntity.TaskFailed(Task.IMAGE_SNAPSHOT, reason, steps.now()),
        Rejection.unavailable(reason));
  }

  private static String imageStep(Snapshotting s) {
    return "snapshot-image:" + s.imageId();
  }

  private static String discardStep(Snapshotting s) {
    return "discard-image:" + s.imageId();
  }
}
