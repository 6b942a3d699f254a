package nimbus.compute;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import nimbus.cluster.CborSerializable;
import nimbus.cluster.Entities;
import nimbus.cluster.FaultInjection;
import nimbus.cluster.Rejection;
import nimbus.cluster.StepDriver;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.EventAdapter;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One server create request (one server or several, Nova's min/max count) as a durable
 * workflow: reserve the project's quota for all of them, join their server group, create each
 * server's entity; a refusal undoes what was done (the quota given back), each step and each undo
 * an event, so a crash at any point resumes where the request stood. This is the pattern every
 * piece of work that spans entities follows (see ARCHITECTURE.md): the edge sends one command
 * here and renders the answer.
 *
 * <p>Programmatic use: send {@link Start} to
 * {@code ClusterSharding.get(system).entityRefFor(ServerCreation.TYPE_KEY, requestId)} (the API
 * request's id, which each server's create action records); it answers
 * with the ids of the servers once they exist (building), or with the {@link Rejection} that
 * stopped it. Sending the same {@code Start} again answers the same.
 */
public final class ServerCreation
    extends EventSourcedBehaviorWithEnforcedReplies<ServerCreation.Command, ServerCreation.Event, ServerCreation.State> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "ServerCreation");

  /** What the workflow asks of other entities; each call is idempotent and may be repeated. */
  public interface Steps {
    /** Empty: reserved; else why not. */
    CompletionStage<Optional<Rejection>> reserve(String projectId, Map<String, Resources> need);

    CompletionStage<Optional<Rejection>> join(String projectId, String groupId, List<String> serverIds);

    /** Creates the server on behalf of API request {@code requestId} (its create action records it). */
    CompletionStage<Optional<Rejection>> create(String serverId, ServerSpec spec, String requestId);

    /** Gives back the quota of servers that will not exist, and their places in their group. */
    CompletionStage<Void> undo(String projectId, Optional<String> groupId, List<String> serverIds);
  }

  // ---------------------------------------------------------------- commands

  /** Messages a creation understands. */
  public sealed interface Command extends CborSerializable {}

  /** Creates {@code serverIds.size()} servers from {@code spec} (several: named name-1, name-2, ...). */
  public record Start(ServerSpec spec, List<String> serverIds, ActorRef<StatusReply<Created>> replyTo)
      implements Command {}

  /** The answer: the servers exist (and build). A record, so it crosses the cluster as CBOR. */
  public record Created(List<String> serverIds) implements CborSerializable {}

  /** The answer of the current step; {@code unanswered}: ask again at the next tick. */
  record StepAnswered(String step, Optional<Rejection> refusal, boolean unanswered) implements Command {}

  record Tick() implements Command {}

  record Idle() implements Command {}

  // ---------------------------------------------------------------- events

  /** Facts in a creation's life. */
  public sealed interface Event extends CborSerializable {
    Instant at();
  }

  public record CreationRequested(ServerSpec spec, List<String> serverIds, Instant at) implements Event {}

  public record QuotaReserved(Instant at) implements Event {}

  public record GroupJoined(Instant at) implements Event {}

  public record ServerCreated(String serverId, Instant at) implements Event {}

  /** The server's entity refused it (an invalid spec): its quota and group place are given back. */
  public record ServerRefused(String serverId, Rejection.Kind kind, String reason, Instant at) implements Event {}

  /** The quota or the group refused: what was done before is undone, and the creation ends so. */
  public record CreationRefused(Rejection.Kind kind, String reason, Instant at) implements Event {}

  /** What a refusal left to undo is undone. */
  public record Undone(Instant at) implements Event {}

  // ---------------------------------------------------------------- states

  /** A creation's phases; each after the first holds the request. */
  public sealed interface State extends CborSerializable {}

  public record NotStarted() implements State {}

  /**
   * Reserving the quota, joining the group or creating the servers ({@code step} says which);
   * {@code created} and {@code refused} are the servers whose entities answered.
   */
  public record Running(Request request, Step step, List<String> created, List<String> refused,
      Optional<Rejection> firstRefusal) implements State {
    Running(Request request, Step step) {
      this(request, step, List.of(), List.of(), Optional.empty());
    }

    boolean answered(String serverId) {
      return created.contains(serverId) || refused.contains(serverId);
    }
  }

  /** A refusal after the quota was reserved: giving back what {@code serverIds} held. */
  public record Undoing(Request request, List<String> serverIds, Rejection refusal) implements State {}

  /** Done: every server exists, or the creation was refused (and undone). */
  public record Finished(Request request, Optional<Rejection> refusal) implements State {}

  /** The steps in their order. */
  public enum Step { RESERVE_QUOTA, JOIN_GROUP, CREATE_SERVERS }

  /** What was asked. */
  public record Request(ServerSpec spec, List<String> serverIds) implements CborSerializable {
    /**
     * Each server's own spec: Nova names several servers name-1, name-2, ...; they share the
     * reservation id the create answers with when asked for it ({@link #reservationId}).
     */
    ServerSpec specOf(String serverId) {
      return spec.launched(reservationId(serverIds), serverId, serverIds.size(), serverIds.indexOf(serverId));
    }

    Map<String, Resources> need() {
      Map<String, Resources> need = new LinkedHashMap<>();
      serverIds.forEach(id -> need.put(id, spec.flavor().resources()));
      return need;
    }
  }

  /** The reservation id of the create that makes these servers: "r-" and the start of the first one's id. */
  public static String reservationId(List<String> serverIds) {
    return "r-" + serverIds.get(0).substring(0, 8);
  }

  /** The phase an event leads to: the one state function of a creation. */
  public static State next(State state, Event event) {
    if (event instanceof CreationRequested e) return new Running(new Request(e.spec(), e.serverIds()), Step.RESERVE_QUOTA);
    if (state instanceof Running r) {
      if (event instanceof QuotaReserved) {
        return new Running(r.request(), r.request().spec().group().isPresent() ? Step.JOIN_GROUP : Step.CREATE_SERVERS);
      }
      if (event instanceof GroupJoined) return new Running(r.request(), Step.CREATE_SERVERS);
      if (event instanceof CreationRefused e) {
        Rejection refusal = new Rejection(e.kind(), e.reason());
        return r.step() == Step.RESERVE_QUOTA
            ? new Finished(r.request(), Optional.of(refusal))
            : new Undoing(r.request(), r.request().serverIds(), refusal);
      }
      if (event instanceof ServerCreated e) {
        return settled(new Running(r.request(), r.step(), plus(r.created(), e.serverId()), r.refused(), r.firstRefusal()));
      }
      if (event instanceof ServerRefused e) {
        return settled(new Running(r.request(), r.step(), r.created(), plus(r.refused(), e.serverId()),
            r.firstRefusal().or(() -> Optional.of(new Rejection(e.kind(), e.reason())))));
      }
    }
    if (state instanceof Undoing u && event instanceof Undone) return new Finished(u.request(), Optional.of(u.refusal()));
    throw new IllegalStateException(event.getClass().getSimpleName() + " in " + state.getClass().getSimpleName());
  }

  /** Once every server's entity has answered: done, or undoing what the refused ones hold. */
  private static State settled(Running r) {
    if (r.created().size() + r.refused().size() < r.request().serverIds().size()) return r;
    return r.refused().isEmpty()
        ? new Finished(r.request(), Optional.empty())
        : new Undoing(r.request(), r.refused(), r.firstRefusal().orElseThrow());
  }

  private static List<String> plus(List<String> ids, String id) {
    if (ids.contains(id)) return ids;
    List<String> out = new ArrayList<>(ids);
    out.add(id);
    return List.copyOf(out);
  }

  // ---------------------------------------------------------------- behavior

  private static final Duration IDLE_BEFORE_PASSIVATION = Duration.ofMinutes(1);

  private final Steps steps;
  /** The API request this creation is (its key): each server's create action records it. */
  private final String requestId;
  private final Clock clock;
  private final ActorContext<Command> context;
  private final StepDriver<Command> driver;
  private final Optional<ActorRef<ClusterSharding.ShardCommand>> shard;
  /** Clients waiting for the end: in memory only (after a crash they ask again or time out). */
  private final List<ActorRef<StatusReply<Created>>> waiting = new ArrayList<>();

  public static Behavior<Command> create(String requestId, Steps steps, Clock clock, Duration retryInterval,
      Optional<ActorRef<ClusterSharding.ShardCommand>> shard) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers ->
        new ServerCreation(requestId, steps, clock, retryInterval, context, timers, shard)));
  }

  private ServerCreation(String requestId, Steps steps, Clock clock, Duration retryInterval,
      ActorContext<Command> context, TimerScheduler<Command> timers,
      Optional<ActorRef<ClusterSharding.ShardCommand>> shard) {
    super(PersistenceId.of(TYPE_KEY.name(), requestId), Entities.JOURNAL_BACKOFF);
    this.requestId = requestId;
    this.steps = steps;
    this.clock = clock;
    this.context = context;
    this.driver = new StepDriver<>(context, timers, retryInterval, new Tick(),
        a -> new StepAnswered(a.step(), a.refusal(), a.unanswered()));
    this.shard = shard;
    context.setReceiveTimeout(IDLE_BEFORE_PASSIVATION, new Idle());
  }

  @Override
  public State emptyState() {
    return new NotStarted();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    var b = newCommandHandlerWithReplyBuilder();
    b.forStateType(NotStarted.class)
        .onCommand(Start.class, (s, c) -> {
          if (c.serverIds().isEmpty() || Set.copyOf(c.serverIds()).size() != c.serverIds().size()) {
            return Effect().reply(c.replyTo(), Rejection.invalid("a creation needs distinct server ids"));
          }
          waiting.add(c.replyTo());
          return Effect().persist(new CreationRequested(c.spec(), List.copyOf(c.serverIds()), now()))
              .thenRun(this::drive).thenNoReply();
        })
        .onCommand(Command.class, (s, c) -> Effect().noReply());
    b.forStateType(Running.class)
        .onCommand(Start.class, (s, c) -> wait(c))
        .onCommand(StepAnswered.class, this::answered)
        .onCommand(Tick.class, (s, c) -> Effect().none().thenRun(this::drive).thenNoReply())
        .onCommand(Idle.class, (s, c) -> Effect().noReply());
    b.forStateType(Undoing.class)
        .onCommand(Start.class, (s, c) -> wait(c))
        .onCommand(StepAnswered.class, (s, c) -> {
          driver.done(c.step());
          return c.unanswered() ? Effect().noReply()
              : Effect().persist(new Undone(now())).thenRun(this::drive).thenNoReply();
        })
        .onCommand(Tick.class, (s, c) -> Effect().none().thenRun(this::drive).thenNoReply())
        .onCommand(Idle.class, (s, c) -> Effect().noReply());
    b.forStateType(Finished.class)
        .onCommand(Start.class, (s, c) -> Effect().reply(c.replyTo(), outcome(s)))
        .onCommand(Idle.class, (s, c) -> {
          shard.ifPresent(sh -> sh.tell(new ClusterSharding.Passivate<>(context.getSelf())));
          return Effect().noReply();
        })
        .onCommand(Command.class, (s, c) -> Effect().noReply());
    return b.build();
  }

  private ReplyEffect<Event, State> wait(Start c) {
    waiting.add(c.replyTo());
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> answered(Running s, StepAnswered c) {
    driver.done(c.step());
    if (c.unanswered()) return Effect().noReply(); // the next tick asks again
    Optional<Event> done = switch (s.step()) {
      case RESERVE_QUOTA -> c.step().equals(QUOTA) ? Optional.of(stepDone(c, new QuotaReserved(now()))) : Optional.empty();
      case JOIN_GROUP -> c.step().equals(GROUP) ? Optional.of(stepDone(c, new GroupJoined(now()))) : Optional.empty();
      case CREATE_SERVERS -> {
        if (!c.step().startsWith(CREATE)) yield Optional.empty();
        String id = c.step().substring(CREATE.length());
        if (s.answered(id)) yield Optional.empty();
        yield Optional.of(c.refusal().isPresent()
            ? new ServerRefused(id, c.refusal().get().kind(), c.refusal().get().message(), now())
            : new ServerCreated(id, now()));
      }
    };
    // an answer of a step already done (asked twice) changes nothing
    return done.isEmpty() ? Effect().noReply() : Effect().persist(done.get()).thenRun(this::drive).thenNoReply();
  }

  private Event stepDone(StepAnswered c, Event success) {
    return c.refusal().isPresent()
        ? new CreationRefused(c.refusal().get().kind(), c.refusal().get().message(), now())
        : success;
  }

  private static final String QUOTA = "quota";
  private static final String GROUP = "group";
  private static final String CREATE = "create:";
  private static final String UNDO = "undo";

  /** Carries out the step the state is in (after every event, after recovery, at every tick). */
  private void drive(State state) {
    // ticks only while there is something to drive, so a finished creation may passivate once idle
    driver.keepTicking(state instanceof Running || state instanceof Undoing);
    if (state instanceof Running r) {
      Request req = r.request();
      switch (r.step()) {
        case RESERVE_QUOTA -> ask(QUOTA, () -> steps.reserve(req.spec().projectId(), req.need()));
        case JOIN_GROUP -> ask(GROUP, () -> steps.join(req.spec().projectId(),
            req.spec().group().orElseThrow().groupId(), req.serverIds()));
        case CREATE_SERVERS -> req.serverIds().stream().filter(id -> !r.answered(id))
            .forEach(id -> ask(CREATE + id, () -> steps.create(id, req.specOf(id), requestId)));
      }
    } else if (state instanceof Undoing u) {
      ask(UNDO, () -> steps.undo(u.request().spec().projectId(), u.request().spec().group().map(Placement::groupId),
          u.serverIds()).thenApply(done -> Optional.empty()));
    } else if (state instanceof Finished f) {
      waiting.forEach(to -> to.tell(outcome(f)));
      waiting.clear();
    }
  }

  private void ask(String step, java.util.function.Supplier<CompletionStage<Optional<Rejection>>> answer) {
    driver.askRefusal(step, answer);
  }

  private static StatusReply<Created> outcome(Finished f) {
    return f.refusal().isPresent()
        ? Rejection.of(f.refusal().get().kind(), f.refusal().get().message())
        : StatusReply.success(new Created(f.request().serverIds()));
  }

  private Instant now() {
    return clock.instant();
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), this::drive).build();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return ServerCreation::next;
  }

  @Override
  public EventAdapter<Event, ?> eventAdapter() {
    return FaultInjection.haltPoints(TYPE_KEY.name());
  }
}
