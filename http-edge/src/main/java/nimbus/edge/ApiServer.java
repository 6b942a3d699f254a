package nimbus.edge;

import java.util.Map;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import nimbus.cluster.ReadSideDatabase;
import nimbus.compute.HostDirectory;
import nimbus.compute.ServerListing;
import nimbus.config.ApiSettings;
import nimbus.config.NetworkSettings;
import nimbus.edge.identity.IdentityRoutes;
import nimbus.edge.identity.IdentityService;
import nimbus.network.NetworkListing;
import nimbus.storage.ImageListing;
import nimbus.storage.VolumeListing;
import nimbus.storage.ImageUploads;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.Uri;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.MalformedRequestContentRejection;
import org.apache.pekko.http.javadsl.server.MethodRejection;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.server.UnsupportedRequestContentTypeRejection;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.http.scaladsl.model.IllegalRequestException;

/**
 * The HTTP API of a control node: every OpenStack service path-prefixed on one port
 * ({@code /identity/v3}, {@code /compute/v2.1}, {@code /image/v2}, {@code /network/v2.0}, ...), plus {@code /healthz}
 * and {@code /readyz}. Every response carries an {@code x-openstack-request-id}.
 */
public final class ApiServer extends AllDirectives {
  private final ApiSettings settings;
  private final ServerRoutes servers;
  private final FlavorRoutes flavors;
  private final ImageRoutes images;
  private final ComputeImageRoutes computeImages;
  private final HostRoutes hosts;
  private final AggregateRoutes aggregates;
  private final ComputeServiceRoutes services;
  private final KeypairRoutes keypairs;
  private final QuotaRoutes quotas;
  private final ServerGroupRoutes serverGroups;
  private final NeutronRoutes neutron;
  private final NovaSecurityGroupRoutes novaSecurityGroups;
  private final NovaFloatingIpRoutes novaFloatingIps;
  private final Readiness readiness;
  private final IdentityService identity;
  private final IdentityRoutes identityRoutes;
  private final VolumeRoutes volumes;
  private final DashboardRoutes dashboard;
  private final Optional<String> publicUrl;
  private static final OtherVersions OTHER_VERSIONS = new OtherVersions();

  /** {@code policy}: who may do what ({@link Policy#load}, checked before the node starts). */
  public ApiServer(ActorSystem<?> system, ApiSettings settings, IdentityService identity,
      Optional<String> publicUrl, Duration hostDownAfter, Readiness readiness, ImageUploads uploads,
      Duration uploadTimeout, Policy policy, NetworkSettings network) {
    this.services = new ComputeServiceRoutes(HostDirectory.get(system), hostDownAfter, controlHost(),
        java.time.Clock.systemUTC(), policy);
    this.settings = settings;
    this.readiness = readiness;
    this.identity = identity;
    this.identityRoutes = new IdentityRoutes(identity, policy);
    this.dashboard = new DashboardRoutes(new DashboardFiles(),
        new DashboardEvents(identity, nimbus.compute.ServerChanges.get(system),
            nimbus.cluster.ResourceChanges.get(system), java.time.Clock.systemUTC(),
            () -> hostsUp(HostDirectory.get(system), hostDownAfter)));
    this.publicUrl = publicUrl;
    Executor blocking = blockingExecutor(system);
    this.hosts = new HostRoutes(HostDirectory.get(system), hostDownAfter, policy,
        new ServerListing(ReadSideDatabase.get(system)), blocking);
    ClusterSharding sharding = ClusterSharding.get(system);
    ImageListing imageListing = new ImageListing(ReadSideDatabase.get(system));
    this.images = new ImageRoutes(sharding, imageListing, uploads, blocking, settings.askTimeout(), uploadTimeout, policy);
    this.computeImages = new ComputeImageRoutes(images, imageListing, uploads.quotas(), blocking,
        settings.askTimeout(), policy);
    this.flavors = new FlavorRoutes(sharding, settings.askTimeout(), policy);
    this.aggregates = new AggregateRoutes(sharding, HostDirectory.get(system), java.time.Clock.systemUTC(),
        settings.askTimeout(), policy);
    this.quotas = new QuotaRoutes(sharding, settings.askTimeout(), policy);
    this.keypairs = new KeypairRoutes(sharding, blocking, settings.askTimeout(), policy);
    this.serverGroups = new ServerGroupRoutes(sharding, settings.askTimeout(), policy);
    NetworkListing networkListing = new NetworkListing(ReadSideDatabase.get(system));
    this.servers = new ServerRoutes(sharding, flavors, serverGroups, uploads.quotas(),
        new ServerListing(ReadSideDatabase.get(system)), networkListing, HostDirectory.get(system), hostDownAfter,
        blocking, settings.askTimeout(), policy);
    this.volumes = new VolumeRoutes(sharding, new VolumeListing(ReadSideDatabase.get(system)),
        new nimbus.storage.SnapshotListing(ReadSideDatabase.get(system)), uploads.quotas(), blocking, settings.askTimeout(),
        policy, new nimbus.storage.BackupListing(ReadSideDatabase.get(system)));
    this.neutron = new NeutronRoutes(sharding, networkListing, identity, blocking, settings.askTimeout(), policy, network,
        HostDirectory.get(system), hostDownAfter);
    this.novaSecurityGroups = new NovaSecurityGroupRoutes(sharding, networkListing, blocking, settings.askTimeout(),
        policy);
    this.novaFloatingIps = new NovaFloatingIpRoutes(sharding, networkListing, blocking, settings.askTimeout(), policy);
  }

