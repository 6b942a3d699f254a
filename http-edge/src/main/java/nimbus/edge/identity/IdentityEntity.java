package nimbus.edge.identity;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import nimbus.cluster.CborSerializable;
import nimbus.cluster.Entities;
import nimbus.cluster.Rejection;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * The identity catalog: domains, projects, users (with password hashes), roles, role
 * assignments and token revocations. One entity holds it all, so names stay unique and an
 * assignment never points at something deleted; identity data is small and changes rarely, and
 * a snapshot every hundred events keeps its recovery short. Password hashing happens outside
 * (it is slow); failed logins are counted here, in memory, for the lockout.
 */
public final class IdentityEntity
    extends EventSourcedBehaviorWithEnforcedReplies<IdentityEntity.Command, IdentityEntity.Event, IdentityEntity.State> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Identity");
  public static final String ENTITY_ID = "identity";
  public static final String DEFAULT_DOMAIN = "default";
  public static final List<String> STANDARD_ROLES = List.of("admin", "member", "reader");

  public record Domain(String id, String name, String description, boolean enabled) implements CborSerializable {}

  public record Project(String id, String name, String domainId, String description, boolean enabled)
      implements CborSerializable {}

  public record User(String id, String name, String domainId, String passwordHash, boolean enabled,
      Optional<String> defaultProjectId, String description) implements CborSerializable {}

  public record Role(String id, String name) implements CborSerializable {}

  public record Assignment(String userId, String projectId, String roleId) implements CborSerializable {}

  /** The whole catalog, as queries read it. */
  public record Directory(Map<String, Domain> domains, Map<String, Project> projects,
      Map<String, User> users, Map<String, Role> roles, List<Assignment> assignments,
      Map<String, Integer> userTokenGenerations, Map<String, Instant> revokedTokens,
      Map<String, Instant> lockedUntil, Map<String, Integer> projectTokenGenerations)
      implements CborSerializable {

    /** A snapshot from before a field existed reads that field as null: make it empty. */
    public Directory {
      userTokenGenerations = userTokenGenerations == null ? Map.of() : userTokenGenerations;
      revokedTokens = revokedTokens == null ? Map.of() : revokedTokens;
      lockedUntil = lockedUntil == null ? Map.of() : lockedUntil;
      projectTokenGenerations = projectTokenGenerations == null ? Map.of() : projectTokenGenerations;
    }

    static Directory empty() {
      return new Directory(Map.of(), Map.of(), Map.of(), Map.of(), List.of(), Map.of(), Map.of(), Map.of(), Map.of());
    }

    public Optional<User> userByName(String name, String domainId) {
      return users.values().stream().filter(u -> u.name().equals(name) && u.domainId().equals(domainId)).findFirst();
    }

    public Optional<Project> projectByName(String name, String domainId) {
      return projects.values().stream().filter(p -> p.name().equals(name) && p.domainId().equals(domainId)).findFirst();
    }

    public Optional<Domain> domainByName(String name) {
      return domains.values().stream().filter(d -> d.name().equals(name)).findFirst();
    }

    public Optional<Role> roleByName(String name) {
      return roles.values().stream().filter(r -> r.name().equals(name)).findFirst();
    }

    /** Role names of a user on a project, with the implied ones (admin ⊃ member ⊃ reader). */
    public List<String> rolesOn(String userId, String projectId) {
      List<String> names = new ArrayList<>();
      for (Assignment a : assignments) {
        if (a.userId().equals(userId) && a.projectId().equals(projectId) && roles.containsKey(a.roleId())) {
          names.add(roles.get(a.roleId()).name());
        }
      }
      if (names.contains("admin") && !names.contains("member")) names.add("member");
      if (names.contains("member") && !names.contains("reader")) names.add("reader");
      return List.copyOf(names);
    }

    Directory with(UnaryOperator<Map<String, Domain>> d, UnaryOperator<Map<String, Project>> p,
        UnaryOperator<Map<String, User>> u, UnaryOperator<Map<String, Role>> r,
        UnaryOperator<List<Assignment>> a) {
      return new Directory(d.apply(domains), p.apply(projects), u.apply(users), r.apply(roles),
          a.apply(assignments), userTokenGenerations, revokedTokens, lockedUntil, projectTokenGenerations);
    }
  }

  // ---------------------------------------------------------------- commands

  /** Messages the identity catalog understands. */
  public sealed interface Command extends CborSerializable {}

  /** Creates the Default domain, standard roles, admin project and admin user once. */
  public record Bootstrap(String adminPasswordHash, ActorRef<StatusReply<Boolean>> replyTo) implements Command {}

  public record GetDirectory(ActorRef<StatusReply<Directory>> replyTo) implements Command {}

  /** Creates or changes a domain (by its id). */
  public record SaveDomain(Domain domain, boolean create, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record SaveProject(Project project, boolean create, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record SaveUser(User user, boolean create, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record SaveRole(Role role, boolean create, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record DeleteDomain(String id, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record DeleteProject(String id, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record DeleteUser(String id, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record DeleteRole(String id, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record Assign(Assignment assignment, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record Unassign(Assignment assignment, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record RevokeToken(String auditId, Instant expiresAt, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** A login of this user failed (wrong password); enough of them lock the user out. */
  public record LoginFailed(String userId, int maxAttempts, java.time.Duration lockout) implements Command {}

  public record LoginSucceeded(String userId) implements Command {}

  // ---------------------------------------------------------------- events

  /** Facts about identities. */
  public sealed interface Event extends CborSerializable {}

  public record DomainSaved(Domain domain) implements Event {}

  public record ProjectSaved(Project project) implements Event {}

  public record UserSaved(User user) implements Event {}

  public record RoleSaved(Role role) implements Event {}

  public record DomainDeleted(String id) implements Event {}

  public record ProjectDeleted(String id) implements Event {}

  public record UserDeleted(String id) implements Event {}

  public record RoleDeleted(String id) implements Event {}

  public record RoleAssigned(Assignment assignment) implements Event {}

  public record RoleUnassigned(Assignment assignment) implements Event {}

  public record TokenRevoked(String auditId, Instant expiresAt) implements Event {}

  /**
   * Every token of the user issued so far is invalid (password, roles changed): those carry a
   * generation below {@code generation}. Events from before generations were numbered have 0.
   */
  public record UserTokensRevoked(String userId, Instant before, int generation) implements Event {}

  /** Every token scoped to the project issued so far is invalid (project gone or disabled). */
  public record ProjectTokensRevoked(String projectId, Instant before, int generation) implements Event {}

  /** The revocation generation after an event that names {@code explicit} (0: one more than before). */
  static int generationAfter(Integer before, int explicit) {
    int previous = before == null ? 0 : before;
    return explicit > 0 ? Math.max(previous, explicit) : previous + 1;
  }

  private static UserTokensRevoked userRevoked(Directory d, String userId) {
    return new UserTokensRevoked(userId, Instant.now(), d.userTokenGenerations().getOrDefault(userId, 0) + 1);
  }

  private static ProjectTokensRevoked projectRevoked(Directory d, String projectId) {
    return new ProjectTokensRevoked(projectId, Instant.now(), d.projectTokenGenerations().getOrDefault(projectId, 0) + 1);
  }

  // ---------------------------------------------------------------- states

  /** The catalog's phases. */
  public sealed interface State extends CborSerializable {}

  public record NotBootstrapped() implements State {}

  public record Ready(Directory directory) implements State {}

  public static Behavior<Command> create(Consumer<Event> onRevocation) {
    return new IdentityEntity(onRevocation);
  }

  private final Consumer<Event> onRevocation;
  // failed logins in a row, per user; a restart forgets them (as a lockout ends anyway)
  private final Map<String, Integer> failures = new HashMap<>();
  private final Map<String, Instant> lockedUntil = new HashMap<>();

  private IdentityEntity(Consumer<Event> onRevocation) {
    super(PersistenceId.of(TYPE_KEY.name(), ENTITY_ID), Entities.JOURNAL_BACKOFF);
    this.onRevocation = onRevocation;
  }

  @Override
  public State emptyState() {
    return new NotBootstrapped();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2);
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    var b = newCommandHandlerWithReplyBuilder();
    b.forStateType(NotBootstrapped.class)
        .onCommand(Bootstrap.class, this::bootstrap)
        .onCommand(GetDirectory.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.success(Directory.empty())));
    b.forStateType(Ready.class)
        .onCommand(Bootstrap.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.success(false)))
        .onCommand(GetDirectory.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.success(
            withLockouts(s.directory()))))
        .onCommand(SaveDomain.class, (s, c) -> save(s, c.domain(), c.create(), c.replyTo()))
        .onCommand(SaveProject.class, (s, c) -> save(s, c.project(), c.create(), c.replyTo()))
        .onCommand(SaveUser.class, (s, c) -> save(s, c.user(), c.create(), c.replyTo()))
        .onCommand(SaveRole.class, (s, c) -> save(s, c.role(), c.create(), c.replyTo()))
        .onCommand(DeleteDomain.class, this::deleteDomain)
        .onCommand(DeleteProject.class, (s, c) -> s.directory().projects().containsKey(c.id())
            ? persistAndAck(List.of(new ProjectDeleted(c.id()), projectRevoked(s.directory(), c.id())), c.replyTo())
            : Effect().reply(c.replyTo(), Rejection.notFound("Could not find project: " + c.id() + ".")))
        .onCommand(DeleteUser.class, (s, c) -> s.directory().users().containsKey(c.id())
            ? persistAndAck(List.of(new UserDeleted(c.id()), userRevoked(s.directory(), c.id())), c.replyTo())
            : Effect().reply(c.replyTo(), Rejection.notFound("Could not find user: " + c.id() + ".")))
        .onCommand(DeleteRole.class, (s, c) -> s.directory().roles().containsKey(c.id())
            ? persistAndAck(roleDeleted(s.directory(), c.id()), c.replyTo())
            : Effect().reply(c.replyTo(), Rejection.notFound("Could not find role: " + c.id() + ".")))
        .onCommand(Assign.class, this::assign)
        .onCommand(Unassign.class, (s, c) -> s.directory().assignments().contains(c.assignment())
            ? persistAndAck(List.of(new RoleUnassigned(c.assignment()),
                userRevoked(s.directory(), c.assignment().userId())), c.replyTo())
            : Effect().reply(c.replyTo(), Rejection.notFound("Could not find role assignment.")))
        .onCommand(RevokeToken.class, (s, c) -> persistAndAck(List.of(new TokenRevoked(c.auditId(), c.expiresAt())), c.replyTo()))
        .onCommand(LoginFailed.class, (s, c) -> {
          int n = failures.merge(c.userId(), 1, Integer::sum);
          if (n >= c.maxAttempts()) {
            lockedUntil.put(c.userId(), Instant.now().plus(c.lockout()));
            failures.remove(c.userId());
          }
          return Effect().noReply();
        })
        .onCommand(LoginSucceeded.class, (s, c) -> {
          failures.remove(c.userId());
          return Effect().noReply();
        });
    return b.build();
  }

  private Directory withLockouts(Directory d) {
    Instant now = Instant.now();
    lockedUntil.values().removeIf(t -> t.isBefore(now));
    return new Directory(d.domains(), d.projects(), d.users(), d.roles(), d.assignments(),
        d.userTokenGenerations(), d.revokedTokens(), Map.copyOf(lockedUntil), d.projectTokenGenerations());
  }

  private ReplyEffect<Event, State> bootstrap(NotBootstrapped s, Bootstrap c) {
    List<Event> events = new ArrayList<>();
    events.add(new DomainSaved(new Domain(DEFAULT_DOMAIN, "Default", "The default domain", true)));
    String adminRole = newId();
    for (String role : STANDARD_ROLES) {
      events.add(new RoleSaved(new Role(role.equals("admin") ? adminRole : newId(), role)));
    }
    String project = newId();
    String user = newId();
    events.add(new ProjectSaved(new Project(project, "admin", DEFAULT_DOMAIN, "Bootstrap project", true)));
    events.add(new UserSaved(new User(user, "admin", DEFAULT_DOMAIN, c.adminPasswordHash(), true,
        Optional.of(project), "The cloud's first administrator")));
    events.add(new RoleAssigned(new Assignment(user, project, adminRole)));
    return Effect().persist(events).thenReply(c.replyTo(), st -> StatusReply.success(true));
  }

  private ReplyEffect<Event, State> save(Ready s, CborSerializable record, boolean create,
      ActorRef<StatusReply<Done>> replyTo) {
    Directory d = s.directory();
    Optional<String> conflict = Optional.empty();
    Event event;
    if (record instanceof Domain x) {
      if (d.domainByName(x.name()).filter(o -> !o.id().equals(x.id())).isPresent()) conflict = Optional.of("domain " + x.name());
      event = new DomainSaved(x);
    } else if (record instanceof Project x) {
      if (!d.domains().containsKey(x.domainId())) return Effect().reply(replyTo, Rejection.notFound("Could not find domain: " + x.domainId() + "."));
      if (d.projectByName(x.name(), x.domainId()).filter(o -> !o.id().equals(x.id())).isPresent()) conflict = Optional.of("project " + x.name());
      event = new ProjectSaved(x);
    } else if (record instanceof User x) {
      if (!d.domains().containsKey(x.domainId())) return Effect().reply(replyTo, Rejection.notFound("Could not find domain: " + x.domainId() + "."));
      if (d.userByName(x.name(), x.domainId()).filter(o -> !o.id().equals(x.id())).isPresent()) conflict = Optional.of("user " + x.name());
      event = new UserSaved(x);
    } else if (record instanceof Role x) {
      if (d.roleByName(x.name()).filter(o -> !o.id().equals(x.id())).isPresent()) conflict = Optional.of("role " + x.name());
      event = new RoleSaved(x);
    } else {
      return Effect().reply(replyTo, Rejection.invalid("not an identity record"));
    }
    if (conflict.isPresent()) {
      return Effect().reply(replyTo, Rejection.conflict("Conflict occurred attempting to store "
          + conflict.get() + ". Duplicate entry found."));
    }
    List<Event> events = new ArrayList<>(List.of(event));
    if (!create && event instanceof ProjectSaved p && !p.project().enabled()) {
      events.add(projectRevoked(d, p.project().id()));
    }
    if (!create && event instanceof DomainSaved dom && !dom.domain().enabled()) {
      // a disabled domain's users may no longer act
      d.users().values().stream().filter(u -> u.domainId().equals(dom.domain().id()))
          .forEach(u -> events.add(userRevoked(d, u.id())));
    }
    if (!create && event instanceof UserSaved u) {
      User before = d.users().get(u.user().id());
      boolean credentialsChanged = before != null
          && (!before.passwordHash().equals(u.user().passwordHash()) || (before.enabled() && !u.user().enabled()));
      if (credentialsChanged) events.add(userRevoked(d, u.user().id()));
    }
    return persistAndAck(events, replyTo);
  }

  /** The role goes, with its assignments; tokens carrying it are revoked. */
  private static List<Event> roleDeleted(Directory d, String roleId) {
    List<Event> events = new ArrayList<>(List.of(new RoleDeleted(roleId)));
    d.assignments().stream().filter(a -> a.roleId().equals(roleId)).map(Assignment::userId).distinct()
        .forEach(user -> events.add(userRevoked(d, user)));
    return events;
  }

  private ReplyEffect<Event, State> deleteDomain(Ready s, DeleteDomain c) {
    Domain domain = s.directory().domains().get(c.id());
    if (domain == null) return Effect().reply(c.replyTo(), Rejection.notFound("Could not find domain: " + c.id() + "."));
    if (domain.enabled()) {
      return Effect().reply(c.replyTo(), Rejection.of(Rejection.Kind.FORBIDDEN,
          "Cannot delete a domain that is enabled, please disable it first."));
    }
    boolean inUse = s.directory().projects().values().stream().anyMatch(p -> p.domainId().equals(c.id()))
        || s.directory().users().values().stream().anyMatch(u -> u.domainId().equals(c.id()));
    if (inUse) return Effect().reply(c.replyTo(), Rejection.conflict("Domain " + c.id() + " still holds projects or users."));
    return persistAndAck(List.of(new DomainDeleted(c.id())), c.replyTo());
  }

  private ReplyEffect<Event, State> assign(Ready s, Assign c) {
    Directory d = s.directory();
    Assignment a = c.assignment();
    if (!d.users().containsKey(a.userId())) return Effect().reply(c.replyTo(), Rejection.notFound("Could not find user: " + a.userId() + "."));
    if (!d.projects().containsKey(a.projectId())) return Effect().reply(c.replyTo(), Rejection.notFound("Could not find project: " + a.projectId() + "."));
    if (!d.roles().containsKey(a.roleId())) return Effect().reply(c.replyTo(), Rejection.notFound("Could not find role: " + a.roleId() + "."));
    if (d.assignments().contains(a)) return Effect().reply(c.replyTo(), StatusReply.ack());
    return persistAndAck(List.of(new RoleAssigned(a)), c.replyTo());
  }

  private ReplyEffect<Event, State> persistAndAck(List<Event> events, ActorRef<StatusReply<Done>> replyTo) {
    return Effect().persist(events)
        .thenRun(st -> events.stream()
            .filter(e -> e instanceof TokenRevoked || e instanceof UserTokensRevoked
                || e instanceof ProjectTokensRevoked)
            .forEach(onRevocation))
        .thenReply(replyTo, st -> StatusReply.ack());
  }

  static String newId() {
    return java.util.UUID.randomUUID().toString().replace("-", "");
  }

  // ---------------------------------------------------------------- events applied

  @Override
  public EventHandler<State, Event> eventHandler() {
    var b = newEventHandlerBuilder();
    b.forAnyState().onAnyEvent((state, event) -> {
      Directory d = state instanceof Ready r ? r.directory() : Directory.empty();
      return new Ready(apply(d, event));
    });
    return b.build();
  }

  static Directory apply(Directory d, Event e) {
    if (e instanceof DomainSaved x) return d.with(put(x.domain().id(), x.domain()), same(), same(), same(), same());
    if (e instanceof ProjectSaved x) return d.with(same(), put(x.project().id(), x.project()), same(), same(), same());
    if (e instanceof UserSaved x) return d.with(same(), same(), put(x.user().id(), x.user()), same(), same());
    if (e instanceof RoleSaved x) return d.with(same(), same(), same(), put(x.role().id(), x.role()), same());
    if (e instanceof DomainDeleted x) return d.with(remove(x.id()), same(), same(), same(), same());
    if (e instanceof ProjectDeleted x) {
      return d.with(same(), remove(x.id()), same(), same(), without(a -> a.projectId().equals(x.id())));
    }
    if (e instanceof UserDeleted x) {
      return d.with(same(), same(), remove(x.id()), same(), without(a -> a.userId().equals(x.id())));
    }
    if (e instanceof RoleDeleted x) {
      return d.with(same(), same(), same(), remove(x.id()), without(a -> a.roleId().equals(x.id())));
    }
    if (e instanceof RoleAssigned x) {
      return d.with(same(), same(), same(), same(), list -> {
        List<Assignment> next = new ArrayList<>(list);
        next.add(x.assignment());
        return List.copyOf(next);
      });
    }
    if (e instanceof RoleUnassigned x) return d.with(same(), same(), same(), same(), without(x.assignment()::equals));
    Instant now = Instant.now();
    if (e instanceof TokenRevoked x) {
      Map<String, Instant> revoked = new HashMap<>(d.revokedTokens());
      revoked.values().removeIf(expiry -> expiry.isBefore(now)); // expired tokens need no entry
      revoked.put(x.auditId(), x.expiresAt());
      return new Directory(d.domains(), d.projects(), d.users(), d.roles(), d.assignments(),
          d.userTokenGenerations(), Map.copyOf(revoked), d.lockedUntil(), d.projectTokenGenerations());
    }
    if (e instanceof UserTokensRevoked x) {
      Map<String, Integer> generations = new HashMap<>(d.userTokenGenerations());
      generations.compute(x.userId(), (user, before) -> generationAfter(before, x.generation()));
      return new Directory(d.domains(), d.projects(), d.users(), d.roles(), d.assignments(),
          Map.copyOf(generations), d.revokedTokens(), d.lockedUntil(), d.projectTokenGenerations());
    }
    if (e instanceof ProjectTokensRevoked x) {
      Map<String, Integer> generations = new HashMap<>(d.projectTokenGenerations());
      generations.compute(x.projectId(), (project, before) -> generationAfter(before, x.generation()));
      return new Directory(d.domains(), d.projects(), d.users(), d.roles(), d.assignments(),
          d.userTokenGenerations(), d.revokedTokens(), d.lockedUntil(), Map.copyOf(generations));
    }
    return d;
  }

  private static <T> UnaryOperator<T> same() {
    return x -> x;
  }

  private static <V> UnaryOperator<Map<String, V>> put(String id, V value) {
    return m -> {
      Map<String, V> next = new HashMap<>(m);
      next.put(id, value);
      return Map.copyOf(next);
    };
  }

  private static <V> UnaryOperator<Map<String, V>> remove(String id) {
    return m -> {
      Map<String, V> next = new HashMap<>(m);
      next.remove(id);
      return Map.copyOf(next);
    };
  }

  private static UnaryOperator<List<Assignment>> without(java.util.function.Predicate<Assignment> gone) {
    return list -> list.stream().filter(a -> !gone.test(a)).toList();
  }
}
