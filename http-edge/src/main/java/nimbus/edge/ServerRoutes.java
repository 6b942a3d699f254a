package nimbus.edge;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import nimbus.compute.AccessAddresses;
import nimbus.compute.BootSource;
import nimbus.compute.BoundedPattern;
import nimbus.compute.HostDirectory;
import nimbus.compute.InstanceAction;
import nimbus.compute.Keypair;
import nimbus.compute.KeypairsEntity;
import nimbus.compute.ServerCreation;
import nimbus.compute.ServerEntity;
import nimbus.compute.ServerListing;
import nimbus.compute.ServerNetworks;
import nimbus.compute.ServerSpec;
import nimbus.network.IpNet;
import nimbus.network.NetworkListing;
import nimbus.compute.ServerView;
import nimbus.storage.ImageQuotas;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.pattern.StatusReply;

/**
 * Nova's {@code /servers} API: create, list, show, delete and the server actions, with Nova's
 * request checks, response shapes and status codes.
 */
final class ServerRoutes extends ServiceRoutes {
  private static final RequestSchema CREATE = RequestSchema.named("server-create");
  private static final RequestSchema UPDATE = RequestSchema.named("server-update");
  /** Each action's body, by the action's name (schemas/server-action-NAME.json). */
  private static final Map<String, RequestSchema> ACTIONS = Stream.of("os-start", "os-stop", "reboot", "pause",
      "unpause", "suspend", "resume", "rebuild", "lock", "unlock", "os-getConsoleOutput", "createImage", "resize",
      "confirmResize", "revertResize").collect(Collectors.toUnmodifiableMap(a -> a, a -> RequestSchema.named("server-action-" + a)));
  private static final Set<String> STATUSES = Set.of("ACTIVE", "BUILD", "DELETED", "ERROR",
      "HARD_REBOOT", "REBOOT", "SHUTOFF", "PAUSED", "SUSPENDED", "UNKNOWN");
  private static final int MAX_LIMIT = 1000;
  /** Nova's policy rule of each server action. */
  private static final Map<String, String> ACTION_RULES = Map.ofEntries(
      Map.entry("os-start", "os_compute_api:servers:start"), Map.entry("os-stop", "os_compute_api:servers:stop"),
      Map.entry("reboot", "os_compute_api:servers:reboot"), Map.entry("rebuild", "os_compute_api:servers:rebuild"),
      Map.entry("pause", "os_compute_api:os-pause-server:pause"),
      Map.entry("unpause", "os_compute_api:os-pause-server:unpause"),
      Map.entry("suspend", "os_compute_api:os-suspend-server:suspend"),
      Map.entry("resume", "os_compute_api:os-suspend-server:resume"),
      Map.entry("lock", "os_compute_api:os-lock-server:lock"), Map.entry("unlock", "os_compute_api:os-lock-server:unlock"),
      Map.entry("os-getConsoleOutput", "os_compute_api:os-console-output"),
      Map.entry("createImage", "os_compute_api:servers:create_image"), Map.entry("resize", "os_compute_api:servers:resize"),
      Map.entry("confirmResize", "os_compute_api:servers:confirm_resize"),
      Map.entry("revertResize", "os_compute_api:servers:revert_resize"),
      Map.entry("restore", "os_compute_api:os-deferred-delete:restore"),
      Map.entry("forceDelete", "os_compute_api:os-deferred-delete:force"),
      Map.entry("addSecurityGroup", "os_compute_api:os-security-groups:add"),
      Map.entry("removeSecurityGroup", "os_compute_api:os-security-groups:remove"),
      Map.entry("addFloatingIp", "os_compute_api:os-floating-ips:add"),
      Map.entry("removeFloatingIp", "os_compute_api:os-floating-ips:remove"),
      Map.entry("trigger_crash_dump", "os_compute_api:servers:trigger_crash_dump"));

  private final ClusterSharding sharding;
  private final ServerListing listing;
  private final BootSources bootSources;
  private final BlockDeviceMappings bootMappings;
  private final RequestedNetworks networks;
  private final ServerSecurityGroups securityGroups;
  private final NovaFloatingIpRoutes floatingIps;
  private final ServerInterfaceRoutes interfaces;
  private final ServerVolumeRoutes volumes;
  private final ServerMetadataRoutes metadata;
  private final ServerTagRoutes tags;
  private final Duration hostDownAfter;
  private final Executor blocking;
  private final Duration timeout;

  private final FlavorRoutes flavors;
  private final ServerSnapshots snapshots;
  private final ServerResizes resizes;
  private final ServerGroupRoutes serverGroups;
  private final HostDirectory directory;
  private final Policy policy;

