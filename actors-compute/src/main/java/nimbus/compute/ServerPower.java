package nimbus.compute;

import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;
import nimbus.cluster.Rejection;
import nimbus.compute.ServerEntity.Active;
import nimbus.compute.ServerEntity.Command;
import nimbus.compute.ServerEntity.Delete;
import nimbus.compute.ServerEntity.Deleted;
import nimbus.compute.ServerEntity.Deleting;
import nimbus.compute.ServerEntity.Errored;
import nimbus.compute.ServerEntity.Event;
import nimbus.compute.ServerEntity.Get;
import nimbus.compute.ServerEntity.Idle;
import nimbus.compute.ServerEntity.Paused;
import nimbus.compute.ServerEntity.PowerObserved;
import nimbus.compute.ServerEntity.Resting;
import nimbus.compute.ServerEntity.State;
import nimbus.compute.ServerEntity.Stopped;
import nimbus.compute.ServerEntity.Suspended;
import nimbus.compute.ServerEntity.TaskDone;
import nimbus.compute.ServerEntity.TaskFailedOnHost;
import nimbus.compute.ServerEntity.Tick;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import org.apache.pekko.persistence.typed.javadsl.EffectFactories;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * A built server's power actions (stop, start, reboot, pause, suspend and their way back,
 * rebuild), what its host observes of it, its deletion, and the answers every phase gives
 * (lock, rename, history, console, and a clear refusal of what a phase does not allow).
 */
final class ServerPower {
  private static final String RELEASE = "release";
  private static final String RELEASE_VOLUMES = "release-volumes";
  private final ServerSteps steps;
  private final EffectFactories<Event, State> effect;

  ServerPower(ServerSteps steps) {
    this.steps = steps;
    this.effect = steps.effect();
  }

  void handlers(CommandHandlerWithReplyBuilder<Command, Event, State> b) {
    active(b);
    stopped(b);
    resting(b, Paused.class, ServerEntity.Unpause.class, ServerEntity.Unpause::replyTo, "unpause",
        ServerEntity.UnpauseRequested::new, ServerEntity.ServerUnpaused::new);
    resting(b, Suspended.class, ServerEntity.Resume.class, ServerEntity.Resume::replyTo, "resume",
        ServerEntity.ResumeRequested::new, ServerEntity.ServerResumed::new);
    b.forStateType(Errored.class)
        .onCommand(Get.class, (s, c) -> steps.reply(c.replyTo(), s))
        .onCommand(ServerEntity.StepAnswered.class, (s, c) -> {
          steps.answered(c);
          return c.step().equals(RELEASE_VOLUMES) && !c.unanswered() && c.refusal().isEmpty()
              && !s.server().volumesToRelease().isEmpty()
              ? steps.persist(new ServerEntity.BuildVolumesReleased(steps.now())) : effect.noReply();
        })
        .onCommand(ServerEntity.Tick.class, (s, c) -> steps.driveAgain())
        .onCommand(Idle.class, (s, c) -> steps.passivate());
    deleting(b);
    anyState(b);
    steps.onStep(Active.class, a -> a.task().isPresent() && tell(a, switch (a.task().get()) {
      case POWERING_OFF -> new HostAgentCommand.StopServer(steps.serverId);
      case PAUSING -> new HostAgentCommand.PauseServer(steps.serverId);
      case SUSPENDING -> new HostAgentCommand.SuspendServer(steps.serverId);
      case REBUILDING -> new HostAgentCommand.RebuildServer(steps.serverId, steps.spawnCommand(a.server(), true));
      default -> new HostAgentCommand.RebootServer(steps.serverId, a.task().get() == Task.REBOOTING_HARD);
    }));
    steps.onStep(Paused.class, p -> p.task().isPresent() && tell(p, new HostAgentCommand.UnpauseServer(steps.serverId)));
    steps.onStep(Suspended.class, p -> p.task().isPresent() && tell(p, new HostAgentCommand.ResumeServer(steps.serverId)));
    steps.onStep(Stopped.class, p -> p.task().isPresent() && tell(p, new HostAgentCommand.StartServer(steps.serverId)));
    steps.onStep(Deleting.class, d -> {
      d.server().host().ifPresent(h -> steps.hosts.tellAgent(h, new HostAgentCommand.DestroyServer(steps.serverId)));
      d.discardImage().ifPresent(steps.images::discard);
      return true;
    });
    steps.onStep(Errored.class, e -> {
      e.server().host().ifPresent(h -> steps.hosts.release(h, steps.serverId));
      if (e.server().volumesToRelease().isEmpty()) return false;
      // a failed build leaves no volume reserved or attached: its boot volume is available again
      steps.ask(RELEASE_VOLUMES, () -> releaseVolumes(e.server())
          .thenApply(r -> r.isError() ? Optional.of(Rejection.from(r.getError())) : Optional.<Rejection>empty()));
      return true;
    });
    steps.onStep(Deleted.class, d -> {
      if (d.released()) return false;
      steps.ask(RELEASE, () -> steps.hosts.giveBack(d.server().spec(), d.server().host(), steps.serverId)
          .thenCombine(steps.ports.release(steps.serverId, d.server().portsToRelease()), (done, ports) -> ports)
          .thenCombine(giveBackVolumes(d.server()), (ports, volumes) -> ports.isError() ? ports : volumes)
          .thenApply(ports -> ports.isError() ? Optional.of(Rejection.from(ports.getError())) : Optional.<Rejection>empty()));
      return true;
    });
  }

