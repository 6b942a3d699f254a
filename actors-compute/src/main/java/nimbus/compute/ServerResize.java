package nimbus.compute;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import nimbus.cluster.Rejection;
import nimbus.compute.ServerEntity.Command;
import nimbus.compute.ServerEntity.Event;
import nimbus.compute.ServerEntity.Move;
import nimbus.compute.ServerEntity.ResizeEnding;
import nimbus.compute.ServerEntity.Resized;
import nimbus.compute.ServerEntity.Resizing;
import nimbus.compute.ServerEntity.State;
import nimbus.compute.ServerEntity.StepAnswered;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import org.apache.pekko.persistence.typed.javadsl.EffectFactories;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * Nova's resize, as persisted steps of the server: {@code ResizeRequested} → the project's quota
 * holds the larger of the two flavors ({@code ResizeQuotaHeld}, and only then the client's answer;
 * no room is {@code ResizeRefused}) → room claimed on the server's host, or on another host it
 * moves to ({@code ResizeClaimed}) → resized in place, or its disk copied and the server spawned on
 * the target ({@code ServerResized}) → VERIFY_RESIZE until confirmed or reverted. However it ends
 * (failed, confirmed, reverted), {@link ResizeEnding} brings the quota and the host down to the
 * flavor the server keeps and lets the host it left go, before the server is ACTIVE or SHUTOFF again.
 */
final class ServerResize {
  private static final String QUOTA = "resize-quota";
  private static final String CLAIM = "resize-claim:";
  private static final String SETTLE = "resize-settle";
  private static final String BIND = "resize-bind:";
  private final ServerSteps steps;
  private final EffectFactories<Event, State> effect;

  ServerResize(ServerSteps steps) {
    this.steps = steps;
    this.effect = steps.effect();
  }

  void handlers(CommandHandlerWithReplyBuilder<Command, Event, State> b) {
    for (Class<? extends State> phase : List.of(ServerEntity.Active.class, ServerEntity.Stopped.class)) {
      b.forStateType(phase).onCommand(ServerEntity.Resize.class, (s, c) -> {
        if (s.task().isPresent()) return effect.reply(c.replyTo(), steps.busy("resize", s.task().get()));
        steps.await(c.replyTo());
        return steps.persist(new ServerEntity.ResizeRequested(c.flavor(), steps.requestId(), steps.now()));
      });
    }
    resizing(b);
    resized(b);
    ending(b);
    steps.onStep(Resizing.class, this::resize);
    steps.onStep(Resized.class, r -> r.task().isPresent() && revert(r));
    steps.onStep(ResizeEnding.class, this::end);
  }

  private void resizing(CommandHandlerWithReplyBuilder<Command, Event, State> b) {
    b.forStateType(Resizing.class)
        .onCommand(ServerEntity.Get.class, (s, c) -> steps.reply(c.replyTo(), s))
        .onCommand(StepAnswered.class, this::answered)
        .onCommand(ServerEntity.TaskDone.class, (s, c) -> s.move().isEmpty() && s.step() == Task.RESIZE_MIGRATING
                && c.task() == Task.RESIZE_MIGRATING
            ? steps.persist(new ServerEntity.ServerResized(s.flavor(), c.power(), Optional.empty(), steps.now()))
            : effect.noReply())
        .onCommand(ServerEntity.DiskExported.class, (s, c) -> s.move()
                .filter(m -> m.source().equals(c.host()) && m.boot().isEmpty()).isPresent()
            ? steps.persist(new ServerEntity.DiskCopied(c.sha512(), steps.now()))
            : effect.noReply())
        .onCommand(ServerEntity.Spawned.class, (s, c) -> s.move()
                .filter(m -> m.target().equals(c.host()) && m.boot().isPresent()).isPresent()
            ? steps.persist(new ServerEntity.ServerResized(s.flavor(), c.power(), Optional.of(c.host()), steps.now()))
            : effect.noReply())
        .onCommand(ServerEntity.SpawnFailed.class, (s, c) -> s.move().filter(m -> m.target().equals(c.host())).isPresent()
            ? failed(s, c.reason()) : effect.noReply())
        .onCommand(ServerEntity.TaskFailedOnHost.class, (s, c) -> c.task() == s.step() && s.quotaHeld()
            ? failed(s, c.reason()) : effect.noReply())
        .onCommand(ServerEntity.Tick.class, (s, c) -> steps.expired(s.since(), steps.settings.taskTimeout())
            ? failed(s, "Timed out waiting for the host")
            : steps.driveAgain());
  }

