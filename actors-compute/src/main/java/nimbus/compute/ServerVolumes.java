package nimbus.compute;

import java.util.List;
import java.util.Optional;
import nimbus.cluster.Rejection;
import nimbus.compute.ServerEntity.ChangingVolumes;
import nimbus.compute.ServerEntity.Command;
import nimbus.compute.ServerEntity.Event;
import nimbus.compute.ServerEntity.State;
import nimbus.compute.ServerEntity.StepAnswered;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import org.apache.pekko.persistence.typed.javadsl.EffectFactories;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * Nova's os-volume_attachments, as persisted steps of the server across the volume, its storage
 * host and the server's host. Attach: {@code VolumeAttachRequested} → the volume reserved for the
 * server ({@code VolumeReserved}, refused unless available) → exported by its storage host
 * ({@code VolumeExported}: the file's path, or the storage host's NBD export for a server on
 * another host) → added to the domain by the server's host ({@code VolumePluggedIn})
 * → the volume in use ({@code VolumeAttached}, and then the client's answer). Detach:
 * {@code VolumeDetachRequested} → the volume detaching ({@code VolumeDetachBegun}) → out of the
 * domain ({@code VolumeUnpluggedOut}) → the volume available ({@code VolumeReleased}). An attach
 * that fails or times out undoes what it did the same way, so no volume stays half attached.
 */
final class ServerVolumes {
  private static final List<Class<? extends State>> PHASES = List.of(ServerEntity.Active.class,
      ServerEntity.Stopped.class, ServerEntity.Paused.class);

  private final ServerSteps steps;
  private final EffectFactories<Event, State> effect;

  ServerVolumes(ServerSteps steps) {
    this.steps = steps;
    this.effect = steps.effect();
  }

  void handlers(CommandHandlerWithReplyBuilder<Command, Event, State> b) {
    for (Class<? extends State> phase : PHASES) {
      b.forStateType(phase)
          .onCommand(ServerEntity.AttachVolume.class, this::attach)
          .onCommand(ServerEntity.DetachVolume.class, this::detach);
    }
    b.forStateType(ChangingVolumes.class)
        .onCommand(ServerEntity.Get.class, (s, c) -> steps.reply(c.replyTo(), s))
        .onCommand(StepAnswered.class, this::answered)
        .onCommand(ServerEntity.VolumePlugged.class, (s, c) -> current(s, c.host(), c.volumeId(), VolumeChange.Step.PLUGGING)
            ? steps.persist(new ServerEntity.VolumePluggedIn(steps.now()))
            : effect.noReply())
        .onCommand(ServerEntity.VolumePlugFailed.class, (s, c) -> current(s, c.host(), c.volumeId(), VolumeChange.Step.PLUGGING)
            ? failed("Failed to attach volume " + c.volumeId() + " to " + steps.serverId + ": " + c.reason())
            : effect.noReply())
        .onCommand(ServerEntity.VolumeUnplugged.class, (s, c) -> current(s, c.host(), c.volumeId(), VolumeChange.Step.UNPLUGGING)
            ? steps.persist(new ServerEntity.VolumeUnpluggedOut(steps.now()))
            : effect.noReply())
        .onCommand(ServerEntity.AttachVolume.class, (s, c) -> effect.reply(c.replyTo(), busy("attach a volume to")))
        .onCommand(ServerEntity.DetachVolume.class, (s, c) -> effect.reply(c.replyTo(), busy("detach a volume from")))
        .onCommand(ServerEntity.AttachNic.class, (s, c) -> effect.reply(c.replyTo(), busy("attach an interface to")))
        .onCommand(ServerEntity.DetachNic.class, (s, c) -> effect.reply(c.replyTo(), busy("detach an interface from")))
        .onCommand(ServerEntity.Tick.class, (s, c) -> s.change().attach()
                && s.change().step().compareTo(VolumeChange.Step.COMPLETING) <= 0
                && steps.expired(s.since(), steps.settings.taskTimeout())
            ? failed("Timed out attaching volume " + s.change().volumeId() + " to " + steps.serverId)
            : steps.driveAgain());
    steps.onStep(ChangingVolumes.class, this::step);
  }

  private ReplyEffect<Event, State> attach(State s, ServerEntity.AttachVolume c) {
    if (s.task().isPresent()) return effect.reply(c.replyTo(), steps.busy("attach_volume", s.task().get()));
    if (s.server().volumes().stream().anyMatch(v -> v.volumeId().equals(c.volumeId()))) {
      return effect.reply(c.replyTo(), Rejection.invalid("Invalid volume: volume " + c.volumeId()
          + " already attached"));
    }
    steps.await(c.replyTo());
    return steps.persist(new ServerEntity.VolumeAttachRequested(c.volumeId(), c.attachmentId(),
        s.server().nextDevice(c.device()), steps.requestId(), steps.now()));
  }

  private ReplyEffect<Event, State> detach(State s, ServerEntity.DetachVolume c) {
    if (s.task().isPresent()) return effect.reply(c.replyTo(), steps.busy("detach_volume", s.task().get()));
    if (s.server().volumes().stream().noneMatch(v -> v.volumeId().equals(c.volumeId()))) {
      return effect.reply(c.replyTo(), Rejection.notFound("Volume " + c.volumeId()
          + " is not attached to instance " + steps.serverId + "."));
    }
    if (s.server().spec().boot().volume().filter(v -> v.volumeId().equals(c.volumeId())).isPresent()) {
      return effect.reply(c.replyTo(), Rejection.invalid("Cannot detach a root device volume"));
    }
    return steps.accept(new ServerEntity.VolumeDetachRequested(c.volumeId(), steps.requestId(), steps.now()),
        c.replyTo());
  }

  private boolean step(ChangingVolumes s) {
    VolumeChange change = s.change();
    Server server = s.server();
    String host = server.host().orElseThrow();
    String volume = change.volumeId();
    String attachment = change.attachmentId();
    switch (change.step()) {
      case RESERVING -> steps.askFor(stepName(stepOf(change.step()), change), () -> steps.volumes.reserve(volume, attachment,
          steps.serverId, server.spec().projectId()));
      case EXPORTING -> steps.askFor(stepName(stepOf(change.step()), change), () -> steps.volumes.export(
          change.storageHost().orElseThrow(), volume, host));
      case PLUGGING -> steps.hosts.tellAgent(host, new HostAgentCommand.AttachVolume(steps.serverId, volume,
          change.path().orElseThrow(), change.device()));
      case COMPLETING -> steps.ask(stepName(stepOf(change.step()), change), () -> Answers.refusalOfReply(
          steps.volumes.complete(volume, attachment, change.device(), host, change.path())));
      case DETACHING -> steps.ask(stepName(stepOf(change.step()), change), () -> Answers.refusalOfReply(
          steps.volumes.beginDetach(volume, attachment)));
      case UNPLUGGING -> steps.hosts.tellAgent(host, new HostAgentCommand.DetachVolume(steps.serverId, volume,
          change.device()));
      case RELEASING -> steps.ask(stepName(stepOf(change.step()), change), () -> Answers.refusalOfReply(
          steps.volumes.release(volume, attachment)));
    }
    return true;
  }

  private ReplyEffect<Event, State> answered(ChangingVolumes s, StepAnswered c) {
    steps.answered(c);
    VolumeChange change = s.change();
    if (c.unanswered() || !c.step().equals(stepName(stepOf(change.step()), change))) {
      return effect.noReply(); // the next tick asks again
    }
    switch (change.step()) {
      case RESERVING -> {
        return c.refusal().isPresent() ? failed(c.refusal().get())
            : steps.persist(new ServerEntity.VolumeReserved((String) c.value().orElseThrow(), steps.now()));
      }
      case EXPORTING -> {
        return c.refusal().isPresent() ? failed(c.refusal().get())
            : steps.persist(new ServerEntity.VolumeExported((String) c.value().orElseThrow(), steps.now()));
      }
      case COMPLETING -> {
        return c.refusal().isPresent() ? failed(c.refusal().get())
            : steps.persistAndAnswer(new ServerEntity.VolumeAttached(steps.now()), StatusReply.ack());
      }
      case DETACHING -> {
        return c.refusal().isPresent() ? effect.noReply()
            : steps.persist(new ServerEntity.VolumeDetachBegun(steps.now()));
      }
      case RELEASING -> {
        if (c.refusal().isPresent()) return effect.noReply();
        // the volume is free: its storage host serves it to this host no more
        steps.volumes.checkExport(change.volumeId());
        return steps.persist(new ServerEntity.VolumeReleased(steps.now()));
      }
      default -> {
        return effect.noReply();
      }
    }
  }

  private ReplyEffect<Event, State> failed(String reason) {
    return failed(new Rejection(Rejection.Kind.CONFLICT, reason));
  }

  /** The attach did not happen: what it did is undone, and the waiting client learns why. */
  private ReplyEffect<Event, State> failed(Rejection why) {
    return steps.persistAndAnswer(new ServerEntity.VolumeAttachFailed(why.message(), steps.now()),
        Rejection.of(why.kind(), why.message()));
  }

  private boolean current(ChangingVolumes s, String host, String volumeId, VolumeChange.Step step) {
    return s.change().step() == step && s.change().volumeId().equals(volumeId)
        && s.server().host().equals(Optional.of(host));
  }

  private <T> StatusReply<T> busy(String what) {
    return Rejection.conflict("Cannot " + what + " instance " + steps.serverId
        + " while a volume is being attached or detached");
  }

  private static String stepOf(VolumeChange.Step step) {
    return step.name().toLowerCase();
  }

  private static String stepName(String what, VolumeChange change) {
    return "volume-" + what + ":" + change.attachmentId();
  }
}