  /**
   * A deleted server's volumes become available again (its domain, and so their disks, are gone);
   * a boot volume to delete on termination is deleted once released.
   */
  private java.util.concurrent.CompletionStage<StatusReply<Done>> releaseVolumes(Server server) {
    java.util.concurrent.CompletableFuture<StatusReply<Done>> all =
        java.util.concurrent.CompletableFuture.completedFuture(StatusReply.ack());
    for (ServerVolume v : server.volumesToRelease()) {
      all = all.thenCombine(steps.volumes.release(v.volumeId(), v.attachmentId()),
          (before, released) -> before.isError() ? before : released);
    }
    return all;
  }

  /** What a deleted server gives back of its volumes: each released, and its boot volume deleted if it asked so. */
  private java.util.concurrent.CompletionStage<StatusReply<Done>> giveBackVolumes(Server server) {
    Optional<BootVolume> doomed = server.spec().boot().volume().filter(BootVolume::deleteOnTermination);
    if (doomed.isEmpty()) return releaseVolumes(server);
    return releaseVolumes(server).thenCompose(released -> released.isError()
        ? java.util.concurrent.CompletableFuture.completedFuture(released)
        : steps.volumes.delete(doomed.get().volumeId()));
  }

  private boolean tell(State s, HostAgentCommand command) {
    steps.hosts.tellAgent(s.server().host().orElseThrow(), command);
    return true;
  }

  private void active(CommandHandlerWithReplyBuilder<Command, Event, State> b) {
    b.forStateType(Active.class)
        .onCommand(Get.class, (s, c) -> steps.reply(c.replyTo(), s))
        .onCommand(ServerEntity.Stop.class, (s, c) -> steps.unlessBusy(s.task(), "stop",
            new ServerEntity.StopRequested(steps.requestId(), steps.now()), c.replyTo()))
        .onCommand(ServerEntity.Reboot.class, (s, c) -> steps.unlessBusy(s.task(), "reboot",
            new ServerEntity.RebootRequested(c.hard(), steps.requestId(), steps.now()), c.replyTo()))
        .onCommand(ServerEntity.Pause.class, (s, c) -> steps.unlessBusy(s.task(), "pause",
            new ServerEntity.PauseRequested(steps.requestId(), steps.now()), c.replyTo()))
        .onCommand(ServerEntity.Suspend.class, (s, c) -> steps.unlessBusy(s.task(), "suspend",
            new ServerEntity.SuspendRequested(steps.requestId(), steps.now()), c.replyTo()))
        .onCommand(ServerEntity.Rebuild.class, (s, c) -> s.task().isPresent()
            ? effect.reply(c.replyTo(), steps.busy("rebuild", s.task().get()))
            : effect.persist(rebuilt(s, c)).thenRun(steps::drive)
                .thenReply(c.replyTo(), next -> StatusReply.success(ServerEntity.view(next))))
        .onCommand(TaskDone.class, (s, c) -> {
          if (s.task().isEmpty() || c.task() != s.task().get()) return effect.noReply();
          Event done = switch (c.task()) {
            case POWERING_OFF -> new ServerEntity.ServerStopped(c.power(), steps.now());
            case PAUSING -> new ServerEntity.ServerPaused(steps.now());
            case SUSPENDING -> new ServerEntity.ServerSuspended(steps.now());
            case REBUILDING -> new ServerEntity.ServerRebuilt(steps.now());
            default -> new ServerEntity.ServerRebooted(steps.now());
          };
          return steps.persist(done);
        })
        .onCommand(TaskFailedOnHost.class, (s, c) -> steps.taskFailed(s.task(), c))
        .onCommand(PowerObserved.class, this::observedWhileActive)
        .onCommand(Tick.class, (s, c) -> steps.taskTick(s.task(), s.since()))
        .onCommand(Idle.class, (s, c) -> s.task().isEmpty() ? steps.passivate() : effect.noReply());
  }