  /**
   * The step of a resize: hold the quota, claim room (on the server's host for the larger
   * flavor, or on the host it moves to for the new one), then resize in place, or copy the disk
   * out of the source and spawn the server on the target from that copy.
   */
  private boolean resize(Resizing r) {
    Server server = r.server();
    String source = server.host().orElseThrow();
    Server resized = server.resizedTo(r.flavor());
    Resources larger = server.spec().flavor().resources().max(r.flavor().resources());
    if (!r.quotaHeld()) {
      steps.ask(QUOTA, () -> steps.hosts.reserveQuota(server.spec().projectId(), steps.serverId, larger));
    } else if (r.step() == Task.RESIZE_PREP) {
      String host = r.move().map(Move::target).orElse(source);
      steps.claim(CLAIM + host, host, r.move().isPresent() ? r.flavor().resources() : larger, server);
    } else if (r.move().isEmpty()) {
      steps.hosts.tellAgent(source, new HostAgentCommand.ResizeServer(steps.serverId,
          steps.spawnCommand(resized, r.powerOn()), Task.RESIZE_MIGRATING));
    } else if (r.move().get().boot().isEmpty()) {
      steps.hosts.tellAgent(source, new HostAgentCommand.ExportDisk(steps.serverId));
    } else if (!server.portsBoundTo(r.move().get().target())) {
      // its ports go with it: bound to the target (whose agent plugs them) before it is spawned there
      String target = r.move().get().target();
      steps.ask(BIND + target, () -> Answers.refusalOfReply(steps.ports.bind(server.ports(), target)));
    } else {
      steps.hosts.tellAgent(r.move().get().target(), new HostAgentCommand.SpawnServer(steps.serverId,
          resized.spec().name(), r.flavor().resources(), r.move().get().boot().get(), r.powerOn(), resized.ports(),
          resized.spec().networks().hostLocal(), InstanceMetadata.of(steps.serverId, resized.spec())));
    }
    return true;
  }

  private ReplyEffect<Event, State> answered(Resizing s, StepAnswered c) {
    steps.answered(c);
    if (c.unanswered()) return effect.noReply(); // the next tick asks again
    if (!s.quotaHeld() && c.step().equals(QUOTA)) {
      if (c.refusal().isPresent()) {
        Rejection refusal = c.refusal().get();
        return steps.persistAndAnswer(new ServerEntity.ResizeRefused(refusal.kind(), refusal.message(), steps.now()),
            Rejection.of(refusal.kind(), refusal.message()));
      }
      return steps.persistAndAnswer(new ServerEntity.ResizeQuotaHeld(steps.now()), StatusReply.ack());
    }
    if (s.move().isPresent() && c.step().equals(BIND + s.move().get().target())) {
      return c.refusal().isPresent() ? failed(s, c.refusal().get().message())
          : steps.persist(new ServerEntity.PortsBound(s.move().get().target(), steps.now()));
    }
    String claimedOn = s.move().map(Move::target).orElse(s.server().host().orElseThrow());
    if (!s.quotaHeld() || s.step() != Task.RESIZE_PREP || !c.step().equals(CLAIM + claimedOn)) return effect.noReply();
    if (c.refusal().isEmpty()) return steps.persist(new ServerEntity.ResizeClaimed(steps.now()));
    // the server's own host refusing is not the end: the resize moves it to the best other host with room
    String why = "No valid host was found. " + c.refusal().get().message();
    if (s.move().isPresent()) return failed(s, why);
    // its volumes' disks are what their storage hosts exported to this host (a file here, or NBD):
    // it moves to no other host while they are attached, as a move would need each exported anew
    if (!s.server().volumes().isEmpty()) return failed(s, why + " A server with volumes attached is resized on its own host.");
    Demand demand = s.server().resizedTo(s.flavor()).spec().demand();
    List<String> targets = steps.hosts.candidates(demand, Set.of(claimedOn));
    if (targets.isEmpty()) return failed(s, why);
    return steps.persist(new ServerEntity.ResizeTargetSelected(targets.get(0), steps.now()));
  }

  /** The resize did not happen: the server keeps its flavor where it was ({@link ResizeEnding} tidies up). */
  private ReplyEffect<Event, State> failed(Resizing s, String reason) {
    steps.context.getLog().info("resize of server {} to flavor {} failed: {}", steps.serverId, s.flavor().id(), reason);
    // only a client still waiting for the quota is told
    return steps.persistAndAnswer(new ServerEntity.ResizeFailed(reason, steps.now()), Rejection.unavailable(reason));
  }