  ServerRoutes(ClusterSharding sharding, FlavorRoutes flavors, ServerGroupRoutes serverGroups, ImageQuotas imageQuotas,
      ServerListing listing, NetworkListing networkListing,
      HostDirectory directory, Duration hostDownAfter, Executor blocking, Duration timeout, Policy policy) {
    super(NovaErrors::response);
    this.hostDownAfter = hostDownAfter;
    this.policy = policy;
    this.directory = directory;
    this.serverGroups = serverGroups;
    this.flavors = flavors;
    this.sharding = sharding;
    this.listing = listing;
    this.bootSources = new BootSources(sharding, timeout);
    this.bootMappings = new BlockDeviceMappings(sharding, bootSources, timeout);
    this.networks = new RequestedNetworks(sharding, networkListing, blocking, timeout);
    this.securityGroups = new ServerSecurityGroups(sharding, networkListing, blocking, timeout);
    this.floatingIps = new NovaFloatingIpRoutes(sharding, networkListing, blocking, timeout, policy);
    ServerAccess access = new ServerAccess(sharding, timeout, policy, this::visible, this::unlocked);
    this.interfaces = new ServerInterfaceRoutes(access, networks);
    this.volumes = new ServerVolumeRoutes(access);
    this.metadata = new ServerMetadataRoutes(access);
    this.tags = new ServerTagRoutes(sharding, timeout, policy, this::visible);
    this.snapshots = new ServerSnapshots(sharding, bootSources, imageQuotas, timeout);
    this.resizes = new ServerResizes(sharding, flavors, timeout);
    this.blocking = blocking;
    this.timeout = timeout;
  }

  /**
   * The routes under {@code /compute/v2.1/servers}; {@code baseUrl} ends with /compute. The
   * server actions a request begins record its {@code requestId} (Nova's instance actions).
   */
  Route route(RequestContext ctx, Microversion version, String requestId, String baseUrl) {
    return concat(pathPrefix("servers", () -> concat(
        pathEndOrSingleSlash(() -> concat(
            get(() -> parameterMap(q -> respond(() -> list(ctx, q, false, version, baseUrl)))),
            post(() -> body(b -> respond(() -> create(ctx, b, requestId, version, baseUrl)))))),
        path("detail", () -> get(() -> parameterMap(q -> respond(() -> list(ctx, q, true, version, baseUrl))))),
        pathPrefix(PathMatchers.segment(), id -> concat(
            pathEndOrSingleSlash(() -> concat(
                get(() -> respond(() -> show(ctx, id, version, baseUrl))),
                put(() -> body(b -> respond(() -> update(ctx, id, b, version, baseUrl)))),
                delete(() -> respond(() -> delete(ctx, requestId, id))))),
            path("action", () -> post(() -> body(b -> respond(() -> action(ctx, requestId, id, b, baseUrl, version))))),
            pathPrefix("os-instance-actions", () -> concat(
                pathEndOrSingleSlash(() -> get(() -> respond(() -> actions(ctx, id, version)))),
                path(PathMatchers.segment(), request -> get(() -> respond(() -> action(ctx, id, request, version)))))),
            interfaces.route(ctx, requestId, id),
            volumes.route(ctx, version, requestId, id),
            path("os-security-groups", () -> get(() -> respond(() -> {
              policy.enforce(ctx, "os_compute_api:os-security-groups:list");
              return visible(ctx, id).thenCompose(securityGroups::list);
            }))),
            metadata.route(ctx, id),
            // the tags API is 2.26's: before, Nova has no such route
            version.atLeast("2.26") ? tags.route(ctx, id, baseUrl) : reject(),
            pathPrefix("ips", () -> concat(
                pathEndOrSingleSlash(() -> get(() -> respond(() -> ips(ctx, id, Optional.empty())))),
                path(PathMatchers.segment(), network -> get(() -> respond(() -> ips(ctx, id, Optional.of(network))))))))))));
  }

  // ------------------------------------------------------------------ create

