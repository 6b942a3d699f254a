package nimbus.edge.identity;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;
import nimbus.config.IdentitySettings;
import nimbus.edge.ApiError;
import nimbus.edge.RequestContext;
import nimbus.edge.identity.IdentityEntity.Directory;
import nimbus.edge.identity.IdentityEntity.Project;
import nimbus.edge.identity.IdentityEntity.ProjectRef;
import nimbus.edge.identity.IdentityEntity.User;
import nimbus.edge.identity.IdentityEntity.UserRef;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.pattern.StatusReply;

/**
 * Authentication and tokens: checks passwords (on the blocking dispatcher: the hash is slow on
 * purpose), applies the lockout, issues tokens and validates them without any remote call.
 */
public final class IdentityService {
  static final String UNAUTHORIZED = "The request you have made requires authentication.";

  /** A token just issued: its text, what it says, and the catalog it was issued from. */
  public record Issued(String text, Token token, Directory directory) {}

  private final EntityRef<IdentityEntity.Command> entity;
  private final IdentitySettings settings;
  private final TokenCodec codec;
  private final PasswordHasher hasher = new PasswordHasher();
  private final Revocations revocations;
  private final nimbus.cluster.ResourceChanges changes;
  private final Executor blocking;
  /** Password checks running or queued: bounded, so a flood of logins cannot grow the queue. */
  private final java.util.concurrent.Semaphore pendingChecks;
  private final Duration timeout;
  private final String dummyHash;

  public IdentityService(ActorSystem<?> system, IdentitySettings settings, TokenCodec codec,
      Executor blocking, Duration timeout) {
    this.entity = ClusterSharding.get(system).entityRefFor(IdentityEntity.TYPE_KEY, IdentityEntity.ENTITY_ID);
    this.settings = settings;
    this.codec = codec;
    this.revocations = Revocations.get(system);
    this.changes = nimbus.cluster.ResourceChanges.get(system);
    this.blocking = blocking;
    this.pendingChecks = new java.util.concurrent.Semaphore(settings.maxPendingPasswordChecks());
    this.timeout = timeout;
    // checked when the user does not exist, so both answers take as long
    this.dummyHash = hasher.hash("nimbus-no-such-user");
  }

  /**
   * Creates the first admin if the catalog is new. Answers the password when it was generated
   * here (to be shown once); empty when it came from the settings or the catalog existed.
   */
  public CompletionStage<Optional<String>> bootstrap() {
    Optional<String> configured = settings.adminPassword();
    String password = configured.orElseGet(IdentityService::generatePassword);
    return CompletableFuture.supplyAsync(() -> hasher.hash(password), blocking)
        .thenCompose(hash -> entity.<Boolean>askWithStatus(r -> new IdentityEntity.Bootstrap(hash, r), timeout))
        .thenCompose(created -> directory().thenApply(d -> {
          revocations.load(d);
          d.projects().values().stream()
              .filter(p -> p.name().equals("admin") && p.domainId().equals(IdentityEntity.DEFAULT_DOMAIN))
              .findFirst().ifPresent(p -> adminProjectId = p.id());
          return created && configured.isEmpty() ? Optional.of(password) : Optional.<String>empty();
        }));
  }

  static String generatePassword() {
    byte[] bytes = new byte[18];
    new SecureRandom().nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** The cloud's admin project (the bootstrap's "admin" in the default domain), once known. */
  private volatile String adminProjectId = "";

  public CompletionStage<Directory> directory() {
    return entity.askWithStatus(IdentityEntity.GetDirectory::new, timeout);
  }

  /** What a login of {@code user} into {@code scope} needs: that user's record, not the catalog. */
  private CompletionStage<Directory> login(UserRef user, Optional<ProjectRef> scope) {
    return entity.askWithStatus(r -> new IdentityEntity.GetLogin(user, scope, r), timeout);
  }

