package nimbus.compute;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import nimbus.compute.ServerEntity.Building;
import nimbus.compute.ServerEntity.BuildFailed;
import nimbus.compute.ServerEntity.Command;
import nimbus.compute.ServerEntity.Create;
import nimbus.compute.ServerEntity.Event;
import nimbus.compute.ServerEntity.HostClaimed;
import nimbus.compute.ServerEntity.HostRejected;
import nimbus.compute.ServerEntity.HostSelected;
import nimbus.compute.ServerEntity.NoServer;
import nimbus.compute.ServerEntity.ServerActivated;
import nimbus.compute.ServerEntity.ServerRequested;
import nimbus.compute.ServerEntity.State;
import nimbus.compute.ServerEntity.StepAnswered;
import nimbus.storage.Volume;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import org.apache.pekko.persistence.typed.javadsl.EffectFactories;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * A server's build: {@code ServerRequested} → its ports made on their networks
 * ({@code PortsAllocated}) → {@code HostSelected} → the claim on that host ({@code HostClaimed})
 * → the ports bound to it ({@code PortsBound}) → the spawn there → {@code ServerActivated}. A
 * server booted from a volume (a new one from an image created first: {@code BootVolumeCreated}
 * once available) reserves it ({@code VolumeReserved}, before a host is chosen),
 * and once its host is claimed has it exported there ({@code VolumeExported}) and in use
 * ({@code VolumeAttached}) before the spawn; a refusal of any of these ends the build. Ports
 * that cannot be made end the build ({@code BuildFailed}); they go with the server's delete.
 * A refused claim or a failed
 * spawn is {@code HostRejected} (the claim released, the half-built domain destroyed) and the
 * next candidate is tried, up to {@code max-build-attempts}, then {@code BuildFailed}.
 */
final class ServerBuild {
  private static final String CLAIM = "claim:";
  private static final String PORTS = "ports";
  private static final String BIND = "bind:";
  private static final String BOOT_VOLUME = "boot-volume:";
  private final ServerSteps steps;
  private final EffectFactories<Event, State> effect;

  ServerBuild(ServerSteps steps) {
    this.steps = steps;
    this.effect = steps.effect();
  }

  void handlers(CommandHandlerWithReplyBuilder<Command, Event, State> b) {
    b.forStateType(NoServer.class)
        .onCommand(Create.class, (s, c) -> effect
            .persist(new ServerRequested(steps.serverId, c.spec(), steps.requestId(), steps.now()))
            .thenRun(steps::drive)
            .thenReply(c.replyTo(), next -> StatusReply.success(ServerEntity.view(next))))
        .onCommand(ServerEntity.GetConsoleOutput.class, (s, c) -> effect.reply(c.replyTo(), steps.notFound()))
        .onCommand(ServerEntity.Get.class, (s, c) -> effect.reply(c.replyTo(), steps.notFound()))
        .onCommand(ServerEntity.Start.class, (s, c) -> effect.reply(c.replyTo(), steps.notFound()))
        .onCommand(ServerEntity.Stop.class, (s, c) -> effect.reply(c.replyTo(), steps.notFound()))
        .onCommand(ServerEntity.Reboot.class, (s, c) -> effect.reply(c.replyTo(), steps.notFound()))
        .onCommand(ServerEntity.Delete.class, (s, c) -> effect.reply(c.replyTo(), steps.notFound()))
        .onCommand(ServerEntity.Lock.class, (s, c) -> effect.reply(c.replyTo(), steps.notFound()))
        .onCommand(ServerEntity.Update.class, (s, c) -> effect.reply(c.replyTo(), steps.notFound()))
        .onCommand(ServerEntity.ChangeMetadata.class, (s, c) -> effect.reply(c.replyTo(), steps.notFound()))
        .onCommand(ServerEntity.ChangeTags.class, (s, c) -> effect.reply(c.replyTo(), steps.notFound()))
        .onCommand(ServerEntity.TriggerCrashDump.class, (s, c) -> effect.reply(c.replyTo(), steps.notFound()))
        .onCommand(ServerEntity.AttachNic.class, (s, c) -> effect.reply(c.replyTo(), steps.notFound()))
        .onCommand(ServerEntity.DetachNic.class, (s, c) -> effect.reply(c.replyTo(), steps.notFound()))
        .onCommand(ServerEntity.GetActions.class, (s, c) -> effect.reply(c.replyTo(), steps.notFound()))
        .onCommand(ServerEntity.Idle.class, (s, c) -> steps.passivate());
    b.forStateType(Building.class)
        .onCommand(ServerEntity.Get.class, (s, c) -> steps.reply(c.replyTo(), s))
        .onCommand(ServerEntity.ScheduleNext.class, (s, c) -> scheduleNext(s))
        .onCommand(StepAnswered.class, this::claimAnswered)
        .onCommand(ServerEntity.Spawned.class, (s, c) -> c.host().equals(s.host().orElse(null))
            ? steps.persist(new ServerActivated(c.host(), c.power(), steps.now()))
            : effect.noReply())
        .onCommand(ServerEntity.SpawnFailed.class, (s, c) -> c.host().equals(s.host().orElse(null))
            ? rejectHost(s, c.reason(), true)
            : effect.noReply())
        .onCommand(ServerEntity.Tick.class, (s, c) -> {
          if (!s.server().portsAllocated() && steps.expired(s.since(), steps.settings.taskTimeout())) {
            return steps.persist(new BuildFailed("Build of instance " + steps.serverId
                + " aborted: timed out waiting for its ports", steps.now()));
          }
          return s.host().isPresent() && steps.expired(s.since(), steps.settings.buildTimeout())
              ? rejectHost(s, "Build timed out on host " + s.host().get(), true)
              : steps.driveAgain();
        });
    steps.onStep(Building.class, this::build);
  }

