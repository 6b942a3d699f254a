package nimbus.compute;

import java.util.List;
import java.util.Optional;
import nimbus.cluster.Rejection;
import nimbus.compute.ServerEntity.ChangingNics;
import nimbus.compute.ServerEntity.Command;
import nimbus.compute.ServerEntity.Event;
import nimbus.compute.ServerEntity.State;
import nimbus.compute.ServerEntity.StepAnswered;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import org.apache.pekko.persistence.typed.javadsl.EffectFactories;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * Nova's os-interface, as persisted steps of the server. Attach: {@code NicAttachRequested} →
 * the port made or the user's claimed ({@code NicAllocated}) → bound to the server's host
 * ({@code NicBound}) → plugged by the host ({@code NicAttached}, and then the client's answer).
 * Detach: {@code NicDetachRequested} → unplugged by the host ({@code NicDetached}) → the port deleted, or the user's let
 * go ({@code NicReleased}). An attach that fails or times out gives back what it made, the same
 * way. The server then goes back to the phase it was in.
 */
final class ServerNics {
  private static final List<Class<? extends State>> PHASES = List.of(ServerEntity.Active.class,
      ServerEntity.Stopped.class, ServerEntity.Paused.class);

  private final ServerSteps steps;
  private final EffectFactories<Event, State> effect;

  ServerNics(ServerSteps steps) {
    this.steps = steps;
    this.effect = steps.effect();
  }

  void handlers(CommandHandlerWithReplyBuilder<Command, Event, State> b) {
    for (Class<? extends State> phase : PHASES) {
      b.forStateType(phase)
          .onCommand(ServerEntity.AttachNic.class, this::attach)
          .onCommand(ServerEntity.DetachNic.class, this::detach);
    }
    b.forStateType(ChangingNics.class)
        .onCommand(ServerEntity.Get.class, (s, c) -> steps.reply(c.replyTo(), s))
        .onCommand(StepAnswered.class, this::answered)
        .onCommand(ServerEntity.NicPlugged.class, (s, c) -> current(s, c.host(), c.portId(), NicChange.Step.PLUGGING)
            ? steps.persistAndAnswer(new ServerEntity.NicAttached(steps.now()), StatusReply.ack())
            : effect.noReply())
        .onCommand(ServerEntity.NicPlugFailed.class, (s, c) -> current(s, c.host(), c.portId(), NicChange.Step.PLUGGING)
            ? failed("Failed to attach network adapter device to " + steps.serverId + ": " + c.reason())
            : effect.noReply())
        .onCommand(ServerEntity.NicUnplugged.class, (s, c) -> current(s, c.host(), c.portId(), NicChange.Step.UNPLUGGING)
            ? steps.persist(new ServerEntity.NicDetached(steps.now()))
            : effect.noReply())
        .onCommand(ServerEntity.AttachNic.class, (s, c) -> effect.reply(c.replyTo(), busy("attach an interface to")))
        .onCommand(ServerEntity.DetachNic.class, (s, c) -> effect.reply(c.replyTo(), busy("detach an interface from")))
        .onCommand(ServerEntity.Tick.class, (s, c) -> s.change().attach()
                && s.change().step().compareTo(NicChange.Step.PLUGGING) <= 0
                && steps.expired(s.since(), steps.settings.taskTimeout())
            ? failed("Timed out attaching an interface to " + steps.serverId)
            : steps.driveAgain());
    steps.onStep(ChangingNics.class, this::step);
  }

  private ReplyEffect<Event, State> attach(State s, ServerEntity.AttachNic c) {
    if (s.task().isPresent()) return effect.reply(c.replyTo(), steps.busy("attach_interface", s.task().get()));
    if (s.server().ports().stream().anyMatch(p -> p.portId().equals(c.portId()))) {
      return effect.reply(c.replyTo(), Rejection.conflict("Port " + c.portId() + " is still in use."));
    }
    steps.await(c.replyTo());
    return steps.persist(new ServerEntity.NicAttachRequested(c.nic(), c.portId(), steps.requestId(), steps.now()));
  }

  private ReplyEffect<Event, State> detach(State s, ServerEntity.DetachNic c) {
    if (s.task().isPresent()) return effect.reply(c.replyTo(), steps.busy("detach_interface", s.task().get()));
    if (s.server().ports().stream().noneMatch(p -> p.portId().equals(c.portId()))) {
      return effect.reply(c.replyTo(), Rejection.notFound("Port " + c.portId() + " is not attached"));
    }
    return steps.accept(new ServerEntity.NicDetachRequested(c.portId(), steps.requestId(), steps.now()), c.replyTo());
  }

  private boolean step(ChangingNics s) {
    NicChange change = s.change();
    Server server = s.server();
    String host = server.host().orElseThrow();
    switch (change.step()) {
      case ALLOCATING -> steps.askFor(stepName("allocate", change), () -> steps.ports.allocateOne(steps.serverId,
          server.spec().projectId(), change.request().orElseThrow(), change.portId()));
      case BINDING -> steps.ask(stepName("bind", change), () -> Answers.refusalOfReply(
          steps.ports.bind(List.of(change.port().orElseThrow()), host)));
      case PLUGGING -> {
        ServerPort port = change.port().orElseThrow().boundTo(host);
        List<ServerPort> all = new java.util.ArrayList<>(server.ports());
        all.add(port);
        steps.hosts.tellAgent(host, new HostAgentCommand.AttachNic(steps.serverId, server.spec().name(), all, port));
      }
      case UNPLUGGING -> steps.hosts.tellAgent(host, new HostAgentCommand.DetachNic(steps.serverId,
          server.spec().name(), server.ports().stream().filter(p -> !p.portId().equals(change.portId())).toList(),
          change.port().orElseThrow()));
      case RELEASING -> steps.ask(stepName("release", change), () -> Answers.refusalOfReply(steps.ports.release(
          steps.serverId, List.of(new ServerPorts.PortRef(change.portId(), change.port().map(ServerPort::networkId),
              change.owned())))));
    }
    return true;
  }

  @SuppressWarnings("unchecked")
  private ReplyEffect<Event, State> answered(ChangingNics s, StepAnswered c) {
    steps.answered(c);
    NicChange change = s.change();
    if (c.unanswered()) return effect.noReply(); // the next tick asks again
    if (change.step() == NicChange.Step.ALLOCATING && c.step().equals(stepName("allocate", change))) {
      return c.refusal().isPresent() ? failed(c.refusal().get())
          : steps.persist(new ServerEntity.NicAllocated((ServerPort) c.value().orElseThrow(), steps.now()));
    }
    if (change.step() == NicChange.Step.BINDING && c.step().equals(stepName("bind", change))) {
      return c.refusal().isPresent() ? failed(c.refusal().get()) : steps.persist(new ServerEntity.NicBound(steps.now()));
    }
    if (change.step() == NicChange.Step.RELEASING && c.step().equals(stepName("release", change))
        && c.refusal().isEmpty()) {
      return steps.persist(new ServerEntity.NicReleased(steps.now()));
    }
    return effect.noReply();
  }

  private ReplyEffect<Event, State> failed(String reason) {
    return failed(new Rejection(Rejection.Kind.CONFLICT, reason));
  }

  /** The attach did not happen: what it made is given back, and the waiting client learns why. */
  private ReplyEffect<Event, State> failed(Rejection why) {
    return steps.persistAndAnswer(new ServerEntity.NicAttachFailed(why.message(), steps.now()),
        Rejection.of(why.kind(), why.message()));
  }

  private boolean current(ChangingNics s, String host, String portId, NicChange.Step step) {
    return s.change().step() == step && s.change().portId().equals(portId)
        && s.server().host().equals(Optional.of(host));
  }

  private <T> StatusReply<T> busy(String what) {
    return Rejection.conflict("Cannot " + what + " instance " + steps.serverId
        + " while another interface is being attached or detached");
  }

  private static String stepName(String what, NicChange change) {
    return "nic-" + what + ":" + change.portId();
  }
}