  private ReplyEffect<Event, State> observedWhileActive(Active s, PowerObserved c) {
    if (!c.host().equals(s.server().host().orElse(null))) return effect.noReply();
    if (!c.exists()) {
      // the host lost the domain (host reboot, test hypervisor restart): bring it back
      return effect.none().thenRun(next -> steps.hosts.tellAgent(c.host(), steps.spawnCommand(s.server(), true)))
          .thenNoReply();
    }
    // a domain going down on purpose (reboot, suspend) is not a stop
    boolean rebooting = s.task().filter(t -> t != Task.POWERING_OFF).isPresent();
    if (c.power().isOff() && !rebooting) return steps.persist(new ServerEntity.ServerStopped(c.power(), steps.now()));
    return effect.noReply();
  }

  private void stopped(CommandHandlerWithReplyBuilder<Command, Event, State> b) {
    b.forStateType(Stopped.class)
        .onCommand(Get.class, (s, c) -> steps.reply(c.replyTo(), s))
        .onCommand(ServerEntity.Start.class, (s, c) -> steps.unlessBusy(s.task(), "start",
            new ServerEntity.StartRequested(steps.requestId(), steps.now()), c.replyTo()))
        .onCommand(TaskDone.class, (s, c) -> s.task().filter(t -> t == c.task()).isPresent()
            ? steps.persist(new ServerEntity.ServerStarted(steps.now()))
            : effect.noReply())
        .onCommand(TaskFailedOnHost.class, (s, c) -> steps.taskFailed(s.task(), c))
        .onCommand(PowerObserved.class, (s, c) -> {
          if (!c.host().equals(s.server().host().orElse(null)) || s.task().isPresent()) return effect.noReply();
          if (!c.exists()) {
            return effect.none().thenRun(n -> steps.hosts.tellAgent(c.host(), steps.spawnCommand(s.server(), false)))
                .thenNoReply();
          }
          if (c.power() == PowerState.RUNNING) {
            // Nova's rule: the database's stopped wins over a domain started behind its back
            return effect.none().thenRun(n -> steps.hosts.tellAgent(c.host(),
                new HostAgentCommand.StopServer(steps.serverId))).thenNoReply();
          }
          return effect.noReply();
        })
        .onCommand(Tick.class, (s, c) -> steps.taskTick(s.task(), s.since()))
        .onCommand(Idle.class, (s, c) -> s.task().isEmpty() ? steps.passivate() : effect.noReply());
  }

  /** Paused and suspended servers: the one way back to ACTIVE, or delete. */
  private <S extends Resting, W extends Command> void resting(
      CommandHandlerWithReplyBuilder<Command, Event, State> b, Class<S> phase, Class<W> wake,
      Function<W, ActorRef<StatusReply<Done>>> replyTo, String action,
      BiFunction<Optional<String>, Instant, Event> requested, Function<Instant, Event> done) {
    b.forStateType(phase)
        .onCommand(Get.class, (s, c) -> steps.reply(c.replyTo(), s))
        .onCommand(wake, (s, c) -> steps.unlessBusy(s.task(), action, requested.apply(steps.requestId(), steps.now()), replyTo.apply(c)))
        .onCommand(TaskDone.class, (s, c) -> s.task().filter(t -> t == c.task()).isPresent()
            ? steps.persist(done.apply(steps.now()))
            : effect.noReply())
        .onCommand(TaskFailedOnHost.class, (s, c) -> steps.taskFailed(s.task(), c))
        .onCommand(Tick.class, (s, c) -> steps.taskTick(s.task(), s.since()))
        .onCommand(Idle.class, (s, c) -> s.task().isEmpty() ? steps.passivate() : effect.noReply());
  }