  private CompletionStage<HttpResponse> create(RequestContext ctx, String body, String requestId, Microversion version,
      String baseUrl) {
    policy.enforce(ctx, "os_compute_api:servers:create");
    JsonNode request = CREATE.validate(Json.parseObject(body));
    JsonNode server = request.get("server");
    Optional<String> description = description(server, version);
    String name = server.get("name").asText();
    String imageRef = Ids.lastSegment(server.path("imageRef").asText(""));
    Optional<JsonNode> bootMapping = BlockDeviceMappings.bootMapping(server, !imageRef.isEmpty());
    if (imageRef.isEmpty() && bootMapping.isEmpty()) throw ApiError.badRequest("Missing imageRef attribute");
    if (bootMapping.isEmpty() && !Ids.isUuid(imageRef)) throw ApiError.badRequest("Invalid imageRef provided.");
    String flavorRef = Ids.lastSegment(server.get("flavorRef").asText());
    Map<String, String> metadata = Fields.metadata(server, "metadata");
    Optional<String> zone = Fields.text(server, "availability_zone");
    if (zone.isPresent() && !directory.zones().containsKey(zone.get())) {
      throw ApiError.badRequest("The requested availability zone is not available");
    }
    int min = Fields.integer(server, "min_count").orElse(1);
    int max = Fields.integer(server, "max_count").orElse(min);
    if (min > max) throw ApiError.badRequest("min_count must be <= max_count");
    if (bootMapping.isPresent() && max > 1) {
      throw ApiError.badRequest("Cannot attach one or more volumes to multiple instances");
    }
    boolean reservation = Fields.isTrue(server, "return_reservation_id");
    Optional<String> keyName = Fields.text(server, "key_name");
    Optional<String> userData = userData(server);
    // Nova keeps "True" or "" (its column is a string); a boolean is enough here
    boolean configDrive = Fields.isTrue(server, "config_drive");
    return serverGroups.hinted(ctx, request).thenCompose(group -> flavors.usable(ctx, flavorRef)
            .thenCompose(flavor -> keypair(ctx, keyName)
            .thenCompose(key -> networks.resolve(ctx, Optional.ofNullable(server.get("networks")), max)
            .thenCombine(networks.securityGroups(ctx, Optional.ofNullable(server.get("security_groups"))),
                ServerNetworks::withSecurityGroups)
            .thenCompose(nics -> bootSource(bootMapping, imageRef, ctx, flavor)
            .thenCompose(boot -> createAll(new ServerSpec(name, ctx.projectId(), ctx.userId(), flavor, boot,
                metadata, keyName, group.map(g -> g.placement(ctx.projectId())), zone, nics,
                key.map(Keypair::publicKey), userData, configDrive, accessAddresses(server))
                .withDescription(description), max, requestId))))))
        .thenApply(id -> created(id, reservation, adminPass(server), askedGroups(server), baseUrl));
  }

  /** What the server boots: its boot mapping's volume, or its image. */
  private CompletionStage<BootSource> bootSource(Optional<JsonNode> bootMapping, String imageRef, RequestContext ctx,
      nimbus.compute.Flavor flavor) {
    if (bootMapping.isEmpty()) return bootSources.resolve(imageRef, ctx.projectId(), flavor);
    return bootMappings.boot(bootMapping.get(), ctx, flavor);
  }