  private void resized(CommandHandlerWithReplyBuilder<Command, Event, State> b) {
    b.forStateType(Resized.class)
        .onCommand(ServerEntity.Get.class, (s, c) -> steps.reply(c.replyTo(), s))
        .onCommand(ServerEntity.ConfirmResize.class, (s, c) -> {
          if (s.task().isPresent()) return effect.reply(c.replyTo(), steps.busy("confirmResize", s.task().get()));
          steps.await(c.replyTo()); // answered once the quota and the hosts hold the new flavor alone
          return steps.persist(new ServerEntity.ResizeConfirmed(steps.requestId(), steps.now()));
        })
        .onCommand(ServerEntity.RevertResize.class, (s, c) -> steps.unlessBusy(s.task(), "revertResize",
            new ServerEntity.RevertRequested(steps.requestId(), steps.now()), c.replyTo()))
        .onCommand(ServerEntity.TaskDone.class, (s, c) -> s.task().isPresent() && s.source().isEmpty()
                && c.task() == Task.RESIZE_REVERTING
            ? steps.persist(new ServerEntity.ResizeReverted(s.oldFlavor(), c.power(), Optional.empty(), steps.now()))
            : effect.noReply())
        // a moved server is reverted by removing it from its new host and starting it at its source
        .onCommand(ServerEntity.Destroyed.class, (s, c) -> s.task().isPresent() && s.source().isPresent()
                && c.host().equals(s.server().host().orElse(null))
            ? steps.persist(new ServerEntity.ResizeReverted(s.oldFlavor(),
                s.powerOn() ? PowerState.RUNNING : PowerState.SHUTDOWN, s.source(), steps.now()))
            : effect.noReply())
        .onCommand(ServerEntity.TaskFailedOnHost.class, (s, c) -> steps.taskFailed(s.task(), c))
        .onCommand(ServerEntity.Tick.class, (s, c) -> steps.taskTick(s.task(), s.since()))
        .onCommand(ServerEntity.Idle.class, (s, c) -> s.task().isEmpty() ? steps.passivate() : effect.noReply());
  }

  private boolean revert(Resized r) {
    String host = r.server().host().orElseThrow();
    if (r.source().isPresent()) {
      steps.hosts.tellAgent(host, new HostAgentCommand.DestroyServer(steps.serverId));
    } else {
      steps.hosts.tellAgent(host, new HostAgentCommand.ResizeServer(steps.serverId,
          steps.spawnCommand(r.server().resizedTo(r.oldFlavor()), r.powerOn()), Task.RESIZE_REVERTING));
    }
    return true;
  }

  private void ending(CommandHandlerWithReplyBuilder<Command, Event, State> b) {
    b.forStateType(ResizeEnding.class)
        .onCommand(ServerEntity.Get.class, (s, c) -> steps.reply(c.replyTo(), s))
        .onCommand(StepAnswered.class, (s, c) -> {
          steps.answered(c);
          if (c.unanswered() || !c.step().equals(SETTLE)) return effect.noReply();
          return steps.persistAndAnswer(new ServerEntity.ResizeSettled(steps.now()), StatusReply.ack());
        })
        // the end takes a moment; a delete now would leave the host it left holding the server
        .onCommand(ServerEntity.Delete.class, (s, c) -> effect.reply(c.replyTo(), steps.busy("delete", s.step())))
        .onCommand(ServerEntity.Tick.class, (s, c) -> steps.driveAgain());
  }

  /**
   * Brings the host and the quota down to the flavor the server keeps, lets the host it left go
   * (its copy destroyed, its room released) and starts the server where it now is if it moved back.
   */
  private boolean end(ResizeEnding e) {
    Server server = e.server();
    String host = server.host().orElseThrow();
    Resources keep = server.spec().flavor().resources();
    e.leftHost().ifPresent(left -> {
      steps.hosts.tellAgent(left, new HostAgentCommand.DestroyServer(steps.serverId));
      steps.hosts.release(left, steps.serverId);
    });
    if (e.startHere()) steps.hosts.tellAgent(host, new HostAgentCommand.StartServer(steps.serverId));
    // the ports are bound where the server now is (back at its source, after a moved one is reverted)
    steps.ask(SETTLE, () -> steps.hosts.claim(host, steps.serverId, keep, server.spec().group())
        .thenCompose(claimed -> steps.ports.bind(server.ports(), host))
        .thenCompose(bound -> steps.hosts.settleQuota(server.spec().projectId(), steps.serverId, keep))
        .thenApply(done -> Optional.<Rejection>empty()));
    return true;
  }
}
