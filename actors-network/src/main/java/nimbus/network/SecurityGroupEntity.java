package nimbus.network;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import nimbus.cluster.CborSerializable;
import nimbus.cluster.Entities;
import nimbus.cluster.FaultInjection;
import nimbus.cluster.Rejection;
import nimbus.cluster.StepDriver;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;
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
 * One Neutron security group, keyed by its UUID: its rules and its members (the ports in it, with
 * the addresses they send from). A group and each of its rules hold a unit of the project's quota
 * ({@code security_group}, {@code security_group_rule}), claimed as persisted steps before they
 * exist and given back after they are gone. A project's {@code default} group has an id derived from
 * the project ({@link #defaultGroupId}), so concurrent first uses make one group; it holds no quota.
 * Every change of rules or members, and the delete, is published on {@link SecurityGroupChanged#topic}
 * for the hosts that filter its ports.
 */
public final class SecurityGroupEntity extends EventSourcedBehaviorWithEnforcedReplies<
    SecurityGroupEntity.Command, SecurityGroupEntity.Event, SecurityGroupEntity.State> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "SecurityGroup");
  public static final String TAG = "security-group";
  public static final String DEFAULT = "default";
  static final Duration IDLE_BEFORE_PASSIVATION = Duration.ofMinutes(2);

  /** The id of a project's {@code default} group. */
  public static String defaultGroupId(String projectId) {
    return UUID.nameUUIDFromBytes(("default-security-group/" + projectId).getBytes(StandardCharsets.UTF_8)).toString();
  }

  /** A new group as Neutron makes it: with egress rules for IPv4 and IPv6. */
  public static SecurityGroup requested(String id, String projectId, String name, String description, boolean stateful,
      List<String> tags, Instant at) {
    return new SecurityGroup(id, projectId, name, description, stateful,
        SecurityGroupRules.egressAnywhere(id, projectId, at), Map.of(), tags, at, at, 0, false);
  }

  // ---------------------------------------------------------------- commands

  /** Messages a security group understands. */
  public sealed interface Command extends CborSerializable {}

  /** Creates the group ({@link #requested}); answered once its quota is held. The same create again gets the same group. */
  public record Create(SecurityGroup group, ActorRef<StatusReply<SecurityGroup>> replyTo) implements Command {}

  /** Creates project {@code projectId}'s default group if it does not exist (the entity's id must be {@link #defaultGroupId}). */
  public record EnsureDefault(String projectId, ActorRef<StatusReply<SecurityGroup>> replyTo) implements Command {}

  /** The group; not found (404 SecurityGroupNotFound) while it does not exist. */
  public record Get(ActorRef<StatusReply<SecurityGroup>> replyTo) implements Command {}

  /** Changes name, description and/or tags; the default group keeps its name. */
  public record Update(Optional<String> name, Optional<String> description, Optional<List<String>> tags,
      ActorRef<StatusReply<SecurityGroup>> replyTo) implements Command {}

  /** Adds a rule ({@link SecurityGroupRules#checked}); answered once its quota is held (409 if the group has it). */
  public record AddRule(SecurityGroupRule rule, ActorRef<StatusReply<SecurityGroupRule>> replyTo) implements Command {}

  public record RemoveRule(String ruleId, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Port {@code portId} is in the group, sending from {@code addresses}; asked again, its addresses are replaced. */
  public record Join(String portId, List<String> addresses, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Port {@code portId} is no longer in the group; answered also when it was not, or the group is gone. */
  public record Leave(String portId, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Deletes the group: refused while ports are in it (409 SecurityGroupInUse); its quota goes back after. */
  public record Delete(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  record StepAnswered(StepDriver.Answer answer) implements Command {}

  record Tick() implements Command {}

  record Idle() implements Command {}

  // ---------------------------------------------------------------- events

  /** Facts in a group's life. */
  public sealed interface Event extends CborSerializable {
    Instant at();
  }

  /** Asked for; {@code claimsQuota}: it holds quota (not a default group). */
  public record GroupRequested(SecurityGroup group, boolean claimsQuota, Instant at) implements Event {}

  /** One unit of quota is held for the group or rule {@code id}. */
  public record QuotaHeld(String id, Instant at) implements Event {}

  public record GroupRefused(String reason, Instant at) implements Event {}

  public record GroupUpdated(Optional<String> name, Optional<String> description, Optional<List<String>> tags,
      Instant at) implements Event {}

  public record RuleRequested(SecurityGroupRule rule, Instant at) implements Event {}

  public record RuleRefused(String ruleId, String reason, Instant at) implements Event {}

  public record RuleRemoved(String ruleId, Instant at) implements Event {}

  /** The quota these ids held is given back. */
  public record QuotaReleased(List<String> ids, Instant at) implements Event {}

  public record MemberJoined(String portId, List<String> addresses, Instant at) implements Event {}

  public record MemberLeft(String portId, Instant at) implements Event {}

  public record GroupDeleted(Instant at) implements Event {}

  // ---------------------------------------------------------------- states

  /**
   * Where the group's quota stands: {@code claimsQuota} (not a default group), the ids whose unit
   * is held, rules waiting for theirs, and ids whose unit is to be given back.
   */
  public record Quota(boolean claimsQuota, List<String> held, List<SecurityGroupRule> pending, List<String> releasing)
      implements CborSerializable {
    public Quota {
      held = List.copyOf(held);
      pending = List.copyOf(pending);
      releasing = List.copyOf(releasing);
    }
  }

  /** A group's phases; all but {@link NoGroup} hold the group. */
  public sealed interface State extends CborSerializable {}

  public record NoGroup() implements State {}

  public sealed interface Existing extends State {
    SecurityGroup group();

    Quota quota();
  }

  /** Its own quota and its first rules' are being claimed. */
  public record Creating(SecurityGroup group, Quota quota) implements Existing {}

  public record Active(SecurityGroup group, Quota quota) implements Existing {}

  /** Refused or deleted: its quota is being given back. */
  public record Deleting(SecurityGroup group, Quota quota) implements Existing {}

  public record Gone(SecurityGroup group, Quota quota) implements Existing {}

  // ---------------------------------------------------------------- behavior

  public static Behavior<Command> create(String groupId, NetworkClaims claims, Duration stepRetry, Clock clock,
      Optional<ActorRef<ClusterSharding.ShardCommand>> shard) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
      context.setReceiveTimeout(IDLE_BEFORE_PASSIVATION, new Idle());
      return new SecurityGroupEntity(groupId, claims, clock,
          new StepDriver<>(context, timers, stepRetry, new Tick(), StepAnswered::new),
          context.spawn(Topic.create(SecurityGroupChanged.class, SecurityGroupChanged.topic(groupId)), "hosts"),
          () -> shard.ifPresent(sh -> sh.tell(new ClusterSharding.Passivate<>(context.getSelf()))));
    }));
  }

  private final String groupId;
  private final NetworkClaims claims;
  private final Clock clock;
  private final StepDriver<Command> steps;
  private final ActorRef<Topic.Command<SecurityGroupChanged>> hosts;
  private final Runnable passivate;
  /** Clients waiting for the create, and for each rule's (in memory: after a crash they ask again). */
  private final List<ActorRef<StatusReply<SecurityGroup>>> waitingCreate = new ArrayList<>();
  private final Map<String, ActorRef<StatusReply<SecurityGroupRule>>> waitingRules = new HashMap<>();

  private SecurityGroupEntity(String groupId, NetworkClaims claims, Clock clock, StepDriver<Command> steps,
      ActorRef<Topic.Command<SecurityGroupChanged>> hosts, Runnable passivate) {
    super(PersistenceId.of(TYPE_KEY.name(), groupId), Entities.JOURNAL_BACKOFF);
    this.groupId = groupId;
    this.claims = claims;
    this.clock = clock;
    this.steps = steps;
    this.hosts = hosts;
    this.passivate = passivate;
  }

  @Override
  public State emptyState() {
    return new NoGroup();
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), this::drive).build();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    var b = newCommandHandlerWithReplyBuilder();
    b.forStateType(NoGroup.class)
        .onCommand(Create.class, (s, c) -> {
          if (!c.group().id().equals(groupId)) {
            return Effect().reply(c.replyTo(), Rejection.invalid("security group id does not match its entity"));
          }
          waitingCreate.add(c.replyTo());
          return persist(new GroupRequested(c.group(), true, now()));
        })
        .onCommand(EnsureDefault.class, (s, c) -> {
          if (!defaultGroupId(c.projectId()).equals(groupId)) {
            return Effect().reply(c.replyTo(), Rejection.invalid("not the project's default security group"));
          }
          Instant at = now();
          SecurityGroup g = new SecurityGroup(groupId, c.projectId(), DEFAULT, "Default security group", true,
              SecurityGroupRules.defaults(groupId, c.projectId(), at), Map.of(), List.of(), at, at, 0, false);
          return Effect().persist(new GroupRequested(g, false, at)).thenRun(this::changed)
              .thenReply(c.replyTo(), n -> StatusReply.success(((Existing) n).group()));
        })
        .onCommand(Leave.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.ack()));
    b.forStateType(Creating.class)
        .onCommand(Create.class, (s, c) -> {
          waitingCreate.add(c.replyTo());
          return Effect().noReply();
        });
    b.forStateType(Active.class)
        .onCommand(Create.class, (s, c) -> Effect().reply(c.replyTo(), s.group().projectId().equals(c.group().projectId())
            ? StatusReply.success(s.group()) : Rejection.conflict("Security group " + groupId + " already exists.")))
        .onCommand(EnsureDefault.class, (s, c) -> Effect().reply(c.replyTo(),
            defaultGroupId(c.projectId()).equals(groupId) ? StatusReply.success(s.group())
                : Rejection.invalid("not the project's default security group")))
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.success(s.group())))
        .onCommand(Update.class, this::update)
        .onCommand(AddRule.class, this::addRule)
        .onCommand(RemoveRule.class, (s, c) -> s.group().rules().stream().anyMatch(r -> r.id().equals(c.ruleId()))
            ? Effect().persist(new RuleRemoved(c.ruleId(), now())).thenRun(this::changed)
                .thenReply(c.replyTo(), n -> StatusReply.ack())
            : Effect().reply(c.replyTo(), ruleNotFound(c.ruleId())))
        .onCommand(Join.class, (s, c) -> List.copyOf(c.addresses()).equals(s.group().members().get(c.portId()))
            ? Effect().reply(c.replyTo(), StatusReply.ack())
            : Effect().persist(new MemberJoined(c.portId(), List.copyOf(c.addresses()), now())).thenRun(this::changed)
                .thenReply(c.replyTo(), n -> StatusReply.ack()))
        .onCommand(Leave.class, (s, c) -> s.group().members().containsKey(c.portId())
            ? Effect().persist(new MemberLeft(c.portId(), now())).thenRun(this::changed)
                .thenReply(c.replyTo(), n -> StatusReply.ack())
            : Effect().reply(c.replyTo(), StatusReply.ack()))
        .onCommand(Delete.class, (s, c) -> s.group().members().isEmpty()
            ? Effect().persist(new GroupDeleted(now())).thenRun(this::changed).thenReply(c.replyTo(), n -> StatusReply.ack())
            : Effect().reply(c.replyTo(), NetworkRefusal.of(Rejection.Kind.CONFLICT, "SecurityGroupInUse",
                "Security Group " + groupId + " in use.")));
    b.forAnyState()
        .onCommand(StepAnswered.class, this::answered)
        .onCommand(Tick.class, (s, c) -> Effect().none().thenRun(this::drive).thenNoReply())
        .onCommand(Idle.class, (s, c) -> {
          if (!busy(s) && waitingCreate.isEmpty() && waitingRules.isEmpty()) passivate.run();
          return Effect().noReply();
        })
        .onCommand(Create.class, (s, c) -> Effect().reply(c.replyTo(),
            Rejection.conflict("Security group " + groupId + " already exists.")))
        .onCommand(EnsureDefault.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(Update.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(AddRule.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(RemoveRule.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(Join.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(Leave.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.ack()))
        .onCommand(Delete.class, (s, c) -> Effect().reply(c.replyTo(), notFound()));
    return b.build();
  }

  private ReplyEffect<Event, State> update(Active s, Update c) {
    boolean isDefault = !s.quota().claimsQuota();
    boolean renamed = c.name().isPresent() && !c.name().get().equals(s.group().name());
    if (renamed && (isDefault || c.name().get().equalsIgnoreCase(DEFAULT))) {
      return Effect().reply(c.replyTo(), NetworkRefusal.of(Rejection.Kind.CONFLICT,
          isDefault ? "SecurityGroupCannotUpdateDefault" : "SecurityGroupDefaultAlreadyExists",
          isDefault ? "Updating default security group not allowed." : "Default security group already exists."));
    }
    return Effect().persist(new GroupUpdated(c.name(), c.description(), c.tags(), now())).thenRun(this::changed)
        .thenReply(c.replyTo(), n -> StatusReply.success(((Existing) n).group()));
  }

  private ReplyEffect<Event, State> addRule(Active s, AddRule c) {
    SecurityGroupRule rule = c.rule();
    if (!rule.securityGroupId().equals(groupId)) {
      return Effect().reply(c.replyTo(), Rejection.invalid("rule of another security group"));
    }
    Optional<SecurityGroupRule> made = s.group().rules().stream().filter(r -> r.id().equals(rule.id())).findFirst();
    if (made.isPresent()) return Effect().reply(c.replyTo(), StatusReply.success(made.get()));
    if (s.quota().pending().stream().anyMatch(r -> r.id().equals(rule.id()))) {
      waitingRules.put(rule.id(), c.replyTo());
      return Effect().noReply();
    }
    String key = SecurityGroupRules.key(rule);
    List<SecurityGroupRule> all = new ArrayList<>(s.group().rules());
    all.addAll(s.quota().pending());
    for (SecurityGroupRule other : all) {
      if (SecurityGroupRules.key(other).equals(key)) {
        return Effect().reply(c.replyTo(), NetworkRefusal.of(Rejection.Kind.CONFLICT, "SecurityGroupRuleExists",
            "Security group rule already exists. Rule id is " + other.id() + "."));
      }
    }
    waitingRules.put(rule.id(), c.replyTo());
    return persist(new RuleRequested(rule, now()));
  }

  // ---------------------------------------------------------------- steps

  private static boolean busy(State s) {
    if (!(s instanceof Existing e)) return false;
    return s instanceof Creating || s instanceof Deleting || !e.quota().pending().isEmpty()
        || !e.quota().releasing().isEmpty();
  }

  /** After an event: hosts hear of the group's rules and members, and the steps go on. */
  private void changed(State state) {
    if (state instanceof Active a) hosts.tell(Topic.publish(new SecurityGroupChanged(a.group())));
    if (state instanceof Deleting d) hosts.tell(Topic.publish(new SecurityGroupChanged(d.group())));
    drive(state);
  }

  private void drive(State state) {
    if (state instanceof Existing e) {
      SecurityGroup g = e.group();
      Quota q = e.quota();
      if (state instanceof Creating) {
        if (!q.held().contains(g.id())) {
          steps.ask("quota " + g.id(), () -> claims.reserve(g.projectId(), "security_group", g.id()));
        } else {
          g.rules().stream().filter(r -> !q.held().contains(r.id())).findFirst().ifPresent(r ->
              steps.ask("quota " + r.id(), () -> claims.reserve(g.projectId(), "security_group_rule", r.id())));
        }
      } else if (!q.releasing().isEmpty()) {
        List<String> ids = q.releasing();
        // the step names its ids: those removed meanwhile are given back by the next one
        steps.ask("release " + String.join(",", ids), () -> claims.release(g.projectId(), ids));
      } else if (state instanceof Active && !q.pending().isEmpty()) {
        SecurityGroupRule r = q.pending().get(0);
        steps.ask("quota " + r.id(), () -> claims.reserve(g.projectId(), "security_group_rule", r.id()));
      }
    }
    steps.keepTicking(busy(state));
  }

  private ReplyEffect<Event, State> answered(State s, StepAnswered c) {
    StepDriver.Answer a = c.answer();
    steps.done(a);
    if (a.unanswered() || !(s instanceof Existing e)) return Effect().none().thenRun(this::drive).thenNoReply();
    if (a.step().startsWith("release ")) {
      List<String> ids = List.of(a.step().substring("release ".length()).split(","));
      return a.accepted() && e.quota().releasing().stream().anyMatch(ids::contains)
          ? persist(new QuotaReleased(ids, now())) : Effect().none().thenRun(this::drive).thenNoReply();
    }
    String id = a.step().substring("quota ".length());
    if (s instanceof Creating && !e.quota().held().contains(id)) {
      if (a.accepted()) return persist(new QuotaHeld(id, now()));
      Rejection why = a.refusal().get();
      return Effect().persist(new GroupRefused(why.message(), now())).thenRun(next -> {
        waitingCreate.forEach(to -> to.tell(Rejection.of(why.kind(), why.message())));
        waitingCreate.clear();
        drive(next);
      }).thenNoReply();
    }
    if (s instanceof Active && e.quota().pending().stream().anyMatch(r -> r.id().equals(id))) {
      if (a.accepted()) return persist(new QuotaHeld(id, now()));
      Rejection why = a.refusal().get();
      return Effect().persist(new RuleRefused(id, why.message(), now())).thenRun(next -> {
        ActorRef<StatusReply<SecurityGroupRule>> to = waitingRules.remove(id);
        if (to != null) to.tell(Rejection.of(why.kind(), why.message()));
        drive(next);
      }).thenNoReply();
    }
    return Effect().none().thenRun(this::drive).thenNoReply();
  }

  /** Persists a step's outcome, then answers whoever it completes. */
  private ReplyEffect<Event, State> persist(Event event) {
    return Effect().persist(event).thenRun(next -> {
      if (next instanceof Active a) {
        waitingCreate.forEach(to -> to.tell(StatusReply.success(a.group())));
        waitingCreate.clear();
        for (SecurityGroupRule r : a.group().rules()) {
          ActorRef<StatusReply<SecurityGroupRule>> to = waitingRules.remove(r.id());
          if (to != null) to.tell(StatusReply.success(r));
        }
      }
      changed(next);
    }).thenNoReply();
  }

  private <T> StatusReply<T> notFound() {
    return NetworkRefusal.of(Rejection.Kind.NOT_FOUND, "SecurityGroupNotFound",
        "Security group " + groupId + " does not exist");
  }

  private static <T> StatusReply<T> ruleNotFound(String ruleId) {
    return NetworkRefusal.of(Rejection.Kind.NOT_FOUND, "SecurityGroupRuleNotFound",
        "Security group rule " + ruleId + " does not exist");
  }

  private Instant now() {
    return clock.instant();
  }

  // ---------------------------------------------------------------- events applied

  @Override
  public EventHandler<State, Event> eventHandler() {
    return SecurityGroupEntity::next;
  }

  /** The state an event leads to; shared with the read side. */
  public static State next(State before, Event event) {
    if (event instanceof GroupRequested e) {
      Quota q = new Quota(e.claimsQuota(), List.of(), List.of(), List.of());
      return e.claimsQuota() ? new Creating(e.group(), q) : new Active(e.group(), q);
    }
    if (!(before instanceof Existing s)) throw new IllegalStateException("event before creation: " + event);
    SecurityGroup g = s.group();
    Quota q = s.quota();
    Instant at = event.at();
    if (event instanceof QuotaHeld e) {
      Quota held = new Quota(q.claimsQuota(), plus(q.held(), e.id()), without(q.pending(), e.id()), q.releasing());
      if (before instanceof Creating) {
        boolean all = held.held().contains(g.id()) && g.rules().stream().allMatch(r -> held.held().contains(r.id()));
        return all ? new Active(g, held) : new Creating(g, held);
      }
      List<SecurityGroupRule> rules = new ArrayList<>(g.rules());
      q.pending().stream().filter(r -> r.id().equals(e.id())).forEach(rules::add);
      return new Active(changed(g, g.name(), g.description(), rules, g.members(), g.tags(), at, true, false), held);
    }
    if (event instanceof GroupRefused) {
      List<String> ids = new ArrayList<>(List.of(g.id()));
      g.rules().forEach(r -> ids.add(r.id()));
      return releasing(g, new Quota(q.claimsQuota(), List.of(), List.of(), ids));
    }
    if (event instanceof GroupUpdated e) {
      return new Active(changed(g, e.name().orElse(g.name()), e.description().orElse(g.description()), g.rules(),
          g.members(), e.tags().orElse(g.tags()), at, true, false), q);
    }
    if (event instanceof RuleRequested e) {
      List<SecurityGroupRule> pending = new ArrayList<>(q.pending());
      pending.add(e.rule());
      return new Active(g, new Quota(q.claimsQuota(), q.held(), pending, q.releasing()));
    }
    if (event instanceof RuleRefused e) {
      return new Active(g, new Quota(q.claimsQuota(), q.held(), without(q.pending(), e.ruleId()), q.releasing()));
    }
    if (event instanceof RuleRemoved e) {
      List<SecurityGroupRule> rules = g.rules().stream().filter(r -> !r.id().equals(e.ruleId())).toList();
      Quota after = q.claimsQuota() ? new Quota(true, minus(q.held(), e.ruleId()), q.pending(), plus(q.releasing(),
          e.ruleId())) : q;
      return new Active(changed(g, g.name(), g.description(), rules, g.members(), g.tags(), at, true, false), after);
    }
    if (event instanceof QuotaReleased e) {
      List<String> left = q.releasing().stream().filter(id -> !e.ids().contains(id)).toList();
      Quota after = new Quota(q.claimsQuota(), q.held(), q.pending(), left);
      if (before instanceof Deleting) return releasing(g, after);
      return before instanceof Active ? new Active(g, after) : new Gone(g, after);
    }
    if (event instanceof MemberJoined e) {
      Map<String, List<String>> members = new LinkedHashMap<>(g.members());
      members.put(e.portId(), e.addresses());
      return new Active(changed(g, g.name(), g.description(), g.rules(), members, g.tags(), at, false, false), q);
    }
    if (event instanceof MemberLeft e) {
      Map<String, List<String>> members = new LinkedHashMap<>(g.members());
      members.remove(e.portId());
      return new Active(changed(g, g.name(), g.description(), g.rules(), members, g.tags(), at, false, false), q);
    }
    if (event instanceof GroupDeleted) {
      List<String> ids = new ArrayList<>(q.held());
      ids.addAll(q.releasing());
      q.pending().forEach(r -> ids.add(r.id()));
      SecurityGroup deleted = changed(g, g.name(), g.description(), g.rules(), Map.of(), g.tags(), at, false, true);
      return releasing(deleted, new Quota(q.claimsQuota(), List.of(), List.of(),
          q.claimsQuota() ? ids.stream().distinct().toList() : List.of()));
    }
    throw new IllegalArgumentException("unknown event " + event);
  }

  private static State releasing(SecurityGroup g, Quota q) {
    SecurityGroup deleted = g.deleted() ? g : changed(g, g.name(), g.description(), g.rules(), Map.of(), g.tags(),
        g.updatedAt(), false, true);
    return q.releasing().isEmpty() ? new Gone(deleted, q) : new Deleting(deleted, q);
  }

  private static SecurityGroup changed(SecurityGroup g, String name, String description, List<SecurityGroupRule> rules,
      Map<String, List<String>> members, List<String> tags, Instant at, boolean revised, boolean deleted) {
    return new SecurityGroup(g.id(), g.projectId(), name, description, g.stateful(), rules, members, tags,
        g.createdAt(), revised ? at : g.updatedAt(), g.revisionNumber() + (revised ? 1 : 0), deleted);
  }

  private static List<String> plus(List<String> ids, String id) {
    if (ids.contains(id)) return ids;
    List<String> out = new ArrayList<>(ids);
    out.add(id);
    return out;
  }

  private static List<String> minus(List<String> ids, String id) {
    return ids.stream().filter(i -> !i.equals(id)).toList();
  }

  private static List<SecurityGroupRule> without(List<SecurityGroupRule> rules, String id) {
    return rules.stream().filter(r -> !r.id().equals(id)).toList();
  }

  /** Tests kill the process just before a chosen event is written ({@link FaultInjection}). */
  @Override
  public EventAdapter<Event, ?> eventAdapter() {
    return FaultInjection.haltPoints(TYPE_KEY.name());
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return Set.of(TAG);
  }
}
