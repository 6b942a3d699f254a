package nimbus.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import nimbus.compute.HostDirectory;
import nimbus.compute.InstanceAction;
import nimbus.compute.Keypair;
import nimbus.compute.KeypairsEntity;
import nimbus.compute.ServerCreation;
import nimbus.compute.ServerEntity;
import nimbus.compute.ServerListing;
import nimbus.compute.ServerSpec;
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
  private static final Set<String> CREATE_FIELDS = Set.of("name", "imageRef", "flavorRef",
      "metadata", "networks", "min_count", "max_count", "return_reservation_id", "adminPass",
      "security_groups", "availability_zone", "key_name", "user_data", "config_drive",
      "OS-DCF:diskConfig", "accessIPv4", "accessIPv6", "description");
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
      Map.entry("revertResize", "os_compute_api:servers:revert_resize"));

  private final ClusterSharding sharding;
  private final ServerListing listing;
  private final BootSources bootSources;
  private final Executor blocking;
  private final Duration timeout;

  private final FlavorRoutes flavors;
  private final ServerSnapshots snapshots;
  private final ServerResizes resizes;
  private final ServerGroupRoutes serverGroups;
  private final HostDirectory directory;
  private final Policy policy;

  ServerRoutes(ClusterSharding sharding, FlavorRoutes flavors, ServerGroupRoutes serverGroups, ImageQuotas imageQuotas,
      ServerListing listing,
      HostDirectory directory, Executor blocking, Duration timeout, Policy policy) {
    super(NovaErrors::response);
    this.policy = policy;
    this.directory = directory;
    this.serverGroups = serverGroups;
    this.flavors = flavors;
    this.sharding = sharding;
    this.listing = listing;
    this.bootSources = new BootSources(sharding, timeout);
    this.snapshots = new ServerSnapshots(sharding, bootSources, imageQuotas, timeout);
    this.resizes = new ServerResizes(sharding, flavors, timeout);
    this.blocking = blocking;
    this.timeout = timeout;
  }

  /** The routes under {@code /compute/v2.1/servers}; {@code baseUrl} ends with /compute. */
  Route route(RequestContext ctx, String baseUrl) {
    return pathPrefix("servers", () -> concat(
        pathEndOrSingleSlash(() -> concat(
            get(() -> parameterMap(q -> respond(() -> list(ctx, q, false, baseUrl)))),
            post(() -> body(b -> respond(() -> create(ctx, b, baseUrl)))))),
        path("detail", () -> get(() -> parameterMap(q -> respond(() -> list(ctx, q, true, baseUrl))))),
        pathPrefix(PathMatchers.segment(), id -> concat(
            pathEndOrSingleSlash(() -> concat(
                get(() -> respond(() -> show(ctx, id, baseUrl))),
                put(() -> body(b -> respond(() -> update(ctx, id, b, baseUrl)))),
                delete(() -> respond(() -> delete(ctx, id))))),
            path("action", () -> post(() -> body(b -> respond(() -> action(ctx, id, b, baseUrl))))),
            path("os-instance-actions", () -> get(() -> respond(() -> actions(ctx, id))))))));
  }

  // ------------------------------------------------------------------ create

  private CompletionStage<HttpResponse> create(RequestContext ctx, String body, String baseUrl) {
    policy.enforce(ctx, "os_compute_api:servers:create");
    JsonNode request = Json.parseObject(body);
    JsonNode server = Fields.object(request, "server");
    Fields.onlyKnown(server, "server", CREATE_FIELDS);
    String name = Fields.name(server, "name");
    String imageRef = Ids.lastSegment(Fields.requiredString(server, "imageRef", 255));
    if (!Ids.isUuid(imageRef)) throw ApiError.badRequest("Invalid imageRef provided.");
    String flavorRef = Ids.lastSegment(Fields.reference(server, "flavorRef"));
    Map<String, String> metadata = Fields.metadata(server, "metadata");
    checkNetworks(server.get("networks"));
    Optional<String> zone = Fields.optionalString(server, "availability_zone", 255);
    if (zone.isPresent() && !directory.zones().containsKey(zone.get())) {
      throw ApiError.badRequest("The requested availability zone is not available");
    }
    int min = count(server, "min_count", 1);
    int max = count(server, "max_count", min);
    if (min > max) throw ApiError.badRequest("min_count must be <= max_count");
    boolean reservation = server.path("return_reservation_id").asBoolean(false);
    Optional<String> keyName = Fields.optionalString(server, "key_name", 255);
    return serverGroups.hinted(ctx, request).thenCompose(group -> flavors.usable(ctx, flavorRef)
            .thenCompose(flavor -> keyExists(ctx, keyName)
            .thenCompose(k -> bootSources.resolve(imageRef, ctx.projectId()))
            .thenCompose(boot -> createAll(new ServerSpec(name, ctx.projectId(), ctx.userId(), flavor, boot,
                metadata, keyName, group.map(g -> g.placement(ctx.projectId())), zone), max))))
        .thenApply(id -> created(id, reservation, baseUrl));
  }

  /**
   * Creates {@code count} servers (Nova names several name-1, name-2, ...) through one durable
   * {@link ServerCreation}: quota, group and servers as its persisted steps. Answers the first id.
   */
  private CompletionStage<String> createAll(ServerSpec spec, int count) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < count; i++) ids.add(UUID.randomUUID().toString());
    return sharding.entityRefFor(ServerCreation.TYPE_KEY, UUID.randomUUID().toString())
        .<ServerCreation.Created>askWithStatus(r -> new ServerCreation.Start(spec, ids, r), timeout)
        .thenApply(created -> created.serverIds().get(0));
  }

  private static HttpResponse created(String id, boolean reservation, String baseUrl) {
    ObjectNode out = Json.MAPPER.createObjectNode();
    if (reservation) {
      out.put("reservation_id", "r-" + id.substring(0, 8));
      return Json.response(202, out);
    }
    ObjectNode s = out.putObject("server");
    s.put("id", id);
    s.set("links", ServerJson.links(baseUrl, "servers", id));
    s.put("OS-DCF:diskConfig", "MANUAL");
    s.putArray("security_groups").addObject().put("name", "default");
    return Json.response(202, out).addHeader(Location.create(baseUrl + "/v2.1/servers/" + id));
  }

  /** Nova refuses a key_name the user has no keypair of. */
  private CompletionStage<Void> keyExists(RequestContext ctx, Optional<String> keyName) {
    if (keyName.isEmpty()) return CompletableFuture.completedFuture(null);
    return sharding.entityRefFor(KeypairsEntity.TYPE_KEY, ctx.userId())
        .<Keypair>askWithStatus(r -> new KeypairsEntity.Get(keyName.get(), r), timeout)
        .handle((k, e) -> {
          if (e != null) throw Failures.rejection(e).kind() == nimbus.cluster.Rejection.Kind.NOT_FOUND
              ? ApiError.badRequest("Invalid key_name provided.") : Failures.rethrow(e);
          return null;
        });
  }

  private static int count(JsonNode server, String field, int otherwise) {
    JsonNode n = server.get(field);
    if (n == null) return otherwise;
    int value;
    if (n.isIntegralNumber()) {
      value = Fields.intValue(field, n);
    } else if (n.isTextual() && n.asText().matches("[0-9]{1,4}")) {
      value = Integer.parseInt(n.asText());
    } else {
      throw Fields.wrongType(field, n, "integer");
    }
    if (value < 1 || value > 100) throw Fields.invalid(field, n, "must be from 1 to 100");
    return value;
  }

  /** Nova 2.1 takes "auto", "none" or a list of {uuid, port, fixed_ip}; networks come later. */
  private static void checkNetworks(JsonNode networks) {
    if (networks == null) return;
    if (networks.isTextual() && Set.of("auto", "none").contains(networks.asText())) return;
    if (!networks.isArray()) throw Fields.wrongType("networks", networks, "array");
    for (JsonNode n : networks) {
      if (!n.isObject()) throw Fields.wrongType("networks", n, "object");
      Fields.onlyKnown(n, "networks", Set.of("uuid", "port", "fixed_ip", "tag"));
    }
  }

  // ------------------------------------------------------------------ read

  private CompletionStage<HttpResponse> show(RequestContext ctx, String id, String baseUrl) {
    policy.enforce(ctx, "os_compute_api:servers:show");
    return visible(ctx, id).thenApply(view -> {
      ObjectNode body = Json.MAPPER.createObjectNode();
      body.set("server", ServerJson.detail(view, zoneOf(view), baseUrl, extendedAttributes(ctx)));
      return Json.response(200, body);
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
      boolean detail, String baseUrl) {
    policy.enforce(ctx, detail ? "os_compute_api:servers:detail" : "os_compute_api:servers:index");
    ServerListing.Query query = listQuery(ctx, q, detail);
    return readSide(() -> listing.list(query), blocking).thenApply(servers -> {
      ObjectNode body = Json.MAPPER.createObjectNode();
      ArrayNode array = body.putArray("servers");
      for (ServerView s : servers) {
        array.add(detail ? ServerJson.detail(s, zoneOf(s), baseUrl, extendedAttributes(ctx)) : ServerJson.summary(s, baseUrl));
      }
      if (servers.size() == query.limit() && !servers.isEmpty()) {
        String next = baseUrl + "/v2.1/servers" + (detail ? "/detail" : "") + "?limit=" + query.limit()
            + "&marker=" + servers.get(servers.size() - 1).id();
        body.putArray("servers_links").addObject().put("rel", "next").put("href", next);
      }
      return Json.response(200, body);
    });
  }

  private ServerListing.Query listQuery(RequestContext ctx, Map<String, String> q, boolean detail) {
    int limit = Fields.limit(q, MAX_LIMIT, MAX_LIMIT);
    Optional<String> status = Optional.ofNullable(q.get("status")).map(String::toUpperCase);
    if (status.isPresent() && !STATUSES.contains(status.get())) {
      throw ApiError.badRequest("Invalid status value");
    }
    // a filter the caller may not use is ignored, as before: not refused
    boolean allTenants = isTrue(q.get("all_tenants"))
        && policy.allows(ctx, "os_compute_api:servers:" + (detail ? "detail" : "index") + ":get_all_tenants");
    Optional<String> host = policy.allows(ctx, "os_compute_api:servers:allow_all_filters")
        ? Optional.ofNullable(q.get("host")) : Optional.empty();
    return new ServerListing.Query(allTenants ? Optional.empty() : Optional.of(ctx.projectId()),
        status, Optional.ofNullable(q.get("name")).map(ServerRoutes::namePattern), host,
        Optional.ofNullable(q.get("image")).map(Ids::lastSegment), Optional.ofNullable(q.get("flavor")).map(Ids::lastSegment),
        status.filter("DELETED"::equals).isPresent(), limit, Optional.ofNullable(q.get("marker")));
  }

  /** Nova's name filter is a regular expression: one that does not compile is the client's error. */
  private static String namePattern(String regex) {
    if (regex.length() > 255) throw ApiError.badRequest("Invalid name filter: longer than 255 characters");
    try {
      java.util.regex.Pattern.compile(regex);
      return regex;
    } catch (java.util.regex.PatternSyntaxException e) {
      throw ApiError.badRequest("Invalid regular expression for name: " + e.getDescription());
    }
  }

  private static boolean isTrue(String value) {
    return value != null && (value.isEmpty() || Set.of("1", "true", "yes", "on").contains(value.toLowerCase()));
  }

  // ------------------------------------------------------------------ delete and actions

  private CompletionStage<HttpResponse> update(RequestContext ctx, String id, String body, String baseUrl) {
    policy.enforce(ctx, "os_compute_api:servers:update");
    JsonNode server = Fields.object(Json.parseObject(body), "server");
    Fields.onlyKnown(server, "server", Set.of("name", "description", "accessIPv4", "accessIPv6", "OS-DCF:diskConfig"));
    Optional<String> name = server.has("name") ? Optional.of(Fields.name(server, "name")) : Optional.empty();
    return unlocked(ctx, id).thenCompose(view -> name.isEmpty()
            ? CompletableFuture.completedFuture(view)
            : server(id).<ServerView>askWithStatus(r -> new ServerEntity.Rename(name.get(), r), timeout))
        .thenApply(view -> {
          ObjectNode out = Json.MAPPER.createObjectNode();
          out.set("server", ServerJson.detail(view, zoneOf(view), baseUrl, extendedAttributes(ctx)));
          return Json.response(200, out);
        });
  }

  private CompletionStage<HttpResponse> actions(RequestContext ctx, String id) {
    policy.enforce(ctx, "os_compute_api:os-instance-actions:list");
    return visible(ctx, id)
        .thenCompose(view -> server(id).<ServerEntity.Actions>askWithStatus(ServerEntity.GetActions::new, timeout)
            .thenApply(history -> {
              ObjectNode out = Json.MAPPER.createObjectNode();
              ArrayNode list = out.putArray("instanceActions");
              List<InstanceAction> newestFirst = new ArrayList<>(history.actions());
              Collections.reverse(newestFirst);
              for (InstanceAction a : newestFirst) {
                list.addObject().put("action", a.action()).put("instance_uuid", id).putNull("request_id")
                    .put("user_id", view.userId()).put("project_id", view.projectId())
                    .put("start_time", a.startTime().toString()).put("message", a.message().orElse(null));
              }
              return Json.response(200, out);
            }));
  }

  /** Rebuild from {@code imageRef} (the project must be allowed to use it); 202 with the server. */
  private CompletionStage<HttpResponse> rebuild(RequestContext ctx, String id, JsonNode args, String baseUrl) {
    if (args == null || !args.isObject()) throw Fields.wrongType("rebuild", args, "object");
    Fields.onlyKnown(args, "rebuild", Set.of("imageRef", "name", "adminPass", "metadata", "preserve_ephemeral",
        "OS-DCF:diskConfig", "accessIPv4", "accessIPv6", "personality"));
    String imageRef = Ids.lastSegment(Fields.requiredString(args, "imageRef", 255));
    if (!Ids.isUuid(imageRef)) throw ApiError.badRequest("Invalid imageRef provided.");
    Optional<String> name = args.has("name") ? Optional.of(Fields.name(args, "name")) : Optional.empty();
    return unlocked(ctx, id)
        .thenCompose(view -> bootSources.resolve(imageRef, ctx.projectId()))
        .thenCompose(boot -> server(id).<ServerView>askWithStatus(r -> new ServerEntity.Rebuild(boot, name, r), timeout))
        .thenApply(view -> {
          ObjectNode out = Json.MAPPER.createObjectNode();
          out.set("server", ServerJson.detail(view, zoneOf(view), baseUrl, extendedAttributes(ctx)));
          return Json.response(202, out);
        });
  }

  /** Nova's lock rule: an owner may lift its own lock, only an admin lifts an admin's. */
  private CompletionStage<HttpResponse> lock(RequestContext ctx, String id, boolean lock) {
    return visible(ctx, id).thenCompose(view -> {
      if (!lock && view.lockedBy().filter("admin"::equals).isPresent()
          && !policy.allows(ctx, "os_compute_api:os-lock-server:unlock:unlock_override")) {
        throw new ApiError(409, "Instance " + id + " was locked by an admin; only an admin can unlock it");
      }
      boolean byAdmin = policy.allows(ctx, "context_is_admin");
      return server(id).<Done>askWithStatus(r -> new ServerEntity.Lock(lock, byAdmin, r), timeout);
    }).thenApply(done -> HttpResponse.create().withStatus(202));
  }

  /** The server, if visible and not locked against this caller (Nova: admins pass a lock). */
  private CompletionStage<ServerView> unlocked(RequestContext ctx, String id) {
    return visible(ctx, id).thenApply(view -> {
      if (view.locked() && !policy.allows(ctx, "context_is_admin")) throw new ApiError(409, "Instance " + id + " is locked");
      return view;
    });
  }

  private CompletionStage<HttpResponse> delete(RequestContext ctx, String id) {
    policy.enforce(ctx, "os_compute_api:servers:delete");
    return unlocked(ctx, id)
        .thenCompose(v -> server(id).<Done>askWithStatus(ServerEntity.Delete::new, timeout))
        .thenApply(done -> HttpResponse.create().withStatus(204));
  }

  private CompletionStage<HttpResponse> action(RequestContext ctx, String id, String body, String baseUrl) {
    JsonNode request = Json.parseObject(body);
    if (request.size() != 1) throw ApiError.badRequest("Exactly one action is required in the body");
    String action = request.fieldNames().next();
    JsonNode args = request.get(action);
    // an action Nova lacks still needs a member, as before; it is refused as unknown below
    policy.enforce(ctx, ACTION_RULES.getOrDefault(action, "project_member_or_admin"));
    return switch (action) {
      case "os-start" -> accepted(ctx, id, ServerEntity.Start::new);
      case "os-stop" -> accepted(ctx, id, ServerEntity.Stop::new);
      case "reboot" -> {
        boolean hard = rebootType(args);
        yield accepted(ctx, id, replyTo -> new ServerEntity.Reboot(hard, replyTo));
      }
      case "pause" -> accepted(ctx, id, ServerEntity.Pause::new);
      case "unpause" -> accepted(ctx, id, ServerEntity.Unpause::new);
      case "suspend" -> accepted(ctx, id, ServerEntity.Suspend::new);
      case "resume" -> accepted(ctx, id, ServerEntity.Resume::new);
      case "rebuild" -> rebuild(ctx, id, args, baseUrl);
      case "lock" -> lock(ctx, id, true);
      case "unlock" -> lock(ctx, id, false);
      case "os-getConsoleOutput" -> consoleOutput(ctx, id, args);
      case "createImage" -> unlocked(ctx, id).thenCompose(view ->
          snapshots.create(view, args, baseUrl.substring(0, baseUrl.lastIndexOf('/')) + "/image"));
      case "resize" -> unlocked(ctx, id).thenCompose(view -> resizes.resize(ctx, view, args));
      case "confirmResize" -> accepted(ctx, id, ServerEntity.ConfirmResize::new)
          .thenApply(r -> HttpResponse.create().withStatus(204));
      case "revertResize" -> accepted(ctx, id, ServerEntity.RevertResize::new);
      default -> throw ApiError.badRequest("There is no such action: " + action);
    };
  }

  private static boolean rebootType(JsonNode args) {
    if (args == null || !args.isObject()) throw Fields.wrongType("reboot", args, "object");
    Fields.onlyKnown(args, "reboot", Set.of("type"));
    String type = Fields.requiredString(args, "type", 4);
    return switch (type) {
      case "HARD", "Hard", "hard" -> true;
      case "SOFT", "Soft", "soft" -> false;
      default -> throw Fields.invalid("type", args.get("type"),
          "'" + type + "' is not one of ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft']");
    };
  }

  private CompletionStage<HttpResponse> accepted(RequestContext ctx, String id,
      Function<ActorRef<StatusReply<Done>>, ServerEntity.Command> command) {
    return unlocked(ctx, id)
        .thenCompose(v -> server(id).<Done>askWithStatus(command::apply, timeout))
        .thenApply(done -> HttpResponse.create().withStatus(202));
  }

  private CompletionStage<HttpResponse> consoleOutput(RequestContext ctx, String id, JsonNode args) {
    if (args == null || !args.isObject()) throw Fields.wrongType("os-getConsoleOutput", args, "object");
    Fields.onlyKnown(args, "os-getConsoleOutput", Set.of("length"));
    Optional<Integer> lines = consoleLength(args.get("length"));
    return visible(ctx, id)
        .thenCompose(v -> server(id).<String>askWithStatus(
            replyTo -> new ServerEntity.GetConsoleOutput(lines, replyTo), timeout))
        .thenApply(output -> {
          ObjectNode body = Json.MAPPER.createObjectNode();
          body.put("output", output);
          return Json.response(200, body);
        });
  }

  /** Nova takes an integer or a numeric string; -1 or null means the whole log. */
  private static Optional<Integer> consoleLength(JsonNode length) {
    if (length == null || length.isNull()) return Optional.empty();
    int value;
    if (length.isIntegralNumber()) {
      value = Fields.intValue("length", length);
    } else if (length.isTextual() && length.asText().matches("-?[0-9]{1,9}")) {
      value = Integer.parseInt(length.asText());
    } else {
      throw Fields.wrongType("length", length, "integer, string");
    }
    if (value < -1) throw Fields.invalid("length", length, value + " is less than the minimum of -1");
    return value == -1 ? Optional.empty() : Optional.of(value);
  }

  // ------------------------------------------------------------------ plumbing

  /** The zone a server asked for, or else the zone of its host (empty until it has one). */
  private String zoneOf(ServerView view) {
    return view.availabilityZone().or(() -> view.host().flatMap(directory::zoneOf)).orElse("");
  }

  private EntityRef<ServerEntity.Command> server(String id) {
    return sharding.entityRefFor(ServerEntity.TYPE_KEY, id.toLowerCase());
  }

  /** Nova shows admins where a server runs (OS-EXT-SRV-ATTR). */
  private boolean extendedAttributes(RequestContext ctx) {
    return policy.allows(ctx, "os_compute_api:os-extended-server-attributes");
  }

  private static ApiError notFound(String id) {
    return ApiError.notFound("Instance " + id + " could not be found.");
  }
}