  /**
   * Creates {@code count} servers (Nova names several name-1, name-2, ...) through one durable
   * {@link ServerCreation}, keyed by the request: quota, group and servers as its persisted steps.
   * Answers the first id.
   */
  private CompletionStage<String> createAll(ServerSpec spec, int count, String requestId) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < count; i++) ids.add(UUID.randomUUID().toString());
    return sharding.entityRefFor(ServerCreation.TYPE_KEY, requestId)
        .<ServerCreation.Created>askWithStatus(r -> new ServerCreation.Start(spec, ids, r), timeout)
        .thenApply(created -> created.serverIds().get(0));
  }

  /**
   * The server's admin password, as Nova answers a create: the one asked for, or a new random
   * one. Nova's libvirt driver does not put it into the guest unless told to (inject_password),
   * and neither does Nimbus; clients and tempest expect it in the answer.
   */
  private static String adminPass(JsonNode server) {
    JsonNode asked = server.get("adminPass");
    if (asked != null && asked.isTextual() && !asked.asText().isEmpty()) return asked.asText();
    StringBuilder password = new StringBuilder();
    java.security.SecureRandom random = new java.security.SecureRandom();
    String alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"; // Nova's, without look-alikes
    for (int i = 0; i < 12; i++) password.append(alphabet.charAt(random.nextInt(alphabet.length())));
    return password.toString();
  }

  /** The groups a create names, as Nova's answer echoes them (its ports are not made yet): default if none. */
  private static List<String> askedGroups(JsonNode server) {
    JsonNode asked = server.path("security_groups");
    List<String> names = new ArrayList<>();
    asked.forEach(g -> names.add(g.path("name").asText()));
    return names.isEmpty() ? List.of("default") : names;
  }

  private static HttpResponse created(String id, boolean reservation, String adminPass, List<String> groups,
      String baseUrl) {
    if (reservation) return Json.response(202, Map.of("reservation_id", ServerCreation.reservationId(List.of(id))));
    return Json.response(202, Map.of("server", new ServerJson.Created(id, adminPass, groups, baseUrl)))
        .addHeader(Location.create(baseUrl + "/v2.1/servers/" + id));
  }

  /**
   * The user's keypair of that name, whose key the server keeps (so its guest still sees it when
   * the keypair is deleted). Nova refuses a key_name the user has no keypair of.
   */
  private CompletionStage<Optional<Keypair>> keypair(RequestContext ctx, Optional<String> keyName) {
    if (keyName.isEmpty()) return CompletableFuture.completedFuture(Optional.empty());
    return sharding.entityRefFor(KeypairsEntity.TYPE_KEY, ctx.userId())
        .<Keypair>askWithStatus(r -> new KeypairsEntity.Get(keyName.get(), r), timeout)
        .handle((k, e) -> {
          if (e != null) throw Failures.rejection(e).kind() == nimbus.cluster.Rejection.Kind.NOT_FOUND
              ? ApiError.badRequest("Invalid key_name provided.") : Failures.rethrow(e);
          return Optional.of(k);
        });
  }

  /**
   * {@code accessIPv4} and {@code accessIPv6} of a create, update or rebuild (their formats the
   * schemas check), written as Nova writes them back: IPv6 compressed, in lower case.
   */
  private static AccessAddresses accessAddresses(JsonNode request) {
    return new AccessAddresses(Fields.text(request, "accessIPv4").map(ServerRoutes::canonical),
        Fields.text(request, "accessIPv6").map(ServerRoutes::canonical));
  }

  private static String canonical(String address) {
    return IpNet.Address.parse(address).map(IpNet.Address::toString).orElse(address);
  }

  /**
   * The description a create, update or rebuild gives (2.19; null is none). Before 2.19 Nova's
   * schemas have no such field, so it is refused as theirs refuse any unknown one.
   */
  private static Optional<String> description(JsonNode request, Microversion version) {
    if (!request.has("description")) return Optional.empty();
    if (!version.atLeast("2.19")) {
      throw ApiError.badRequest("Additional properties are not allowed ('description' was unexpected)");
    }
    JsonNode d = request.get("description");
    if (!d.isNull() && !d.isTextual()) throw ApiError.badRequest("Invalid input for field/attribute description.");
    return d.isNull() ? Optional.empty() : Optional.of(d.asText());
  }

  /** {@code user_data}, which Nova's schema wants in base64 (its length the schema checks). */
  private static Optional<String> userData(JsonNode server) {
    Optional<String> userData = Fields.text(server, "user_data");
    userData.filter(u -> !UserData.isBase64(u)).ifPresent(u -> {
      throw ApiError.badRequest(UserData.notBase64(u));
    });
    return userData;
  }

  // ------------------------------------------------------------------ read

  private CompletionStage<HttpResponse> show(RequestContext ctx, String id, Microversion version, String baseUrl) {
    policy.enforce(ctx, "os_compute_api:servers:show");
    return visible(ctx, id).thenCompose(view -> securityGroups.names(List.of(view))
        .thenCombine(floatingIps.ofServers(List.of(view)), (groups, floating) ->
        Json.response(200, Map.of("server", ServerJson.full(view, groups.getOrDefault(view.id(), List.of()),
            zoneOf(view), baseUrl, extendedAttributes(ctx), version, hostStatus(ctx, view), floating)))));
  }

  /** Nova's {@code /servers/{id}/ips[/{network}]}: the addresses by network name, version and address only. */
  private CompletionStage<HttpResponse> ips(RequestContext ctx, String id, Optional<String> network) {
    policy.enforce(ctx, network.isEmpty() ? "os_compute_api:ips:index" : "os_compute_api:ips:show");
    return visible(ctx, id).thenApply(view -> {
      Map<String, List<ServerJson.PlainAddress>> all = ServerJson.plainAddresses(view);
      if (network.isEmpty()) return Json.response(200, Map.of("addresses", all));
      if (!all.containsKey(network.get())) throw ApiError.notFound("Instance is not a member of specified network");
      return Json.response(200, Map.of(network.get(), all.get(network.get())));
    });
  }

  /** The server, if it exists and the caller's project may see it (404 otherwise). */
  private CompletionStage<ServerView> visible(RequestContext ctx, String id) {
    if (!Ids.isUuid(id)) throw notFound(id);
    return server(id).<ServerView>askWithStatus(ServerEntity.Get::new, timeout).thenApply(view -> {
      if (!policy.allows(ctx, "context_is_admin") && !view.projectId().equals(ctx.projectId())) throw notFound(id);
      return view;
    });
  }

  private CompletionStage<HttpResponse> list(RequestContext ctx, Map<String, String> q,
      boolean detail, Microversion version, String baseUrl) {
    policy.enforce(ctx, detail ? "os_compute_api:servers:detail" : "os_compute_api:servers:index");
    if (q.containsKey("status") && !STATUSES.contains(q.get("status").toUpperCase())) {
      // Nova before 2.38: a status no server can have matches no server
      return CompletableFuture.completedFuture(Json.response(200, Map.of("servers", List.of())));
    }
    ServerListing.Query query = listQuery(ctx, q, detail, version);
    return readSide(() -> boundedList(query), blocking).thenCompose(servers -> (detail
        ? securityGroups.names(servers) : CompletableFuture.completedFuture(Map.<String, List<String>>of()))
        .thenCombine(detail ? floatingIps.ofServers(servers)
            : CompletableFuture.completedFuture(Map.<String, List<ServerJson.Floating>>of()), (groups, floating) -> {
          Map<String, Object> body = new LinkedHashMap<>();
          body.put("servers", servers.stream().<Object>map(s -> detail ? ServerJson.full(s, groups.getOrDefault(s.id(), List.of()),
              zoneOf(s), baseUrl, extendedAttributes(ctx), version, hostStatus(ctx, s), floating)
              : ServerJson.summary(s, baseUrl)).toList());
          if (servers.size() == query.limit() && !servers.isEmpty()) {
            String next = baseUrl + "/v2.1/servers" + (detail ? "/detail" : "") + "?limit=" + query.limit()
                + "&marker=" + servers.get(servers.size() - 1).id();
            body.put("servers_links", List.of(new Link("next", next)));
          }
          return Json.response(200, body);
        }));
  }

  /** A list whose pattern needs too much work is the client's error, as a bad pattern is. */
  private List<ServerView> boundedList(ServerListing.Query query) throws java.sql.SQLException {
    try {
      return listing.list(query);
    } catch (BoundedPattern.TooCostly e) {
      throw ApiError.badRequest("Invalid filter: " + e.getMessage() + "; use a simpler pattern.");
    }
  }

  private ServerListing.Query listQuery(RequestContext ctx, Map<String, String> q, boolean detail,
      Microversion version) {
    int limit = Fields.limit(q, MAX_LIMIT, MAX_LIMIT);
    Optional<String> status = Optional.ofNullable(q.get("status")).map(String::toUpperCase);
    // a filter the caller may not use is ignored, as before: not refused
    boolean allTenants = isTrue(q.get("all_tenants"))
        && policy.allows(ctx, "os_compute_api:servers:" + (detail ? "detail" : "index") + ":get_all_tenants");
    boolean allFilters = policy.allows(ctx, "os_compute_api:servers:allow_all_filters");
    Optional<String> host = allFilters ? Optional.ofNullable(q.get("host")) : Optional.empty();
    // ip6 is every user's filter from 2.5 only
    Optional<String> ip6 = allFilters || version.atLeast("2.5") ? Optional.ofNullable(q.get("ip6")) : Optional.empty();
    return new ServerListing.Query(allTenants ? Optional.empty() : Optional.of(ctx.projectId()),
        status, Optional.ofNullable(q.get("name")).map(ServerRoutes::namePattern), host,
        Optional.ofNullable(q.get("image")).map(Ids::lastSegment), Optional.ofNullable(q.get("flavor")).map(Ids::lastSegment),
        status.filter("DELETED"::equals).isPresent(), limit, Optional.ofNullable(q.get("marker")),
        Optional.ofNullable(q.get("changes-since")).map(ServerRoutes::changesSince),
        Optional.ofNullable(q.get("ip")).map(ip -> addressPattern("ip", ip)), ip6.map(ip -> addressPattern("ip6", ip)),
        version.atLeast("2.26") ? new ServerListing.TagFilter(tagList(q, "tags"), tagList(q, "tags-any"),
            tagList(q, "not-tags"), tagList(q, "not-tags-any")) : ServerListing.TagFilter.NONE);
  }

  /** A tag filter's tags: comma-separated, as Nova splits them. */
  private static List<String> tagList(Map<String, String> q, String param) {
    return Optional.ofNullable(q.get(param)).map(v -> List.of(v.split(","))).orElse(List.of());
  }

  /** An ISO 8601 time, with or without its zone (then UTC), as Nova reads {@code changes-since}. */
  private static java.time.Instant changesSince(String text) {
    try {
      return java.time.OffsetDateTime.parse(text).toInstant();
    } catch (java.time.format.DateTimeParseException withZone) {
      try {
        return java.time.LocalDateTime.parse(text).toInstant(java.time.ZoneOffset.UTC);
      } catch (java.time.format.DateTimeParseException e) {
        throw ApiError.badRequest("Invalid filter field: changes-since.");
      }
    }
  }

  /** Nova's name filter is a regular expression: one that does not compile is the client's error. */
  private static BoundedPattern namePattern(String regex) {
    try {
      return BoundedPattern.compile(regex);
    } catch (IllegalArgumentException e) {
      throw ApiError.badRequest("Invalid regular expression for name: " + e.getMessage());
    }
  }

  /**
   * Nova's {@code ip} and {@code ip6} filters: regular expressions (its query schema's "regex"
   * format), matched against each fixed address from its start, with bounded work.
   */
  private static BoundedPattern addressPattern(String param, String regex) {
    try {
      return BoundedPattern.compile(regex);
    } catch (IllegalArgumentException e) {
      throw ApiError.badRequest("Invalid input for query parameters " + param + ". Value: " + regex + ". '"
          + regex + "' is not a 'regex': " + e.getMessage());
    }
  }

  private static boolean isTrue(String value) {
    return value != null && (value.isEmpty() || Set.of("1", "true", "yes", "on").contains(value.toLowerCase()));
  }

  // ------------------------------------------------------------------ delete and actions

  private CompletionStage<HttpResponse> update(RequestContext ctx, String id, String body, Microversion version,
      String baseUrl) {
    policy.enforce(ctx, "os_compute_api:servers:update");
    JsonNode server = UPDATE.validate(Json.parseObject(body)).get("server");
    Optional<String> name = Fields.text(server, "name");
    Optional<ServerEntity.NewDescription> description = newDescription(server, version);
    return unlocked(ctx, id)
        .thenCompose(view -> server(id).<ServerView>askWithStatus(
            r -> new ServerEntity.Update(name, accessAddresses(server), description, r), timeout))
        .thenApply(view -> Json.response(200, Map.of("server", ServerJson.updated(view, baseUrl, version, Optional.empty()))));
  }

  /** The description an update or a rebuild gives, if it gives one (null: none). */
  private static Optional<ServerEntity.NewDescription> newDescription(JsonNode request, Microversion version) {
    Optional<String> text = description(request, version);
    return request.has("description") ? Optional.of(new ServerEntity.NewDescription(text)) : Optional.empty();
  }

  private CompletionStage<HttpResponse> actions(RequestContext ctx, String id, Microversion version) {
    policy.enforce(ctx, "os_compute_api:os-instance-actions:list");
    return history(ctx, id, version).thenApply(newestFirst -> Json.response(200, Map.of("instanceActions", newestFirst)));
  }

  /** Nova's {@code os-instance-actions/{request_id}}: the action that request began. */
  private CompletionStage<HttpResponse> action(RequestContext ctx, String id, String requestId, Microversion version) {
    policy.enforce(ctx, "os_compute_api:os-instance-actions:show");
    return history(ctx, id, version).thenApply(actions -> actions.stream().filter(a -> requestId.equals(a.requestId()))
        .findFirst().map(a -> Json.response(200, Map.of("instanceAction", a)))
        .orElseThrow(() -> ApiError.notFound("Action " + requestId + " not found")));
  }

  /**
   * The server's actions as Nova shows them, newest first; from 2.21 a deleted server's too
   * (before, a deleted server has none to show).
   */
  private CompletionStage<List<ServerJson.Action>> history(RequestContext ctx, String id, Microversion version) {
    CompletionStage<String> found = version.atLeast("2.21")
        ? CompletableFuture.completedFuture(Ids.isUuid(id) ? id.toLowerCase() : "")
        : visible(ctx, id).thenApply(ServerView::id);
    return found.thenCompose(serverId -> {
      if (serverId.isEmpty()) throw notFound(id);
      return server(serverId).<ServerEntity.Actions>askWithStatus(ServerEntity.GetActions::new, timeout)
          .thenApply(history -> {
            if (!policy.allows(ctx, "context_is_admin") && !history.projectId().equals(ctx.projectId())) {
              throw notFound(id);
            }
            List<ServerJson.Action> newestFirst = new ArrayList<>();
            for (InstanceAction a : history.actions()) {
              newestFirst.add(0, new ServerJson.Action(a.action(), serverId, a.requestId().orElse(null),
                  history.userId(), history.projectId(), a.startTime().toString(), a.message().orElse(null)));
            }
            return newestFirst;
          });
    });
  }

  /** Rebuild from {@code imageRef} (the project must be allowed to use it); 202 with the server. */
  private CompletionStage<HttpResponse> rebuild(RequestContext ctx, String requestId, String id, JsonNode args,
      String baseUrl, Microversion version) {
    String imageRef = Ids.lastSegment(args.get("imageRef").asText());
    if (!Ids.isUuid(imageRef)) throw ApiError.badRequest("Invalid imageRef provided.");
    Optional<String> name = Fields.text(args, "name");
    Optional<ServerEntity.NewDescription> description = newDescription(args, version);
    return unlocked(ctx, id)
        .thenCompose(view -> {
          // its root disk is its volume: a new image would give it a second first disk
          if (view.imageId().isEmpty()) {
            throw ApiError.badRequest("Image " + imageRef + " is unacceptable: Unable to rebuild with a different image"
                + " for a volume-backed server.");
          }
          return bootSources.resolve(imageRef, ctx.projectId(), view.flavor());
        })
        .thenCompose(boot -> server(id).<ServerView>askWithStatus(r -> new ServerEntity.ForRequest(requestId,
            new ServerEntity.Rebuild(boot, name, accessAddresses(args), description, r)), timeout))
        .thenApply(view -> Json.response(202, Map.of("server", ServerJson.updated(view, baseUrl, version,
            Optional.of(adminPass(args)))))
            .addHeader(Location.create(baseUrl + "/v2.1/servers/" + id)));
  }

  /** Nova's lock rule: an owner may lift its own lock, only an admin lifts an admin's. */
  private CompletionStage<HttpResponse> lock(RequestContext ctx, String requestId, String id, boolean lock) {
    return visible(ctx, id).thenCompose(view -> {
      if (!lock && view.lockedBy().filter("admin"::equals).isPresent()
          && !policy.allows(ctx, "os_compute_api:os-lock-server:unlock:unlock_override")) {
        throw new ApiError(409, "Instance " + id + " was locked by an admin; only an admin can unlock it");
      }
      boolean byAdmin = policy.allows(ctx, "context_is_admin");
      return server(id).<Done>askWithStatus(r -> new ServerEntity.ForRequest(requestId,
          new ServerEntity.Lock(lock, byAdmin, r)), timeout);
    }).thenApply(done -> HttpResponse.create().withStatus(202));
  }

  /** The server, if visible and not locked against this caller (Nova: admins pass a lock). */
  private CompletionStage<ServerView> unlocked(RequestContext ctx, String id) {
    return visible(ctx, id).thenApply(view -> {
      if (view.locked() && !policy.allows(ctx, "context_is_admin")) throw new ApiError(409, "Instance " + id + " is locked");
      return view;
    });
  }

  private CompletionStage<HttpResponse> delete(RequestContext ctx, String requestId, String id) {
    policy.enforce(ctx, "os_compute_api:servers:delete");
    return unlocked(ctx, id)
        .thenCompose(v -> server(id).<Done>askWithStatus(r -> new ServerEntity.ForRequest(requestId,
            new ServerEntity.Delete(r)), timeout))
        .thenApply(done -> HttpResponse.create().withStatus(204));
  }

  private CompletionStage<HttpResponse> action(RequestContext ctx, String requestId, String id, String body,
      String baseUrl, Microversion version) {
    JsonNode request = Json.parseObject(body);
    if (request.size() != 1) throw ApiError.badRequest("Exactly one action is required in the body");
    String action = request.fieldNames().next();
    JsonNode args = request.get(action);
    // an action Nova lacks still needs a member, as before; it is refused as unknown below
    policy.enforce(ctx, ACTION_RULES.getOrDefault(action, "project_member_or_admin"));
    Optional.ofNullable(ACTIONS.get(action)).ifPresent(schema -> schema.validate(request));
    return switch (action) {
      case "os-start" -> accepted(ctx, requestId, id, ServerEntity.Start::new);
      case "os-stop" -> accepted(ctx, requestId, id, ServerEntity.Stop::new);
      case "reboot" -> {
        boolean hard = rebootType(args);
        yield accepted(ctx, requestId, id, replyTo -> new ServerEntity.Reboot(hard, replyTo));
      }
      case "pause" -> accepted(ctx, requestId, id, ServerEntity.Pause::new);
      case "unpause" -> accepted(ctx, requestId, id, ServerEntity.Unpause::new);
      case "suspend" -> accepted(ctx, requestId, id, ServerEntity.Suspend::new);
      case "resume" -> accepted(ctx, requestId, id, ServerEntity.Resume::new);
      case "rebuild" -> rebuild(ctx, requestId, id, args, baseUrl, version);
      case "lock" -> lock(ctx, requestId, id, true);
      case "unlock" -> lock(ctx, requestId, id, false);
      case "os-getConsoleOutput" -> consoleOutput(ctx, id, args);
      case "createImage" -> unlocked(ctx, id).thenCompose(view ->
          snapshots.create(view, args, baseUrl.substring(0, baseUrl.lastIndexOf('/')) + "/image", requestId));
      case "resize" -> unlocked(ctx, id).thenCompose(view -> resizes.resize(ctx, view, args, requestId));
      case "confirmResize" -> accepted(ctx, requestId, id, ServerEntity.ConfirmResize::new)
          .thenApply(r -> HttpResponse.create().withStatus(204));
      case "revertResize" -> accepted(ctx, requestId, id, ServerEntity.RevertResize::new);
      // deletes are never deferred (Nova's reclaim_instance_interval 0): nothing is soft-deleted to restore
      case "restore" -> visible(ctx, id).thenApply(view -> {
        throw new ApiError(409, "Cannot 'restore' instance " + id + " while it is in vm_state " + view.vmState());
      });
      case "forceDelete" -> delete(ctx, requestId, id).thenApply(deleted -> HttpResponse.create().withStatus(202));
      // Nova checks neither the server's state nor its lock here
      case "addSecurityGroup" -> visible(ctx, id).thenCompose(view -> securityGroups.add(ctx, view, args));
      case "removeSecurityGroup" -> visible(ctx, id).thenCompose(view -> securityGroups.remove(ctx, view, args));
      // Nova's proxies to Neutron's floating IPs, gone from 2.44
      case "addFloatingIp" -> {
        if (version.atLeast("2.44")) throw unknownAction(action);
        yield visible(ctx, id).thenCompose(view -> floatingIps.add(ctx, view, args));
      }
      case "removeFloatingIp" -> {
        if (version.atLeast("2.44")) throw unknownAction(action);
        yield floatingIps.remove(ctx, id, args);
      }
      // 2.17's; its body is null, as Nova's schema says
      case "trigger_crash_dump" -> {
        if (!version.atLeast("2.17")) throw unknownAction(action);
        if (!args.isNull()) {
          throw ApiError.badRequest("Invalid input for field/attribute trigger_crash_dump. Value: " + args
              + ". " + args + " is not of type 'null'");
        }
        yield accepted(ctx, requestId, id, ServerEntity.TriggerCrashDump::new);
      }
      default -> throw unknownAction(action);
    };
  }

  private static ApiError unknownAction(String action) {
    return ApiError.badRequest("There is no such action: " + action);
  }

  private static boolean rebootType(JsonNode args) {
    return args.get("type").asText().equalsIgnoreCase("hard");
  }

  /** The action, on behalf of request {@code requestId}, accepted (202). */
  private CompletionStage<HttpResponse> accepted(RequestContext ctx, String requestId, String id,
      Function<ActorRef<StatusReply<Done>>, ServerEntity.Command> command) {
    return unlocked(ctx, id)
        .thenCompose(v -> server(id).<Done>askWithStatus(r -> new ServerEntity.ForRequest(requestId, command.apply(r)),
            timeout))
        .thenApply(done -> HttpResponse.create().withStatus(202));
  }

  private CompletionStage<HttpResponse> consoleOutput(RequestContext ctx, String id, JsonNode args) {
    // -1 (or no length) is the whole log
    Optional<Integer> lines = Fields.integer(args, "length").filter(n -> n != -1);
    return visible(ctx, id)
        .thenCompose(v -> server(id).<String>askWithStatus(
            replyTo -> new ServerEntity.GetConsoleOutput(lines, replyTo), timeout))
        .thenApply(output -> {
          return Json.response(200, Map.of("output", output));
        });
  }

  // ------------------------------------------------------------------ plumbing

  /** The zone a server asked for, or else the zone of its host (empty until it has one). */
  private String zoneOf(ServerView view) {
    return view.availabilityZone().or(() -> view.host().flatMap(directory::zoneOf)).orElse("");
  }

  private EntityRef<ServerEntity.Command> server(String id) {
    return sharding.entityRefFor(ServerEntity.TYPE_KEY, id.toLowerCase());
  }

  /**
   * Nova's {@code host_status} (2.16, admins by policy): UP while its host beats, UNKNOWN once
   * it stops, "" for a server on no host; none for others.
   */
  private Optional<String> hostStatus(RequestContext ctx, ServerView view) {
    if (!policy.allows(ctx, "os_compute_api:servers:show:host_status")) return Optional.empty();
    return Optional.of(view.host().map(h -> directory.isUp(h, hostDownAfter) ? "UP" : "UNKNOWN").orElse(""));
  }

  /** Nova shows admins where a server runs (OS-EXT-SRV-ATTR). */
  private boolean extendedAttributes(RequestContext ctx) {
    return policy.allows(ctx, "os_compute_api:os-extended-server-attributes");
  }

  private static ApiError notFound(String id) {
    return ApiError.notFound("Instance " + id + " could not be found.");
  }
}