  /**
   * Sends a change to the catalog; once it is persisted, a change of a project, user, role or role
   * assignment goes on the resource changes' topic, for the cloud's admin (who alone lists them).
   */
  public CompletionStage<Done> change(Function<ActorRef<StatusReply<Done>>, IdentityEntity.Command> command) {
    java.util.concurrent.atomic.AtomicReference<IdentityEntity.Command> sent = new java.util.concurrent.atomic.AtomicReference<>();
    return entity.<Done>askWithStatus(r -> {
      IdentityEntity.Command c = command.apply(r);
      sent.set(c);
      return c;
    }, timeout).thenApply(done -> {
      changeOf(sent.get()).ifPresent(changes::publish);
      return done;
    });
  }

  /** What the events API tells of a catalog change (its kind and the resource's id), if it tells it. */
  static Optional<nimbus.cluster.ResourceChange> changeOf(IdentityEntity.Command c) {
    if (c instanceof IdentityEntity.SaveProject s) return Optional.of(told("project", s.project().id(), false));
    if (c instanceof IdentityEntity.DeleteProject d) return Optional.of(told("project", d.id(), true));
    if (c instanceof IdentityEntity.SaveUser s) return Optional.of(told("user", s.user().id(), false));
    if (c instanceof IdentityEntity.DeleteUser d) return Optional.of(told("user", d.id(), true));
    if (c instanceof IdentityEntity.SaveRole s) return Optional.of(told("role", s.role().id(), false));
    if (c instanceof IdentityEntity.DeleteRole d) return Optional.of(told("role", d.id(), true));
    // an assignment is told by its user's id: the page reads the user's assignments again
    if (c instanceof IdentityEntity.Assign a) return Optional.of(told("role_assignment", a.assignment().userId(), false));
    if (c instanceof IdentityEntity.Unassign a) return Optional.of(told("role_assignment", a.assignment().userId(), true));
    return Optional.empty();
  }

  private static nimbus.cluster.ResourceChange told(String kind, String id, boolean deleted) {
    return nimbus.cluster.ResourceChange.adminOnly(kind, id, deleted);
  }

  public String hash(String password) {
    if (password.length() > settings.maxPasswordLength()) {
      throw ApiError.badRequest("Invalid input for field 'password': longer than " + settings.maxPasswordLength()
          + " characters");
    }
    return hasher.hash(password);
  }

  public Executor blocking() {
    return blocking;
  }

  /** Password authentication; any failure is a 401 that does not say which part was wrong. */
  public CompletionStage<Issued> authenticate(UserRef userRef, String password, Optional<ProjectRef> scope) {
    if (password.length() > settings.maxPasswordLength()) {
      return CompletableFuture.failedFuture(unauthorized()); // never hashed: no password is that long
    }
    return login(userRef, scope).thenCompose(d -> {
      Optional<User> user = d.find(userRef);
      String hash = user.map(User::passwordHash).orElse(dummyHash);
      if (!pendingChecks.tryAcquire()) {
        throw new ApiError(503, "Too many logins at once; try again shortly.");
      }
      return CompletableFuture.supplyAsync(() -> hasher.verify(password, hash), blocking)
          .whenComplete((ok, e) -> pendingChecks.release()).thenApply(ok -> {
        if (user.isEmpty()) throw unauthorized();
        User u = user.get();
        Instant locked = d.lockedUntil().get(u.id());
        if (locked != null && locked.isAfter(Instant.now())) {
          throw new ApiError(401, "The account is temporarily locked.");
        }
        if (!ok) {
          entity.tell(new IdentityEntity.LoginFailed(u.id(), settings.lockoutFailureAttempts(), settings.lockoutDuration()));
          throw unauthorized();
        }
        if (!u.enabled() || !d.domains().containsKey(u.domainId()) || !d.domains().get(u.domainId()).enabled()) {
          throw unauthorized();
        }
        entity.tell(new IdentityEntity.LoginSucceeded(u.id()));
        // tokens keep milliseconds: what a token says must be what it was issued with
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        return issue(d, u, scope, List.of("password"), now.plus(settings.tokenExpiry()),
            IdentityEntity.newId().substring(0, 22));
      });
    });
  }