  /** The name this control node's scheduler and conductor services go by: the machine's. */
  /** Whether each host this node knows of is up (its beats arrive), by name. */
  private static Map<String, Boolean> hostsUp(HostDirectory directory, Duration downAfter) {
    Map<String, Boolean> up = new java.util.HashMap<>();
    directory.hosts().forEach(h -> up.put(h.host(), directory.isUp(h.host(), downAfter)));
    return up;
  }

  private static String controlHost() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.net.UnknownHostException e) {
      return "localhost";
    }
  }

  public static Executor blockingExecutor(ActorSystem<?> system) {
    return system.dispatchers().lookup(DispatcherSelector.fromConfig("nimbus-blocking-dispatcher"));
  }

  /** Listens: HTTPS when a certificate is configured, plain HTTP otherwise. */
  public CompletionStage<ServerBinding> bind(ActorSystem<?> system) {
    var server = Http.get(system).newServerAt(settings.host(), settings.port());
    if (settings.tls().isPresent()) {
      server = server.enableHttps(org.apache.pekko.http.javadsl.ConnectionContext.httpsServer(
          ApiTls.context(settings.tls().get())));
    }
    return server.bind(route());
  }

  /** Every route of the API, as {@link #bind} serves them (tests run it without a port). */
  public Route route() {
    // a fresh id for every response (a header built here once would repeat on all of them)
    return mapResponse(r -> r.addHeader(RawHeader.create("x-openstack-request-id", "req-" + UUID.randomUUID())), () ->
        // a request still unanswered at the server's request-timeout (a database that hangs)
        // gets the service's own 503, not the server's plain-text one
        withRequestTimeoutResponse(request -> errorFor(request.getUri().path(), 503,
            "The service did not answer in time; try again."), () ->
        handleExceptions(exceptions(), () ->
            handleRejections(rejections(), () ->
                withSizeLimit(settings.maxBodyBytes(), () -> drained(() -> concat(
                    path("healthz", () -> get(() -> complete(status(200, "ok")))),
                    path("readyz", () -> get(this::ready)),
                    dashboard.route(),
                    extractUri(uri -> {
                      String api = publicUrl.orElseGet(() -> apiBase(uri));
                      return concat(
                          identityRoutes.route(api),
                          OTHER_VERSIONS.route(api),
                          pathPrefix("compute", () -> compute(api + "/compute")),
                          pathPrefix("network", () -> neutron.route(api + "/network", this::projectScoped)),
                          pathPrefix("image", () -> projectScoped(images::route)),
                          pathPrefix(PathMatchers.segment("volume").slash("v3").slash(PathMatchers.segment()),
                              project -> projectScoped(ctx -> volumes.route(ctx, project, api + "/volume/v3"))));
                    }))))))));
  }

  private Route compute(String baseUrl) {
    return concat(
        // Nova answers its root with 200 (300 is for a request it cannot place)
        pathEndOrSingleSlash(() -> get(() -> complete(Json.response(200, ComputeVersions.all(baseUrl))))),
        pathPrefix("v2.1", () -> concat(
            pathEndOrSingleSlash(() -> get(() -> complete(Json.response(200, ComputeVersions.current(baseUrl))))),
            ComputeVersions.negotiate(this, (version, requestId) -> computeApi(version, requestId, baseUrl)))),
        pathPrefix(PathMatchers.segment("v2"), () -> concat( // a whole segment: not v2.1
            pathEndOrSingleSlash(() -> get(() -> complete(Json.response(200, ComputeVersions.legacy(baseUrl))))),
            ComputeVersions.legacy(this, (version, requestId) -> computeApi(version, requestId, baseUrl)))));
  }

  /** Nova's API; {@code requestId} is the request's {@code x-compute-request-id}. */
  private Route computeApi(Microversion version, String requestId, String baseUrl) {
    return projectScoped(ctx -> concat(
        servers.route(ctx, version, requestId, baseUrl),
        flavors.route(ctx, baseUrl),
        computeImages.route(ctx, baseUrl),
        keypairs.route(ctx, version),
        quotas.route(ctx),
        serverGroups.route(ctx, version),
        hosts.route(ctx),
        aggregates.route(ctx),
        services.route(ctx, version),
        novaSecurityGroups.route(ctx, version),
        novaFloatingIps.route(ctx, version)));
  }

  /**
   * Runs {@code inner} for the project of the request's token; a missing, invalid, expired,
   * revoked or unscoped token gets 401 (in Keystone's format, as keystonemiddleware answers).
   */
  private Route projectScoped(java.util.function.Function<RequestContext, Route> inner) {
    return optionalHeaderValueByName("X-Auth-Token", token -> {
      RequestContext ctx;
      try {
        ctx = identity.contextOf(token.orElse(""));
      } catch (ApiError e) {
        return complete(IdentityRoutes.error(401, e.getMessage()));
      }
      return inner.apply(ctx);
    });
  }

  private Route ready() {
    return onSuccess(readiness.check(), checks -> {
      boolean ok = checks.values().stream().allMatch(Boolean::booleanValue);
      return complete(Json.response(ok ? 200 : 503, new ReadyView(ok, checks)));
    });
  }

  private String tooLarge() {
    return "Request is too large: at most " + settings.maxBodyBytes() + " bytes are accepted.";
  }

  /** An error in the format of the service {@code path} falls under. */
  private static HttpResponse errorFor(String path, int status, String message) {
    if (path.startsWith("/identity")) return IdentityRoutes.error(status, message);
    if (path.startsWith("/image")) return ImageRoutes.error(status, message);
    if (path.startsWith("/network")) return NeutronErrors.response(status, message);
    return NovaErrors.response(status, message);
  }

  /** What {@code /readyz} answers: ready, and each check's result. */
  record ReadyView(boolean ready, Map<String, Boolean> checks) {}

  private static HttpResponse status(int code, String status) {
    return Json.response(code, Map.of("status", status));
  }

  private static String apiBase(Uri uri) {
    return uri.scheme() + "://" + uri.host().address() + ":" + uri.port();
  }

  private ExceptionHandler exceptions() {
    return ExceptionHandler.newBuilder()
        .match(EntityStreamSizeException.class, e -> inFormat(413, tooLarge()))
        // a body over the limit, found as drained() reads it: Pekko's toStrict fails so, with 400
        // or 413 depending on where it noticed
        .match(IllegalRequestException.class, e -> e.status().intValue() == 413
            || e.info().summary().startsWith("Request too large")
            ? inFormat(413, tooLarge())
            : inFormat(e.status().intValue(), e.info().summary()))
        .matchAny(e -> {
          ApiError error = Failures.toApiError(e);
          return inFormat(error.status, error.getMessage());
        })
        .build();
  }

  private RejectionHandler rejections() {
    return RejectionHandler.newBuilder()
        .handleAll(MethodRejection.class, (List<MethodRejection> rs) ->
            inFormat(405, "The method is not allowed for this resource."))
        .handle(MalformedRequestContentRejection.class, r -> r.getCause() instanceof EntityStreamSizeException
            ? inFormat(413, tooLarge())
            : inFormat(400, "Malformed request body."))
        .handle(UnsupportedRequestContentTypeRejection.class, r -> inFormat(415, "Unsupported Content-Type"))
        .handleNotFound(inFormat(404, "The resource could not be found."))
        .build()
        .seal();
  }

  /** An error in the format of the service the request's path is under. */
  private Route inFormat(int status, String message) {
    return extractUri(uri -> complete(errorFor(uri.path(), status, message)));
  }

  /**
   * Reads a request's whole body (within the size limit) before routing it. A route that answers
   * without needing the body (a 401, a 404, a GET that came with one) would otherwise answer
   * early, and Pekko then closes the connection: a client still sending loses the answer. Image
   * file uploads stream, and are left alone.
   */
  private Route drained(Supplier<Route> inner) {
    return extractRequest(request -> request.entity().isStrict() // nothing left to read (most requests)
        || request.method() == HttpMethods.PUT && IMAGE_FILE.matcher(request.getUri().path()).matches()
        ? inner.get()
        : toStrictEntity(settings.askTimeout(), settings.maxBodyBytes(), inner));
  }

  private static final java.util.regex.Pattern IMAGE_FILE = java.util.regex.Pattern.compile("/image/v2/images/[^/]+/file");
}