  private void deleting(CommandHandlerWithReplyBuilder<Command, Event, State> b) {
    b.forStateType(Deleting.class)
        .onCommand(Get.class, (s, c) -> steps.reply(c.replyTo(), s))
        .onCommand(Delete.class, (s, c) -> effect.reply(c.replyTo(), StatusReply.ack()))
        .onCommand(ServerEntity.Destroyed.class, (s, c) -> c.host().equals(s.server().host().orElse(null))
            ? steps.persist(new ServerEntity.ServerDeleted(steps.now()))
            : effect.noReply())
        .onCommand(Tick.class, (s, c) -> steps.expired(s.since(), steps.settings.taskTimeout())
            // The host does not answer: the server is deleted all the same, and the host's
            // reconciler removes the domain when it is back (its capacity is released now).
            ? steps.persist(new ServerEntity.ServerDeleted(steps.now()))
            : steps.driveAgain());
    b.forStateType(Deleted.class)
        // shown (DELETED) until its ports and the rest are given back, so a client that waits for
        // the 404 finds the ports gone and their groups free, as Nova deletes ports before the instance
        .onCommand(Get.class, (s, c) -> s.released() ? effect.reply(c.replyTo(), steps.notFound()) : steps.reply(c.replyTo(), s))
        .onCommand(Delete.class, (s, c) -> effect.reply(c.replyTo(), steps.notFound()))
        .onCommand(ServerEntity.Lock.class, (s, c) -> effect.reply(c.replyTo(), steps.notFound()))
        .onCommand(ServerEntity.Update.class, (s, c) -> effect.reply(c.replyTo(), steps.notFound()))
        .onCommand(ServerEntity.ChangeMetadata.class, (s, c) -> effect.reply(c.replyTo(), steps.notFound()))
        .onCommand(ServerEntity.ChangeTags.class, (s, c) -> effect.reply(c.replyTo(), steps.notFound()))
        .onCommand(ServerEntity.Create.class, (s, c) -> effect.reply(c.replyTo(),
            Rejection.conflict("Server " + steps.serverId + " was deleted")))
        .onCommand(ServerEntity.StepAnswered.class, (s, c) -> {
          steps.answered(c);
          return c.step().equals(RELEASE) && !c.unanswered() && c.refusal().isEmpty() && !s.released()
              ? steps.persist(new ServerEntity.ServerReleased(steps.now())) : effect.noReply();
        })
        .onCommand(ServerEntity.Tick.class, (s, c) -> steps.driveAgain())
        // kept alive (and remembered) until what it held is given back
        .onCommand(Idle.class, (s, c) -> s.released() ? steps.passivate() : effect.noReply());
  }

  /** Nova's vm states in which metadata may change (and no task may be under way). */
  private static final Set<VmState> METADATA_STATES =
      EnumSet.of(VmState.ACTIVE, VmState.PAUSED, VmState.SUSPENDED, VmState.STOPPED);
  private static final int MAX_METADATA_ITEMS = 128;

  private ReplyEffect<Event, State> changeMetadata(State s, ServerEntity.ChangeMetadata c) {
    if (!METADATA_STATES.contains(s.vmState())) {
      return effect.reply(c.replyTo(), steps.wrongState("update metadata", s.vmState()));
    }
    if (s.task().isPresent()) return effect.reply(c.replyTo(), steps.busy("update metadata", s.task().get()));
    Map<String, String> current = s.server().spec().metadata();
    Map<String, String> next = new HashMap<>(c.replace() ? Map.of() : current);
    next.putAll(c.items());
    if (c.delete().isPresent() && next.remove(c.delete().get()) == null) {
      return effect.reply(c.replyTo(), Rejection.notFound("Metadata item was not found"));
    }
    if (next.size() > MAX_METADATA_ITEMS) {
      return effect.reply(c.replyTo(), Rejection.of(Rejection.Kind.FORBIDDEN,
          "Quota exceeded for metadata_items: Requested " + next.size() + ", but the limit is " + MAX_METADATA_ITEMS));
    }
    if (next.equals(current)) return effect.reply(c.replyTo(), StatusReply.success(new ServerEntity.Metadata(current)));
    return effect.persist(new ServerEntity.MetadataChanged(next, steps.now()))
        .thenReply(c.replyTo(), after -> StatusReply.success(new ServerEntity.Metadata(after.server().spec().metadata())));
  }

  /** Nova's vm states that allow a crash dump (rescue aside, which Nimbus lacks). */
  private static final Set<VmState> CRASH_DUMP_STATES =
      EnumSet.of(VmState.ACTIVE, VmState.PAUSED, VmState.RESIZED, VmState.ERROR);