  private boolean build(Building b) {
    Server server = b.server();
    Optional<VolumeChange> bootVolume = server.attachingBootVolume() ? server.volumeChange() : Optional.empty();
    if (!server.portsAllocated()) {
      steps.askFor(PORTS, () -> steps.ports.allocate(steps.serverId, server.spec().projectId(),
          server.spec().networks().nics()));
    } else if (bootVolume.filter(v -> v.step() == VolumeChange.Step.CREATING).isPresent()) {
      // asked again at every tick until the volume is available (its image converted)
      Volume asked = server.spec().boot().volume().orElseThrow().create().orElseThrow();
      steps.askFor(BOOT_VOLUME + "create", () -> steps.volumes.create(asked));
    } else if (bootVolume.filter(v -> v.step() == VolumeChange.Step.RESERVING).isPresent()) {
      // reserved before a host is chosen: a volume in use fails the build before it holds any room
      VolumeChange v = bootVolume.get();
      steps.askFor(BOOT_VOLUME + "reserve", () -> steps.volumes.reserve(v.volumeId(), v.attachmentId(), steps.serverId,
          server.spec().projectId()));
    } else if (b.host().isEmpty()) {
      steps.context.getSelf().tell(new ServerEntity.ScheduleNext());
    } else if (b.claimed() && !server.portsBoundTo(b.host().get())) {
      String host = b.host().get();
      steps.ask(BIND + host, () -> Answers.refusalOfReply(steps.ports.bind(server.ports(), host)));
    } else if (b.claimed() && bootVolume.isPresent()) {
      attachBootVolume(bootVolume.get(), b.host().get());
    } else if (b.claimed()) {
      steps.hosts.tellAgent(b.host().get(), steps.spawnCommand(b.server(), true));
    } else {
      steps.claim(CLAIM + b.host().get(), b.host().get(), b.server().spec().flavor().resources(), b.server());
    }
    return true;
  }

  /**
   * The boot volume's steps on the chosen host, as an attach's: exported by its storage host to
   * this host, then in use by the server at {@link BootVolume#DEVICE}; the spawn then opens it.
   */
  private void attachBootVolume(VolumeChange v, String host) {
    if (v.step() == VolumeChange.Step.EXPORTING) {
      steps.askFor(BOOT_VOLUME + "export", () -> steps.volumes.export(v.storageHost().orElseThrow(), v.volumeId(), host));
    } else {
      steps.ask(BOOT_VOLUME + "complete", () -> Answers.refusalOfReply(
          steps.volumes.complete(v.volumeId(), v.attachmentId(), v.device(), host, v.path())));
    }
  }

  private ReplyEffect<Event, State> bootVolumeAnswered(Building s, StepAnswered c) {
    Optional<VolumeChange> v = s.server().attachingBootVolume() ? s.server().volumeChange() : Optional.empty();
    if (v.isEmpty() || c.unanswered()) return effect.noReply(); // the next tick asks again
    String step = c.step().substring(BOOT_VOLUME.length());
    VolumeChange.Step at = v.get().step();
    boolean current = step.equals("create") ? at == VolumeChange.Step.CREATING
        : step.equals("reserve") ? at == VolumeChange.Step.RESERVING
        : step.equals("export") ? at == VolumeChange.Step.EXPORTING && s.claimed()
        : at == VolumeChange.Step.PLUGGING && s.claimed();
    if (!current) return effect.noReply();
    if (c.refusal().isPresent()) {
      Optional<String> claimed = s.claimed() ? s.host() : Optional.empty();
      return effect.persist(new BuildFailed("Build of instance " + steps.serverId + " aborted: "
          + c.refusal().get().message(), steps.now())).thenRun(next -> {
            claimed.ifPresent(host -> steps.hosts.release(host, steps.serverId)); // the errored server holds no room
            steps.drive(next);
          }).thenNoReply();
    }
    if (at == VolumeChange.Step.CREATING) return created(v.get(), (String) c.value().orElseThrow());
    return switch (at) {
      case RESERVING -> steps.persist(new ServerEntity.VolumeReserved((String) c.value().orElseThrow(), steps.now()));
      case EXPORTING -> steps.persist(new ServerEntity.VolumeExported((String) c.value().orElseThrow(), steps.now()));
      default -> steps.persist(new ServerEntity.VolumeAttached(steps.now()));
    };
  }

