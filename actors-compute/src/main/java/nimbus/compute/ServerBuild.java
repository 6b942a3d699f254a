package nimbus.compute;

import java.util.ArrayList;
import java.util.List;
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
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import org.apache.pekko.persistence.typed.javadsl.EffectFactories;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * A server's build: {@code ServerRequested} → its ports made on their networks
 * ({@code PortsAllocated}) → {@code HostSelected} → the claim on that host ({@code HostClaimed})
 * → the ports bound to it ({@code PortsBound}) → the spawn there → {@code ServerActivated}. Ports
 * that cannot be made end the build ({@code BuildFailed}); they go with the server's delete.
 * A refused claim or a failed
 * spawn is {@code HostRejected} (the claim released, the half-built domain destroyed) and the
 * next candidate is tried, up to {@code max-build-attempts}, then {@code BuildFailed}.
 */
final class ServerBuild {
  private static final String CLAIM = "claim:";
  private static final String PORTS = "ports";
  private static final String BIND = "bind:";
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
    if (!server.portsAllocated()) {
      steps.askFor(PORTS, () -> steps.ports.allocate(steps.serverId, server.spec().projectId(),
          server.spec().networks().nics()));
    } else if (b.host().isEmpty()) {
      steps.context.getSelf().tell(new ServerEntity.ScheduleNext());
    } else if (b.claimed() && !server.portsBoundTo(b.host().get())) {
      String host = b.host().get();
      steps.ask(BIND + host, () -> Answers.refusalOfReply(steps.ports.bind(server.ports(), host)));
    } else if (b.claimed()) {
      steps.hosts.tellAgent(b.host().get(), steps.spawnCommand(b.server(), true));
    } else {
      steps.claim(CLAIM + b.host().get(), b.host().get(), b.server().spec().flavor().resources(), b.server());
    }
    return true;
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