  /** Nova's checks (a host, then the state), its action recorded, and its failure on a driver without NMI. */
  private ReplyEffect<Event, State> triggerCrashDump(State s, ServerEntity.TriggerCrashDump c) {
    if (s.server().host().isEmpty()) {
      return effect.reply(c.replyTo(), Rejection.conflict("Instance " + steps.serverId + " is not ready"));
    }
    if (!CRASH_DUMP_STATES.contains(s.vmState())) {
      return effect.reply(c.replyTo(), steps.wrongState("trigger_crash_dump", s.vmState()));
    }
    return effect.persist(List.of(new ServerEntity.CrashDumpRequested(steps.requestId(), steps.now()),
            new ServerEntity.CrashDumpUnsupported(steps.now())))
        .thenReply(c.replyTo(), n -> StatusReply.ack());
  }

  private static final int MAX_TAGS = 50;

  /** Nova's tag changes: in the same settled states as metadata (a task may be under way). */
  private ReplyEffect<Event, State> changeTags(State s, ServerEntity.ChangeTags c) {
    if (!METADATA_STATES.contains(s.vmState())) {
      String action = c.replace().isPresent() ? (c.replace().get().isEmpty() ? "delete tags" : "update tags")
          : c.add().isPresent() ? "update tag" : "delete tag";
      return effect.reply(c.replyTo(), steps.wrongState(action, s.vmState()));
    }
    List<String> current = s.server().spec().tags();
    java.util.LinkedHashSet<String> next = new java.util.LinkedHashSet<>(c.replace().orElse(current));
    if (c.add().isPresent() && !next.contains(c.add().get())) {
      if (next.size() >= MAX_TAGS) {
        return effect.reply(c.replyTo(), Rejection.invalid("The number of tags exceeded the per-server limit " + MAX_TAGS));
      }
      next.add(c.add().get());
    }
    if (c.delete().isPresent() && !next.remove(c.delete().get())) {
      return effect.reply(c.replyTo(), Rejection.notFound("Instance " + steps.serverId + " has no tag '"
          + c.delete().get() + "'"));
    }
    List<String> after = List.copyOf(next);
    if (after.equals(current)) return effect.reply(c.replyTo(), StatusReply.success(new ServerEntity.Tags(current, false)));
    return effect.persist(new ServerEntity.TagsChanged(after, steps.now()))
        .thenReply(c.replyTo(), n -> StatusReply.success(new ServerEntity.Tags(n.server().spec().tags(), true)));
  }

  /** A rebuild, and the access addresses it gives the server. */
  private List<Event> rebuilt(State s, ServerEntity.Rebuild c) {
    List<Event> events = new ArrayList<>();
    events.add(new ServerEntity.RebuildRequested(c.boot(), c.name(), steps.requestId(), steps.now()));
    events.addAll(renamedOrReaddressed(s, Optional.empty(), c.access(), c.description()));
    return events;
  }

  /**
   * The events of a new name, new access addresses and a new description: none for addresses
   * or a description that stay as they are.
   */
  private List<Event> renamedOrReaddressed(State s, Optional<String> name, AccessAddresses access,
      Optional<ServerEntity.NewDescription> description) {
    List<Event> events = new ArrayList<>();
    name.ifPresent(n -> events.add(new ServerEntity.ServerRenamed(n, steps.now())));
    AccessAddresses current = s.server().spec().access();
    AccessAddresses next = current.changedBy(access);
    if (!next.equals(current)) events.add(new ServerEntity.AccessAddressesChanged(next, steps.now()));
    description.map(ServerEntity.NewDescription::text).filter(d -> !d.equals(s.server().spec().description()))
        .ifPresent(d -> events.add(new ServerEntity.DescriptionChanged(d, steps.now())));
    return events;
  }

