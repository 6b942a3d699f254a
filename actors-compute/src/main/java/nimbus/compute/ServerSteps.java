package nimbus.compute;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Predicate;
import java.util.function.Supplier;
import nimbus.cluster.Rejection;
import nimbus.cluster.StepDriver;
import nimbus.compute.ServerEntity.Command;
import nimbus.compute.ServerEntity.Event;
import nimbus.compute.ServerEntity.State;
import nimbus.compute.ServerEntity.StepAnswered;
import nimbus.config.ComputeSettings;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.javadsl.EffectFactories;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * What the handlers of one {@link ServerEntity} share: its collaborators, the clock, the step
 * each phase carries out, and the effects and answers every concern uses.
 *
 * <p>Each concern registers, per phase, the step that phase carries out ({@link #onStep}); after
 * every event and after recovery {@link #drive} runs it. Steps are idempotent, so they may run
 * again after a timeout or a crash; a step asked of another entity is asked once at a time
 * ({@link #ask}) and its answer comes back as a {@link StepAnswered}. The retry timer runs exactly
 * while a step is in flight.
 */
final class ServerSteps {
  final String serverId;
  final HostGateway hosts;
  final SnapshotImages images;
  final ServerPorts ports;
  final VolumeAttachments volumes;
  final ComputeSettings settings;
  final ActorContext<Command> context;
  private final Clock clock;
  private final StepDriver<Command> driver;
  private final Optional<ActorRef<ClusterSharding.ShardCommand>> shard;
  private final EffectFactories<Event, State> effect;
  private final Map<Class<?>, Predicate<State>> steps = new HashMap<>();
  /** Clients waiting for a step's outcome (in memory: after a crash they ask again or time out). */
  private final List<ActorRef<StatusReply<Done>>> waiting = new ArrayList<>();
  /** The API request of the command being handled (set only while {@link #forRequest} runs). */
  private Optional<String> request = Optional.empty();

  ServerSteps(String serverId, HostGateway hosts, SnapshotImages images, ServerPorts ports, VolumeAttachments volumes,
      ComputeSettings settings,
      Clock clock,
      ActorContext<Command> context, TimerScheduler<Command> timers,
      Optional<ActorRef<ClusterSharding.ShardCommand>> shard, EffectFactories<Event, State> effect) {
    this.serverId = serverId;
    this.hosts = hosts;
    this.images = images;
    this.ports = ports;
    this.volumes = volumes;
    this.settings = settings;
    this.clock = clock;
    this.context = context;
    this.driver = new StepDriver<>(context, timers, settings.stepRetryInterval(), new ServerEntity.Tick(),
        a -> new StepAnswered(a.step(), a.refusal(), a.unanswered(), a.value()));
    this.shard = shard;
    this.effect = effect;
  }

  EffectFactories<Event, State> effect() {
    return effect;
  }

  /**
   * Handles a command on behalf of API request {@code requestId}: the request events its handler
   * makes meanwhile carry that id ({@link #requestId}).
   */
  ReplyEffect<Event, State> forRequest(String requestId, Supplier<ReplyEffect<Event, State>> handle) {
    request = Optional.of(requestId);
    try {
      return handle.get();
    } finally {
      request = Optional.empty();
    }
  }

  /** The API request the command being handled came with, if it came with one. */
  Optional<String> requestId() {
    return request;
  }

  // ---------------------------------------------------------------- steps

  /**
   * The step of phase {@code phase}: carries it out and says whether it is in flight (then the
   * retry timer ticks until the phase changes).
   */
  @SuppressWarnings("unchecked")
  <S extends State> void onStep(Class<S> phase, Predicate<S> step) {
    steps.put(phase, (Predicate<State>) step);
  }

  /** Carries out the step the server is in and keeps the retry timer running exactly while one is in flight. */
  void drive(State state) {
    Predicate<State> step = steps.get(state.getClass());
    driver.keepTicking(step != null && step.test(state));
  }

  /** Asks another entity for a step, unless that step is asked already; the answer comes back as {@link StepAnswered}. */
  void ask(String step, Supplier<CompletionStage<Optional<Rejection>>> answer) {
    driver.askRefusal(step, answer);
  }

  /**
   * Asks another entity for a step whose answer carries a value (the ports made), unless that step
   * is asked already; the answer comes back as a {@link StepAnswered} with the value.
   */
  <T> void askFor(String step, Supplier<CompletionStage<StatusReply<T>>> answer) {
    driver.ask(step, answer);
  }

  /** The answer of a step has come (or its time ran out): it may be asked again. */
  void answered(StepAnswered c) {
    driver.done(c.step());
  }

  /** Persists {@code event} and carries out the step the server is then in. */
  ReplyEffect<Event, State> persist(Event event) {
    return effect.persist(event).thenRun(this::drive).thenNoReply();
  }

  /** Carries out the current step again (a tick, or a report that changes nothing). */
  ReplyEffect<Event, State> driveAgain() {
    return effect.none().thenRun(this::drive).thenNoReply();
  }

  // ---------------------------------------------------------------- clients waiting for a step

  void await(ActorRef<StatusReply<Done>> replyTo) {
    waiting.add(replyTo);
  }

  /** Persists {@code event}, tells the clients waiting for the step {@code outcome}, and drives on. */
  ReplyEffect<Event, State> persistAndAnswer(Event event, StatusReply<Done> outcome) {
    return effect.persist(event).thenRun(next -> {
      answerWaiting(outcome);
      drive(next);
    }).thenNoReply();
  }

  /** Tells every waiting client the outcome. */
  void answerWaiting(StatusReply<Done> outcome) {
    waiting.forEach(to -> to.tell(outcome));
    waiting.clear();
  }

  // ---------------------------------------------------------------- answers and helpers of the handlers

  /** Starts a task, unless one is under way (then 409, as Nova answers). */
  ReplyEffect<Event, State> unlessBusy(Optional<Task> task, String action, Event event,
      ActorRef<StatusReply<Done>> replyTo) {
    return task.isPresent() ? effect.reply(replyTo, busy(action, task.get())) : accept(event, replyTo);
  }

  ReplyEffect<Event, State> accept(Event event, ActorRef<StatusReply<Done>> replyTo) {
    return effect.persist(event).thenRun(this::drive).thenReply(replyTo, s -> StatusReply.ack());
  }

  /** The host reports the task under way failed: the task ends, the server stays where it was. */
  ReplyEffect<Event, State> taskFailed(Optional<Task> task, ServerEntity.TaskFailedOnHost c) {
    if (task.isEmpty() || task.get() != c.task()) return effect.noReply();
    return persist(new ServerEntity.TaskFailed(c.task(), c.reason(), now()));
  }

  /** A tick during a task: past its deadline it failed, else it is sent again. */
  ReplyEffect<Event, State> taskTick(Optional<Task> task, Instant since) {
    if (task.isEmpty()) return effect.noReply();
    if (expired(since, settings.taskTimeout())) {
      return persist(new ServerEntity.TaskFailed(task.get(), "Timed out waiting for the host", now()));
    }
    return driveAgain();
  }

  ReplyEffect<Event, State> reply(ActorRef<StatusReply<ServerView>> to, State state) {
    return effect.reply(to, StatusReply.success(ServerEntity.view(state)));
  }

  ReplyEffect<Event, State> passivate() {
    shard.ifPresent(s -> s.tell(new ClusterSharding.Passivate<>(context.getSelf())));
    return effect.noReply();
  }

  <T> StatusReply<T> notFound() {
    return Rejection.notFound("Instance " + serverId + " could not be found.");
  }

  <T> StatusReply<T> wrongState(String action, VmState vmState) {
    return Rejection.conflict("Cannot '" + action + "' instance " + serverId
        + " while it is in vm_state " + vmState.novaName);
  }

  <T> StatusReply<T> busy(String action, Task task) {
    return Rejection.conflict("Cannot '" + action + "' instance " + serverId
        + " while it is in task_state " + task.novaName);
  }

  boolean expired(Instant since, Duration timeout) {
    return clock.instant().isAfter(since.plus(timeout));
  }

  Instant now() {
    return clock.instant();
  }

  HostAgentCommand.SpawnServer spawnCommand(Server server, boolean start) {
    return new HostAgentCommand.SpawnServer(serverId, server.spec().name(),
        server.spec().flavor().resources(), server.spec().boot(), start, server.ports(),
        server.spec().networks().hostLocal(), InstanceMetadata.of(serverId, server.spec()), server.volumes());
  }

  /** Claims {@code need} on {@code host} for the server, as step {@code step}. */
  void claim(String step, String host, Resources need, Server server) {
    ask(step, () -> Answers.refusalOfReply(hosts.claim(host, serverId, need, server.spec().group())));
  }
}