  /** The new boot volume's status: available, it is reserved next; in error, the build fails; else wait. */
  private ReplyEffect<Event, State> created(VolumeChange v, String status) {
    if (status.equals(Volume.AVAILABLE)) return steps.persist(new ServerEntity.BootVolumeCreated(steps.now()));
    if (status.equals(Volume.CREATING)) return effect.noReply(); // the next tick asks again
    return steps.persist(new BuildFailed("Build of instance " + steps.serverId + " aborted: volume " + v.volumeId()
        + " did not become available; it is " + status + ".", steps.now()));
  }

  private ReplyEffect<Event, State> scheduleNext(Building s) {
    if (s.host().isPresent()) return effect.noReply();
    List<String> candidates = steps.hosts.candidates(s.server().spec().demand(), Set.copyOf(s.excluded()));
    if (candidates.isEmpty() && !steps.hosts.settled()) {
      return effect.noReply(); // the next tick asks again, once the hosts have reported
    }
    if (candidates.isEmpty()) {
      String reason = s.spawnAttempts() == 0
          ? "No valid host was found. There are not enough hosts available."
          : "No valid host was found. Exhausted all hosts available for retrying build failures: "
              + s.lastFailure().orElse("");
      return steps.persist(new BuildFailed(reason, steps.now()));
    }
    return steps.persist(new HostSelected(candidates.get(0), steps.now()));
  }

  private ReplyEffect<Event, State> claimAnswered(Building s, StepAnswered c) {
    steps.answered(c);
    if (c.step().equals(PORTS)) return portsAnswered(s, c);
    if (c.step().startsWith(BOOT_VOLUME)) return bootVolumeAnswered(s, c);
    if (c.step().startsWith(BIND)) {
      boolean current = s.host().isPresent() && c.step().equals(BIND + s.host().get()) && s.claimed();
      if (!current || c.unanswered() || s.server().portsBoundTo(s.host().get())) return effect.noReply();
      if (c.refusal().isPresent()) return steps.persist(new BuildFailed(c.refusal().get().message(), steps.now()));
      return steps.persist(new ServerEntity.PortsBound(s.host().get(), steps.now()));
    }
    if (s.host().isEmpty() || s.claimed() || !c.step().equals(CLAIM + s.host().get())) return effect.noReply();
    if (c.unanswered()) return effect.noReply(); // a busy host: the next tick claims again
    if (c.refusal().isPresent()) return rejectHost(s, c.refusal().get().message(), false);
    return steps.persist(new HostClaimed(s.host().get(), steps.now()));
  }

  @SuppressWarnings("unchecked")
  private ReplyEffect<Event, State> portsAnswered(Building s, StepAnswered c) {
    if (s.server().portsAllocated() || c.unanswered()) return effect.noReply();
    if (c.refusal().isPresent()) {
      return steps.persist(new BuildFailed("Build of instance " + steps.serverId + " aborted: "
          + c.refusal().get().message(), steps.now()));
    }
    return steps.persist(new ServerEntity.PortsAllocated((List<ServerPort>) c.value().orElseThrow(), steps.now()));
  }

  /** The current host cannot build the server: release it and try the next, or give up. */
  private ReplyEffect<Event, State> rejectHost(Building s, String reason, boolean spawnFailed) {
    String host = s.host().orElseThrow();
    List<Event> events = new ArrayList<>();
    events.add(new HostRejected(host, reason, spawnFailed, steps.now()));
    int attempts = s.spawnAttempts() + (spawnFailed ? 1 : 0);
    if (attempts >= steps.settings.maxBuildAttempts()) {
      events.add(new BuildFailed("No valid host was found. Exceeded maximum number of retries: " + reason, steps.now()));
    }
    return effect.persist(events).thenRun(next -> {
      // leave nothing half-built behind on the host we are leaving
      if (spawnFailed) steps.hosts.tellAgent(host, new HostAgentCommand.DestroyServer(steps.serverId));
      steps.hosts.release(host, steps.serverId);
      steps.drive(next);
    }).thenNoReply();
  }
}
