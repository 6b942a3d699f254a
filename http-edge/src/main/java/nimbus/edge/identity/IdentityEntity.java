package nimbus.edge.identity;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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
 * (it is slow); failed logins and lockouts are events here, so a restart keeps them. A login
 * gets one user's record ({@link GetLogin}); reads get the catalog without password hashes.
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

  /**
   * A user; {@code ignoreLockout} is Keystone's {@code ignore_lockout_failure_attempts} option
   * (failed logins never lock this user out: the bootstrap admin has it).
   */
  public record User(String id, String name, String domainId, String passwordHash, boolean enabled,
      Optional<String> defaultProjectId, String description, boolean ignoreLockout) implements CborSerializable {

    User withoutSecret() {
      return new User(id, name, domainId, "", enabled, defaultProjectId, description, ignoreLockout);
    }
  }

  /** Who logs in: a user by id, or by name in a domain (by id or name). */
  public record UserRef(Optional<String> id, Optional<String> name, Optional<String> domainId,
      Optional<String> domainName) implements CborSerializable {}

  /** The project a token is for (empty: unscoped). */
  public record ProjectRef(Optional<String> id, Optional<String> name, Optional<String> domainId,
      Optional<String> domainName) implements CborSerializable {}

  public record Role(String id, String name) implements CborSerializable {}

  public record Assignment(String userId, String projectId, String roleId) implements CborSerializable {}

  /** A group of users of a domain (no roles of its own yet: a group grant is not offered). */
  public record Group(String id, String name, String domainId, String description, Set<String> userIds)
      implements CborSerializable {

    Group withUsers(Set<String> users) {
      return new Group(id, name, domainId, description, Set.copyOf(users));
    }
  }

  /** The whole catalog, as queries read it. */
  public record Directory(Map<String, Domain> domains, Map<String, Project> projects,
      Map<String, User> users, Map<String, Role> roles, List<Assignment> assignments,
      Map<String, Integer> userTokenGenerations, Map<String, Instant> revokedTokens,
      Map<String, Instant> lockedUntil, Map<String, Integer> projectTokenGenerations,
      Map<String, Integer> failedLogins, ServiceCatalog catalog, Map<String, Group> groups) implements CborSerializable {

    /** A snapshot from before a field existed reads that field as null: make it empty. */
    public Directory {
      userTokenGenerations = userTokenGenerations == null ? Map.of() : userTokenGenerations;
      revokedTokens = revokedTokens == null ? Map.of() : revokedTokens;
      lockedUntil = lockedUntil == null ? Map.of() : lockedUntil;
      projectTokenGenerations = projectTokenGenerations == null ? Map.of() : projectTokenGenerations;
      failedLogins = failedLogins == null ? Map.of() : failedLogins;
      catalog = catalog == null ? ServiceCatalog.empty() : catalog;
      groups = groups == null ? Map.of() : groups;
    }

    static Directory empty() {
      return new Directory(Map.of(), Map.of(), Map.of(), Map.of(), List.of(), Map.of(), Map.of(), Map.of(), Map.of(),
          Map.of(), ServiceCatalog.empty(), Map.of());
    }

    /** The catalog as reads see it: no password hash, no failed-login counts. */
    Directory withoutSecrets() {
      Map<String, User> users = new HashMap<>();
      this.users.forEach((id, u) -> users.put(id, u.withoutSecret()));
      return new Directory(domains, projects, Map.copyOf(users), roles, assignments, userTokenGenerations,
          revokedTokens, lockedUntil, projectTokenGenerations, Map.of(), catalog, groups);
    }

    /**
     * What a login of {@code ref} (into {@code scope}) needs and no more: that one user (with its
     * hash) if it exists, the project, the domains and roles, the user's assignments, and its
     * generations and lockout. Other users never leave the entity.
     */
    Directory forLogin(UserRef ref, Optional<ProjectRef> scope) {
      Optional<User> user = find(ref);
      Optional<Project> project = scope.flatMap(this::findProject);
      String userId = user.map(User::id).orElse("");
      return new Directory(domains, project.map(p -> Map.of(p.id(), p)).orElse(Map.of()),
          user.map(u -> Map.of(u.id(), u)).orElse(Map.of()), roles,
          assignments.stream().filter(a -> a.userId().equals(userId)).toList(),
          only(userTokenGenerations, userId), Map.of(), only(lockedUntil, userId),
          project.map(p -> only(projectTokenGenerations, p.id())).orElse(Map.of()), Map.of(), catalog, Map.of());
    }

    private static <V> Map<String, V> only(Map<String, V> map, String key) {
      V value = map.get(key);
      return value == null ? Map.of() : Map.of(key, value);
    }

    public Optional<User> find(UserRef ref) {
      if (ref.id().isPresent()) return Optional.ofNullable(users.get(ref.id().get()));
      Optional<String> domain = domainOf(ref.domainId(), ref.domainName());
      if (ref.name().isEmpty() || domain.isEmpty()) return Optional.empty();
      return userByName(ref.name().get(), domain.get());
    }

    public Optional<Project> findProject(ProjectRef ref) {
      if (ref.id().isPresent()) return Optional.ofNullable(projects.get(ref.id().get()));
      Optional<String> domain = domainOf(ref.domainId(), ref.domainName());
      if (ref.name().isEmpty() || domain.isEmpty()) return Optional.empty();
      return projectByName(ref.name().get(), domain.get());
    }

    private Optional<String> domainOf(Optional<String> id, Optional<String> name) {
      if (id.isPresent()) return id.filter(domains::containsKey);
      return name.flatMap(this::domainByName).map(Domain::id);
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
          a.apply(assignments), userTokenGenerations, revokedTokens, lockedUntil, projectTokenGenerations, failedLogins,
          catalog, groups);
    }

    Directory with(ServiceCatalog next) {
      return new Directory(domains, projects, users, roles, assignments, userTokenGenerations, revokedTokens,
          lockedUntil, projectTokenGenerations, failedLogins, next, groups);
    }

    /** The same catalog with other revocations or lockouts. */
    Directory withAccess(Map<String, Integer> userGenerations, Map<String, Instant> revoked,
        Map<String, Instant> locked, Map<String, Integer> projectGenerations, Map<String, Integer> failed) {
      return new Directory(domains, projects, users, roles, assignments, userGenerations, revoked, locked,
          projectGenerations, failed, catalog, groups);
    }

    Directory withGroups(UnaryOperator<Map<String, Group>> g) {
      return new Directory(domains, projects, users, roles, assignments, userTokenGenerations, revokedTokens,
          lockedUntil, projectTokenGenerations, failedLogins, catalog, g.apply(groups));
    }

    public Optional<Group> groupByName(String name, String domainId) {
      return groups.values().stream().filter(g -> g.name().equals(name) && g.domainId().equals(domainId)).findFirst();
    }
  }

  // ---------------------------------------------------------------- commands

  /** Messages the identity catalog understands. */
  public sealed interface Command extends CborSerializable {}

  /** Creates the Default domain, standard roles, admin project and admin user once. */
  public record Bootstrap(String adminPasswordHash, ActorRef<StatusReply<Boolean>> replyTo) implements Command {}

  /** The catalog for reads, without password hashes. */
  public record GetDirectory(ActorRef<StatusReply<Directory>> replyTo) implements Command {}

  /** What a login needs (see {@link Directory#forLogin}): one user's record, never the directory. */
  public record GetLogin(UserRef user, Optional<ProjectRef> scope, ActorRef<StatusReply<Directory>> replyTo)
      implements Command {}

  /** Creates or changes a domain (by its id). */
  public record SaveDomain(Domain domain, boolean create, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record SaveProject(Project project, boolean create, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record SaveUser(User user, boolean create, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record SaveRole(Role role, boolean create, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record DeleteDomain(String id, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record DeleteProject(String id, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record DeleteUser(String id, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record DeleteRole(String id, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Creates or renames a group (its members are kept). */
  public record SaveGroup(Group group, boolean create, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record DeleteGroup(String id, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Adds ({@code member}) or removes a user from a group. */
  public record SetGroupMember(String groupId, String userId, boolean member, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  public record Assign(Assignment assignment, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record Unassign(Assignment assignment, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record SaveRegion(ServiceCatalog.Region region, boolean create, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  public record DeleteRegion(String id, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record SaveService(ServiceCatalog.Service service, boolean create, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  public record DeleteService(String id, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Creates or changes an endpoint; a region it names that does not exist is created with it (as Keystone does). */
  public record SaveEndpoint(ServiceCatalog.Endpoint endpoint, boolean create, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  public record DeleteEndpoint(String id, ActorRef<StatusReply<Done>> replyTo) implements Command {}

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

  public record GroupSaved(Group group) implements Event {}

  public record GroupDeleted(String id) implements Event {}

  public record GroupMemberAdded(String groupId, String userId) implements Event {}

  public record GroupMemberRemoved(String groupId, String userId) implements Event {}

  /** The service catalog of a new cloud (or of one from before the catalog was state): Nimbus's own services. */
  public record CatalogSeeded(ServiceCatalog catalog) implements Event {}

  public record RegionSaved(ServiceCatalog.Region region) implements Event {}

  public record RegionDeleted(String id) implements Event {}

  public record ServiceSaved(ServiceCatalog.Service service) implements Event {}

  /** The service and its endpoints are gone. */
  public record ServiceDeleted(String id) implements Event {}

  public record EndpointSaved(ServiceCatalog.Endpoint endpoint) implements Event {}

  public record EndpointDeleted(String id) implements Event {}

  /** One token revoked at {@code at} (empty in events from before it was recorded). */
  public record TokenRevoked(String auditId, Instant expiresAt, Optional<Instant> at) implements Event {}

  /** A failed login of the user, counted toward its lockout. */
  public record LoginFailureCounted(String userId) implements Event {}

  /** Enough failed logins in a row: the user is refused until {@code until}. */
  public record UserLockedOut(String userId, Instant until) implements Event {}

  /** A login succeeded: the failures before it no longer count. */
  public record LoginFailuresCleared(String userId) implements Event {}

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

  private UserTokensRevoked userRevoked(Directory d, String userId) {
    return new UserTokensRevoked(userId, clock.instant(), d.userTokenGenerations().getOrDefault(userId, 0) + 1);
  }

  private ProjectTokensRevoked projectRevoked(Directory d, String projectId) {
    return new ProjectTokensRevoked(projectId, clock.instant(), d.projectTokenGenerations().getOrDefault(projectId, 0) + 1);
  }

  // ---------------------------------------------------------------- states

  /** The catalog's phases. */
  public sealed interface State extends CborSerializable {}

  public record NotBootstrapped() implements State {}

  public record Ready(Directory directory) implements State {}

  /** The catalog, whose commands read the time from {@code clock}; revocations go to {@code onRevocation} once persisted. */
  public static Behavior<Command> create(Clock clock, Consumer<Event> onRevocation) {
    return new IdentityEntity(clock, onRevocation);
  }

  private final Clock clock;
  private final Consumer<Event> onRevocation;

  private IdentityEntity(Clock clock, Consumer<Event> onRevocation) {
    super(PersistenceId.of(TYPE_KEY.name(), ENTITY_ID), Entities.JOURNAL_BACKOFF);
    this.clock = clock;
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
        .onCommand(Bootstrap.class, this::upgrade)
        .onCommand(GetDirectory.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.success(
            s.directory().withoutSecrets())))
        .onCommand(GetLogin.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.success(
            s.directory().forLogin(c.user(), c.scope()))))
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
        .onCommand(SaveGroup.class, this::saveGroup)
        .onCommand(DeleteGroup.class, (s, c) -> s.directory().groups().containsKey(c.id())
            ? persistAndAck(List.of(new GroupDeleted(c.id())), c.replyTo())
            : Effect().reply(c.replyTo(), Rejection.notFound("Could not find group: " + c.id() + ".")))
        .onCommand(SetGroupMember.class, this::setGroupMember)
        .onCommand(Unassign.class, (s, c) -> s.directory().assignments().contains(c.assignment())
            ? persistAndAck(List.of(new RoleUnassigned(c.assignment()),
                userRevoked(s.directory(), c.assignment().userId())), c.replyTo())
            : Effect().reply(c.replyTo(), Rejection.notFound("Could not find role assignment.")))
        .onCommand(SaveRegion.class, (s, c) -> checked(s.directory().catalog().problemWith(c.region(), c.create()),
            List.of(new RegionSaved(c.region())), c.replyTo()))
        .onCommand(DeleteRegion.class, (s, c) -> checked(s.directory().catalog().problemDeletingRegion(c.id()),
            List.of(new RegionDeleted(c.id())), c.replyTo()))
        .onCommand(SaveService.class, (s, c) -> checked(s.directory().catalog().problemWith(c.service(), c.create()),
            List.of(new ServiceSaved(c.service())), c.replyTo()))
        .onCommand(DeleteService.class, (s, c) -> checked(s.directory().catalog().services().containsKey(c.id())
            ? Optional.empty() : Optional.of(Rejection.notFound("Could not find service: " + c.id() + ".")),
            List.of(new ServiceDeleted(c.id())), c.replyTo()))
        .onCommand(SaveEndpoint.class, this::saveEndpoint)
        .onCommand(DeleteEndpoint.class, (s, c) -> checked(s.directory().catalog().endpoints().containsKey(c.id())
            ? Optional.empty() : Optional.of(Rejection.notFound("Could not find endpoint: " + c.id() + ".")),
            List.of(new EndpointDeleted(c.id())), c.replyTo()))
        .onCommand(RevokeToken.class, (s, c) -> persistAndAck(List.of(
            new TokenRevoked(c.auditId(), c.expiresAt(), Optional.of(clock.instant()))), c.replyTo()))
        .onCommand(LoginFailed.class, this::loginFailed)
        .onCommand(LoginSucceeded.class, (s, c) -> s.directory().failedLogins().containsKey(c.userId())
            ? Effect().persist(new LoginFailuresCleared(c.userId())).thenNoReply()
            : Effect().noReply());
    return b.build();
  }

  /** The events, unless the catalog says why not. */
  private ReplyEffect<Event, State> checked(Optional<StatusReply<Done>> problem, List<Event> events,
      ActorRef<StatusReply<Done>> replyTo) {
    return problem.isPresent() ? Effect().reply(replyTo, problem.get()) : persistAndAck(events, replyTo);
  }

  private ReplyEffect<Event, State> saveEndpoint(Ready s, SaveEndpoint c) {
    ServiceCatalog catalog = s.directory().catalog();
    List<Event> events = new ArrayList<>();
    catalog.missingRegion(c.endpoint()).ifPresent(r -> events.add(new RegionSaved(r)));
    events.add(new EndpointSaved(c.endpoint()));
    return checked(catalog.problemWith(c.endpoint(), c.create()), events, c.replyTo());
  }

  /** Counts a failed login; the one that reaches {@code maxAttempts} locks the user out. */
  private ReplyEffect<Event, State> loginFailed(Ready s, LoginFailed c) {
    User user = s.directory().users().get(c.userId());
    if (user == null || user.ignoreLockout()) return Effect().noReply();
    int failures = s.directory().failedLogins().getOrDefault(c.userId(), 0) + 1;
    return Effect().persist(failures >= c.maxAttempts()
        ? new UserLockedOut(c.userId(), clock.instant().plus(c.lockout()))
        : new LoginFailureCounted(c.userId())).thenNoReply();
  }

  /**
   * A catalog from before: the bootstrap admin gets the lockout option, and the service catalog
   * is seeded, if either had not been.
   */
  private ReplyEffect<Event, State> upgrade(Ready s, Bootstrap c) {
    List<Event> events = new ArrayList<>();
    s.directory().userByName("admin", DEFAULT_DOMAIN).filter(u -> !u.ignoreLockout()).ifPresent(u ->
        events.add(new UserSaved(new User(u.id(), u.name(), u.domainId(), u.passwordHash(), u.enabled(),
            u.defaultProjectId(), u.description(), true))));
    // the services tokens always listed, now state an operator can change
    if (!s.directory().catalog().seeded()) events.add(new CatalogSeeded(ServiceCatalog.seed()));
    if (events.isEmpty()) return Effect().reply(c.replyTo(), StatusReply.success(false));
    return Effect().persist(events).thenReply(c.replyTo(), st -> StatusReply.success(false));
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
        Optional.of(project), "The cloud's first administrator", true)));
    events.add(new RoleAssigned(new Assignment(user, project, adminRole)));
    events.add(new CatalogSeeded(ServiceCatalog.seed()));
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
      User before = d.users().get(x.id());
      // reads never see hashes: a change that brings none keeps the one stored
      event = new UserSaved(x.passwordHash().isEmpty() && before != null
          ? new User(x.id(), x.name(), x.domainId(), before.passwordHash(), x.enabled(), x.defaultProjectId(),
              x.description(), x.ignoreLockout())
          : x);
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
  private List<Event> roleDeleted(Directory d, String roleId) {
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
        || s.directory().users().values().stream().anyMatch(u -> u.domainId().equals(c.id()))
        || s.directory().groups().values().stream().anyMatch(g -> g.domainId().equals(c.id()));
    if (inUse) return Effect().reply(c.replyTo(), Rejection.conflict("Domain " + c.id() + " still holds projects or users."));
    return persistAndAck(List.of(new DomainDeleted(c.id())), c.replyTo());
  }

  private ReplyEffect<Event, State> saveGroup(Ready s, SaveGroup c) {
    Directory d = s.directory();
    Group g = c.group();
    if (!d.domains().containsKey(g.domainId())) {
      return Effect().reply(c.replyTo(), Rejection.notFound("Could not find domain: " + g.domainId() + "."));
    }
    if (d.groupByName(g.name(), g.domainId()).filter(o -> !o.id().equals(g.id())).isPresent()) {
      return Effect().reply(c.replyTo(), Rejection.conflict("Conflict occurred attempting to store group "
          + g.name() + ". Duplicate entry found."));
    }
    Group before = d.groups().get(g.id());
    return persistAndAck(List.of(new GroupSaved(before == null ? g : g.withUsers(before.userIds()))), c.replyTo());
  }

  private ReplyEffect<Event, State> setGroupMember(Ready s, SetGroupMember c) {
    Directory d = s.directory();
    Group g = d.groups().get(c.groupId());
    if (g == null) return Effect().reply(c.replyTo(), Rejection.notFound("Could not find group: " + c.groupId() + "."));
    if (!d.users().containsKey(c.userId())) {
      return Effect().reply(c.replyTo(), Rejection.notFound("Could not find user: " + c.userId() + "."));
    }
    if (c.member() == g.userIds().contains(c.userId())) {
      return c.member() ? Effect().reply(c.replyTo(), StatusReply.ack())
          : Effect().reply(c.replyTo(), Rejection.notFound("User " + c.userId() + " is not a member of group "
              + c.groupId() + "."));
    }
    return persistAndAck(List.of(c.member() ? new GroupMemberAdded(g.id(), c.userId())
        : new GroupMemberRemoved(g.id(), c.userId())), c.replyTo());
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
      Map<String, Group> groups = new HashMap<>();
      d.groups().forEach((id, g) -> groups.put(id, g.withUsers(minus(g.userIds(), x.id()))));
      return d.with(same(), same(), remove(x.id()), same(), without(a -> a.userId().equals(x.id())))
          .withGroups(g -> Map.copyOf(groups));
    }
    if (e instanceof GroupSaved x) return d.withGroups(put(x.group().id(), x.group()));
    if (e instanceof GroupDeleted x) return d.withGroups(remove(x.id()));
    if (e instanceof GroupMemberAdded x) {
      Group g = d.groups().get(x.groupId());
      Set<String> users = new HashSet<>(g.userIds());
      users.add(x.userId());
      return d.withGroups(put(g.id(), g.withUsers(users)));
    }
    if (e instanceof GroupMemberRemoved x) {
      Group g = d.groups().get(x.groupId());
      return d.withGroups(put(g.id(), g.withUsers(minus(g.userIds(), x.userId()))));
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
    if (e instanceof CatalogSeeded x) return d.with(x.catalog());
    if (e instanceof RegionSaved x) return d.with(d.catalog().with(x.region()));
    if (e instanceof RegionDeleted x) return d.with(d.catalog().withoutRegion(x.id()));
    if (e instanceof ServiceSaved x) return d.with(d.catalog().with(x.service()));
    if (e instanceof ServiceDeleted x) return d.with(d.catalog().withoutService(x.id()));
    if (e instanceof EndpointSaved x) return d.with(d.catalog().with(x.endpoint()));
    if (e instanceof EndpointDeleted x) return d.with(d.catalog().withoutEndpoint(x.id()));
    if (e instanceof TokenRevoked x) {
      Map<String, Instant> revoked = new HashMap<>(d.revokedTokens());
      // tokens expired when this one was revoked need no entry (the event's time: replay is deterministic)
      x.at().ifPresent(at -> revoked.values().removeIf(expiry -> expiry.isBefore(at)));
      revoked.put(x.auditId(), x.expiresAt());
      return d.withAccess(d.userTokenGenerations(), Map.copyOf(revoked), d.lockedUntil(), d.projectTokenGenerations(),
          d.failedLogins());
    }
    if (e instanceof UserTokensRevoked x) {
      Map<String, Integer> generations = new HashMap<>(d.userTokenGenerations());
      generations.compute(x.userId(), (user, before) -> generationAfter(before, x.generation()));
      return d.withAccess(Map.copyOf(generations), d.revokedTokens(), d.lockedUntil(), d.projectTokenGenerations(),
          d.failedLogins());
    }
    if (e instanceof ProjectTokensRevoked x) {
      Map<String, Integer> generations = new HashMap<>(d.projectTokenGenerations());
      generations.compute(x.projectId(), (project, before) -> generationAfter(before, x.generation()));
      return d.withAccess(d.userTokenGenerations(), d.revokedTokens(), d.lockedUntil(), Map.copyOf(generations),
          d.failedLogins());
    }
    if (e instanceof LoginFailureCounted x) {
      return d.withAccess(d.userTokenGenerations(), d.revokedTokens(), d.lockedUntil(), d.projectTokenGenerations(),
          put(x.userId(), d.failedLogins().getOrDefault(x.userId(), 0) + 1).apply(d.failedLogins()));
    }
    if (e instanceof UserLockedOut x) {
      return d.withAccess(d.userTokenGenerations(), d.revokedTokens(), put(x.userId(), x.until()).apply(d.lockedUntil()),
          d.projectTokenGenerations(), IdentityEntity.<Integer>remove(x.userId()).apply(d.failedLogins()));
    }
    if (e instanceof LoginFailuresCleared x) {
      return d.withAccess(d.userTokenGenerations(), d.revokedTokens(), IdentityEntity.<Instant>remove(x.userId()).apply(d.lockedUntil()),
          d.projectTokenGenerations(), IdentityEntity.<Integer>remove(x.userId()).apply(d.failedLogins()));
    }
    return d;
  }

  private static Set<String> minus(Set<String> set, String gone) {
    Set<String> rest = new HashSet<>(set);
    rest.remove(gone);
    return rest;
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