  private void anyState(CommandHandlerWithReplyBuilder<Command, Event, State> b) {
    b.forAnyState()
        .onCommand(Delete.class, (s, c) -> delete(s, c.replyTo()))
        .onCommand(ServerEntity.Lock.class, (s, c) -> s.server().lockedBy().isPresent() == c.locked()
            ? effect.reply(c.replyTo(), StatusReply.ack())
            : effect.persist(c.locked() ? new ServerEntity.ServerLocked(c.byAdmin(), steps.requestId(), steps.now())
                    : new ServerEntity.ServerUnlocked(steps.requestId(), steps.now()))
                .thenReply(c.replyTo(), next -> StatusReply.ack()))
        .onCommand(ServerEntity.Update.class, (s, c) -> effect.persist(
                renamedOrReaddressed(s, c.name(), c.access(), c.description()))
            .thenReply(c.replyTo(), next -> StatusReply.success(ServerEntity.view(next))))
        .onCommand(ServerEntity.ChangeMetadata.class, this::changeMetadata)
        .onCommand(ServerEntity.ChangeTags.class, this::changeTags)
        .onCommand(ServerEntity.TriggerCrashDump.class, this::triggerCrashDump)
        .onCommand(ServerEntity.GetActions.class, (s, c) -> effect.reply(c.replyTo(),
            StatusReply.success(new ServerEntity.Actions(s.server().actions(),
                s.server().spec().projectId(), s.server().spec().userId()))))
        .onCommand(ServerEntity.Create.class, (s, c) -> s.server().spec().equals(c.spec())
            ? effect.reply(c.replyTo(), StatusReply.success(ServerEntity.view(s)))
            : effect.reply(c.replyTo(), Rejection.conflict("Server " + steps.serverId + " already exists")))
        .onCommand(ServerEntity.Start.class, (s, c) -> refuse(c.replyTo(), "start", s))
        .onCommand(ServerEntity.Stop.class, (s, c) -> refuse(c.replyTo(), "stop", s))
        .onCommand(ServerEntity.Reboot.class, (s, c) -> refuse(c.replyTo(), "reboot", s))
        .onCommand(ServerEntity.Pause.class, (s, c) -> refuse(c.replyTo(), "pause", s))
        .onCommand(ServerEntity.Unpause.class, (s, c) -> refuse(c.replyTo(), "unpause", s))
        .onCommand(ServerEntity.Suspend.class, (s, c) -> refuse(c.replyTo(), "suspend", s))
        .onCommand(ServerEntity.Resume.class, (s, c) -> refuse(c.replyTo(), "resume", s))
        .onCommand(ServerEntity.Rebuild.class, (s, c) -> effect.reply(c.replyTo(), steps.wrongState("rebuild", s.vmState())))
        .onCommand(ServerEntity.CreateImage.class, (s, c) -> refuse(c.replyTo(), "createImage", s))
        .onCommand(ServerEntity.Resize.class, (s, c) -> refuse(c.replyTo(), "resize", s))
        .onCommand(ServerEntity.ConfirmResize.class, (s, c) -> refuse(c.replyTo(), "confirmResize", s))
        .onCommand(ServerEntity.RevertResize.class, (s, c) -> refuse(c.replyTo(), "revertResize", s))
        .onCommand(ServerEntity.AttachNic.class, (s, c) -> refuse(c.replyTo(), "attach_interface", s))
        .onCommand(ServerEntity.DetachNic.class, (s, c) -> refuse(c.replyTo(), "detach_interface", s))
        .onCommand(ServerEntity.AttachVolume.class, (s, c) -> refuse(c.replyTo(), "attach_volume", s))
        .onCommand(ServerEntity.DetachVolume.class, (s, c) -> refuse(c.replyTo(), "detach_volume", s))
        .onCommand(ServerEntity.GetConsoleOutput.class, (s, c) -> {
          Optional<String> host = s.server().host();
          if (host.isEmpty()) return effect.reply(c.replyTo(), StatusReply.success(""));
          steps.hosts.tellAgent(host.get(), new HostAgentCommand.ReadConsole(steps.serverId, c.lines(), c.replyTo()));
          return effect.noReply();
        })
        // reports and answers that do not fit the current phase are late duplicates
        .onCommand(ServerEntity.HostReport.class, (s, c) -> effect.noReply())
        .onCommand(ServerEntity.StepAnswered.class, (s, c) -> {
          steps.answered(c);
          return effect.noReply();
        })
        .onCommand(ServerEntity.ScheduleNext.class, (s, c) -> effect.noReply())
        .onCommand(Tick.class, (s, c) -> effect.noReply())
        .onCommand(Idle.class, (s, c) -> effect.noReply());
  }

  /** Not allowed in this phase (phases that allow it answer "busy" while a task is under way). */
  private ReplyEffect<Event, State> refuse(ActorRef<StatusReply<Done>> replyTo, String action, State s) {
    return effect.reply(replyTo, steps.wrongState(action, s.vmState()));
  }

  private ReplyEffect<Event, State> delete(State s, ActorRef<StatusReply<Done>> replyTo) {
    Server server = ServerEntity.placed(s);
    List<Event> events = new ArrayList<>();
    events.add(new ServerEntity.DeleteRequested(steps.requestId(), steps.now()));
    if (server.host().isEmpty()) events.add(new ServerEntity.ServerDeleted(steps.now()));
    return effect.persist(events).thenRun(steps::drive).thenReply(replyTo, n -> StatusReply.ack());
  }
}