  /**
   * Re-scopes an existing token (Keystone's "token" method). The new token ends when the old
   * one does and shares its audit id, so a stolen token cannot be renewed, and revoking either
   * revokes both.
   */
  public CompletionStage<Issued> rescope(Token existing, Optional<ProjectRef> scope) {
    UserRef user = new UserRef(Optional.of(existing.userId()), Optional.empty(), Optional.empty(), Optional.empty());
    return login(user, scope).thenApply(d -> {
      User u = d.users().get(existing.userId());
      // the catalog is the authority: a token revoked there is not renewed, even if this node
      // had not heard of the revocation when it validated the token
      if (u == null || !u.enabled()
          || existing.userGeneration() < d.userTokenGenerations().getOrDefault(u.id(), 0)) {
        throw unauthorized();
      }
      return issue(d, u, scope, List.of("token"), existing.expiresAt(), existing.auditId());
    });
  }

  private Issued issue(Directory d, User u, Optional<ProjectRef> scope, List<String> methods,
      Instant expiresAt, String auditId) {
    Optional<String> projectId = Optional.empty();
    List<String> roles = List.of();
    if (scope.isPresent()) {
      Project p = d.findProject(scope.get())
          .orElseThrow(() -> new ApiError(401, "Could not find the project to scope to."));
      roles = d.rolesOn(u.id(), p.id());
      if (roles.isEmpty() || !p.enabled()) {
        throw new ApiError(401, "User " + u.id() + " has no access to project " + p.id() + ".");
      }
      projectId = Optional.of(p.id());
    }
    Token token = new Token(u.id(), projectId, roles, Instant.now().truncatedTo(ChronoUnit.MILLIS),
        expiresAt, auditId, methods, d.userTokenGenerations().getOrDefault(u.id(), 0),
        projectId.map(p -> d.projectTokenGenerations().getOrDefault(p, 0)).orElse(0));
    return new Issued(codec.encode(token), token, d);
  }

  /** The token a string holds if it is genuine, unexpired and not revoked. No I/O. */
  public Optional<Token> validate(String text) {
    if (text == null || text.isEmpty()) return Optional.empty();
    return codec.decode(text).filter(this::stillValid);
  }

  /** A ticket standing for {@code token} until {@code expiresAt} ({@link TokenCodec#encodeTicket}). */
  public String ticket(Token token, Instant expiresAt) {
    return codec.encodeTicket(token, expiresAt);
  }

  /** What a ticket holds if one of the cluster's token keys made it; its expiry is the caller's to check. */
  public Optional<TokenCodec.Ticket> openTicket(String text) {
    return text == null || text.isEmpty() ? Optional.empty() : codec.decodeTicket(text);
  }

  /** Whether a token that was genuine is still unexpired and not revoked. No I/O. */
  public boolean stillValid(Token t) {
    return t.expiresAt().isAfter(Instant.now()) && !revocations.isRevoked(t);
  }

  /** The request context of a project-scoped token (401 for anything else). */
  public RequestContext contextOf(String tokenText) {
    Token t = validate(tokenText).orElseThrow(IdentityService::unauthorized);
    if (t.projectId().isEmpty()) throw unauthorized();
    return callerOf(t);
  }

  /** Who a valid token speaks for, as policy checks see it (an unscoped token: no project, ""). */
  public RequestContext callerOf(Token t) {
    return new RequestContext(t.projectId().orElse(""), t.userId(), java.util.Set.copyOf(t.roles()), isCloudAdmin(t));
  }

  /**
   * Whether a token carries the cloud's own powers: the admin role on the cloud's admin project
   * (Keystone's admin project). The admin role on any other project is that project's admin only.
   */
  public boolean isCloudAdmin(Token t) {
    return t.hasRole("admin") && t.projectId().filter(adminProjectId::equals).isPresent();
  }

  public CompletionStage<Done> revoke(Token token) {
    return change(r -> new IdentityEntity.RevokeToken(token.auditId(), token.expiresAt(), r));
  }

  /** The 401 of a missing, invalid, expired or revoked token. */
  public static ApiError unauthorized() {
    return new ApiError(401, UNAUTHORIZED);
  }
}
