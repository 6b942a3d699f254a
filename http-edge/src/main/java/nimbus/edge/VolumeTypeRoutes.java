package nimbus.edge;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import nimbus.storage.VolumeListing;
import nimbus.storage.VolumeType;
import nimbus.storage.VolumeTypeCatalogEntity;
import nimbus.storage.VolumeTypeCatalogEntity.Catalog;
import org.apache.pekko.Done;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Cinder's {@code /types}: list, show ({@code default} too), create, update and delete (admin;
 * not while a volume is of the type), extra specs, and access to private types
 * ({@code os-volume-type-access}, {@code addProjectAccess}/{@code removeProjectAccess}). A project
 * sees the public types and the private ones open to it: another is a 404.
 */
final class VolumeTypeRoutes extends ServiceRoutes {
  /** Cinder's extra specs every reader may see; the rest only admins ({@code read_sensitive}). */
  private static final Set<String> USER_VISIBLE = Set.of("RESKEY:availability_zones", "multiattach",
      "replication_enabled");
  private static final Set<String> TRUE = Set.of("true", "1", "yes", "on", "t", "y");
  private static final Set<String> FALSE = Set.of("false", "0", "no", "off", "f", "n");

  private final EntityRef<VolumeTypeCatalogEntity.Command> catalog;
  private final VolumeListing listing;
  private final Executor blocking;
  private final Duration timeout;
  private final Policy policy;

  VolumeTypeRoutes(ClusterSharding sharding, VolumeListing listing, Executor blocking, Duration timeout, Policy policy) {
    super(NovaErrors::response);
    this.catalog = sharding.entityRefFor(VolumeTypeCatalogEntity.TYPE_KEY, VolumeTypeCatalogEntity.ENTITY_ID);
    this.listing = listing;
    this.blocking = blocking;
    this.timeout = timeout;
    this.policy = policy;
  }

  Route route(RequestContext ctx) {
    return pathPrefix("types", () -> concat(
        pathEndOrSingleSlash(() -> concat(
            get(() -> parameterMap(q -> respond(() -> list(ctx, q)))),
            post(() -> body(b -> respond(() -> create(ctx, b)))))),
        pathPrefix(PathMatchers.segment(), id -> concat(
            pathEndOrSingleSlash(() -> concat(
                get(() -> respond(() -> {
                  policy.enforce(ctx, "volume_extension:type_get");
                  return visible(ctx, id).thenApply(t -> Json.response(200, Map.of("volume_type", view(ctx, t))));
                })),
                put(() -> body(b -> respond(() -> update(ctx, id, b)))),
                delete(() -> respond(() -> remove(ctx, id))))),
            pathPrefix("extra_specs", () -> concat(
                pathEndOrSingleSlash(() -> concat(
                    get(() -> respond(() -> {
                      policy.enforce(ctx, "volume_extension:types_extra_specs:index");
                      return visible(ctx, id).thenApply(t -> Json.response(200, Map.of("extra_specs", specsShown(ctx, t))));
                    })),
                    post(() -> body(b -> respond(() -> setSpecs(ctx, id, b)))))),
                path(PathMatchers.segment(), key -> concat(
                    get(() -> respond(() -> spec(ctx, id, key))),
                    put(() -> body(b -> respond(() -> setSpec(ctx, id, key, b)))),
                    delete(() -> respond(() -> unsetSpec(ctx, id, key))))))),
            path("os-volume-type-access", () -> get(() -> respond(() -> accessList(ctx, id)))),
            path("action", () -> post(() -> body(b -> respond(() -> action(ctx, id, b)))))))));
  }

  CompletionStage<Catalog> catalog() {
    return catalog.askWithStatus(VolumeTypeCatalogEntity.Get::new, timeout);
  }

  /** The type a volume of {@code ctx}'s project may be created with, by id or name; else 404 as Cinder. */
  CompletionStage<VolumeType> usable(RequestContext ctx, String idOrName) {
    return catalog().thenApply(c -> c.find(idOrName).filter(t -> t.usableBy(ctx.projectId()) || seesAll(ctx))
        .orElseThrow(() -> ApiError.notFound(Ids.isUuid(idOrName) ? "Volume type " + idOrName + " could not be found."
            : "Volume type with name " + idOrName + " could not be found.")));
  }

  /** Cinder's admin context (its {@code is_admin}) sees and uses every type, private ones too. */
  private boolean seesAll(RequestContext ctx) {
    return policy.allows(ctx, "context_is_admin");
  }

  /** The type {@code id} ({@code default}: the default type), if the caller may see it; else 404. */
  private CompletionStage<VolumeType> visible(RequestContext ctx, String id) {
    String wanted = id.equals("default") ? VolumeType.DEFAULT_ID : id;
    return catalog().thenApply(c -> Optional.ofNullable(c.byId().get(wanted))
        .filter(t -> t.usableBy(ctx.projectId()) || seesAll(ctx))
        .orElseThrow(() -> ApiError.notFound("Volume type " + id + " could not be found.")));
  }

  /**
   * Cinder's list: the public types and the private ones open to the caller; an admin's
   * {@code is_public} chooses ({@code true}: those, {@code false}: private only, {@code none}: all).
   */
  private CompletionStage<HttpResponse> list(RequestContext ctx, Map<String, String> q) {
    policy.enforce(ctx, "volume_extension:type_get_all");
    String isPublic = seesAll(ctx) ? q.getOrDefault("is_public", "true").toLowerCase(Locale.ROOT) : "true";
    Optional<Boolean> wanted = isPublic.equals("none") ? Optional.empty() : Optional.of(bool(isPublic, "is_public"));
    return catalog().thenApply(c -> Json.response(200, Map.of("volume_types", c.sorted().stream()
        .filter(t -> wanted.isEmpty()
            || (wanted.get() ? t.isPublic() || t.projects().contains(ctx.projectId()) : !t.isPublic()))
        .map(t -> view(ctx, t)).toList())));
  }

  private CompletionStage<HttpResponse> create(RequestContext ctx, String text) {
    policy.enforce(ctx, "volume_extension:type_create");
    JsonNode in = element(text);
    String name = name(in).orElseThrow(() -> ApiError.badRequest("Invalid input for field/attribute volume_type."
        + " 'name' is a required property"));
    String description = text(in, "description").orElse(null);
    Map<String, String> specs = specs(in.get("extra_specs"), "extra_specs");
    JsonNode isPublic = in.get("os-volume-type-access:is_public");
    boolean open = isPublic == null || isPublic.isNull() || bool(isPublic.asText(), "os-volume-type-access:is_public");
    VolumeType type = new VolumeType(UUID.randomUUID().toString(), name, description, open, Set.of(), specs);
    return catalog.<VolumeType>askWithStatus(r -> new VolumeTypeCatalogEntity.Create(type, r), timeout)
        .thenApply(t -> {
          Map<String, Object> view = plain(t);
          view.put("os-volume-type-access:is_public", t.isPublic());
          return Json.response(200, Map.of("volume_type", view));
        });
  }

  private CompletionStage<HttpResponse> update(RequestContext ctx, String id, String text) {
    policy.enforce(ctx, "volume_extension:type_update");
    JsonNode in = element(text);
    Optional<String> name = name(in);
    Optional<String> description = text(in, "description");
    Optional<Boolean> isPublic = in.hasNonNull("is_public")
        ? Optional.of(bool(in.get("is_public").asText(), "is_public")) : Optional.empty();
    if (name.isEmpty() && description.isEmpty() && isPublic.isEmpty()) {
      throw ApiError.badRequest("Specify volume type name, description, is_public or a combination thereof.");
    }
    return visible(ctx, id).thenCompose(t -> name.filter(n -> !n.equals(t.name())).isPresent()
            ? unused(t, "Volume Type is currently in use.") : CompletableFuture.completedFuture(t))
        .thenCompose(t -> catalog.<VolumeType>askWithStatus(
            r -> new VolumeTypeCatalogEntity.Update(t.id(), name, description, isPublic, r), timeout))
        .thenApply(t -> Json.response(200, Map.of("volume_type", plain(t))));
  }

  private CompletionStage<HttpResponse> remove(RequestContext ctx, String id) {
    policy.enforce(ctx, "volume_extension:type_delete");
    return visible(ctx, id).thenCompose(t -> unused(t, "Target volume type is still in use."))
        .thenCompose(t -> catalog.<Done>askWithStatus(r -> new VolumeTypeCatalogEntity.Delete(t.id(), r), timeout))
        .thenApply(d -> HttpResponse.create().withStatus(202));
  }

  /** The type, once no volume is of it (volumes keep their type's name); else 400 with {@code message}. */
  private CompletionStage<VolumeType> unused(VolumeType t, String message) {
    return readSide(() -> listing.anyOfType(t.name()), blocking).thenApply(used -> {
      if (used) throw ApiError.badRequest(message);
      return t;
    });
  }

  private CompletionStage<HttpResponse> setSpecs(RequestContext ctx, String id, String text) {
    policy.enforce(ctx, "volume_extension:types_extra_specs:create");
    JsonNode body = Json.parseObject(text);
    if (!body.path("extra_specs").isObject()) {
      throw ApiError.badRequest("Invalid input for field/attribute extra_specs. It must be an object.");
    }
    Map<String, String> specs = specs(body.get("extra_specs"), "extra_specs");
    return visible(ctx, id).thenCompose(t -> unused(t, "Volume Type is currently in use."))
        .thenCompose(t -> catalog.<VolumeType>askWithStatus(
            r -> new VolumeTypeCatalogEntity.SetExtraSpecs(t.id(), specs, r), timeout))
        .thenApply(t -> Json.response(200, Map.of("extra_specs", specs)));
  }

  private CompletionStage<HttpResponse> spec(RequestContext ctx, String id, String key) {
    policy.enforce(ctx, "volume_extension:types_extra_specs:show");
    return visible(ctx, id).thenApply(t -> {
      String value = specsShown(ctx, t).get(key);
      if (value == null) throw ApiError.notFound(VolumeTypeCatalogEntity.noSuchSpec(id, key));
      return Json.response(200, Map.of(key, value));
    });
  }

  /** Sets one extra spec: the body is that one item, its key the path's (Cinder's update). */
  private CompletionStage<HttpResponse> setSpec(RequestContext ctx, String id, String key, String text) {
    policy.enforce(ctx, "volume_extension:types_extra_specs:update");
    Map<String, String> item = specs(Json.parseObject(text), "extra_specs");
    if (!item.containsKey(key) || item.size() != 1) throw ApiError.badRequest("Request body and URI mismatch");
    return visible(ctx, id).thenCompose(t -> unused(t, "Volume Type is currently in use."))
        .thenCompose(t -> catalog.<VolumeType>askWithStatus(
            r -> new VolumeTypeCatalogEntity.SetExtraSpecs(t.id(), item, r), timeout))
        .thenApply(t -> Json.response(200, item));
  }

  private CompletionStage<HttpResponse> unsetSpec(RequestContext ctx, String id, String key) {
    policy.enforce(ctx, "volume_extension:types_extra_specs:delete");
    return visible(ctx, id).thenCompose(t -> unused(t, "Volume Type is currently in use."))
        .thenCompose(t -> catalog.<VolumeType>askWithStatus(
            r -> new VolumeTypeCatalogEntity.UnsetExtraSpec(t.id(), key, r), timeout))
        .thenApply(t -> HttpResponse.create().withStatus(202));
  }

  private CompletionStage<HttpResponse> accessList(RequestContext ctx, String id) {
    policy.enforce(ctx, "volume_extension:volume_type_access:get_all_for_type");
    return visible(ctx, id).thenApply(t -> {
      if (t.isPublic()) throw ApiError.notFound("Access list not available for public volume types.");
      return Json.response(200, Map.of("volume_type_access", t.projects().stream().sorted()
          .map(p -> Map.of("volume_type_id", t.id(), "project_id", p)).toList()));
    });
  }

  private CompletionStage<HttpResponse> action(RequestContext ctx, String id, String text) {
    JsonNode body = Json.parseObject(text);
    boolean grant = body.has("addProjectAccess");
    if (!grant && !body.has("removeProjectAccess")) throw ApiError.badRequest("There is no such action");
    String action = grant ? "addProjectAccess" : "removeProjectAccess";
    policy.enforce(ctx, "volume_extension:volume_type_access:" + action);
    JsonNode project = body.path(action).get("project");
    if (project == null || !project.isTextual() || project.asText().isEmpty()) {
      throw ApiError.badRequest("Invalid input for field/attribute " + action + ". 'project' is a required property");
    }
    return visible(ctx, id).thenCompose(t -> catalog.<VolumeType>askWithStatus(
            r -> new VolumeTypeCatalogEntity.Access(t.id(), project.asText(), grant, r), timeout))
        .thenApply(t -> HttpResponse.create().withStatus(202));
  }

  // ---------------------------------------------------------------- input

  private static JsonNode element(String text) {
    JsonNode in = Json.parseObject(text).get("volume_type");
    if (in == null || !in.isObject()) throw ApiError.badRequest("Missing required element 'volume_type' in request body.");
    return in;
  }

  /** Cinder's type name: a string of 1 to 255 characters, not only blanks. */
  private static Optional<String> name(JsonNode in) {
    Optional<String> name = text(in, "name");
    if (name.isPresent() && name.get().strip().isEmpty()) {
      throw ApiError.badRequest("Volume type name can not be empty.");
    }
    return name;
  }

  private static Optional<String> text(JsonNode in, String field) {
    JsonNode node = in.get(field);
    if (node == null || node.isNull()) return Optional.empty();
    if (!node.isTextual() || node.asText().length() > 255 || Fields.hasControlCharacters(node.asText())) {
      throw ApiError.badRequest("Invalid input for field/attribute " + field + ". It must be a string of at most 255"
          + " characters.");
    }
    return Optional.of(node.asText());
  }

  /** Extra specs: keys of 1 to 255 characters, string values of at most 255 (Cinder's schema). */
  private static Map<String, String> specs(JsonNode node, String field) {
    if (node == null || node.isNull()) return Map.of();
    if (!node.isObject()) throw ApiError.badRequest("Invalid input for field/attribute " + field + ". It must be an object.");
    Map<String, String> out = new LinkedHashMap<>();
    var fields = node.fields();
    while (fields.hasNext()) {
      var e = fields.next();
      JsonNode v = e.getValue();
      if (e.getKey().isEmpty() || e.getKey().length() > 255 || !(v.isTextual() || v.isNumber() || v.isBoolean())
          || v.asText().length() > 255) {
        throw ApiError.badRequest("Invalid input for field/attribute " + field + ". Keys must be of 1 to 255"
            + " characters, values strings of at most 255.");
      }
      out.put(e.getKey(), v.isBoolean() ? (v.booleanValue() ? "True" : "False") : v.asText());
    }
    return out;
  }

  /** oslo's strict boolean, as Cinder reads {@code is_public}. */
  private static boolean bool(String value, String field) {
    String v = value.toLowerCase(Locale.ROOT);
    if (TRUE.contains(v)) return true;
    if (FALSE.contains(v)) return false;
    throw ApiError.badRequest("Invalid input for field/attribute " + field + ". Value: " + value
        + ". It must be a boolean.");
  }

  // ---------------------------------------------------------------- views

  /** Create's and update's view (Cinder's older view builder: every extra spec, no qos). */
  private static Map<String, Object> plain(VolumeType t) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", t.id());
    m.put("name", t.name());
    m.put("is_public", t.isPublic());
    m.put("extra_specs", t.extraSpecs());
    m.put("description", t.description());
    return m;
  }

  /** Show's and list's view: extra specs as the caller may read them, qos for admins. */
  private Map<String, Object> view(RequestContext ctx, VolumeType t) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", t.id());
    m.put("name", t.name());
    m.put("is_public", t.isPublic());
    m.put("description", t.description());
    if (policy.allows(ctx, "volume_extension:access_types_extra_specs")) m.put("extra_specs", specsShown(ctx, t));
    if (policy.allows(ctx, "volume_extension:access_types_qos_specs_id")) m.put("qos_specs_id", null);
    m.put("os-volume-type-access:is_public", t.isPublic());
    return m;
  }

  private Map<String, String> specsShown(RequestContext ctx, VolumeType t) {
    if (policy.allows(ctx, "volume_extension:types_extra_specs:read_sensitive")) return t.extraSpecs();
    Map<String, String> shown = new LinkedHashMap<>();
    t.extraSpecs().forEach((k, v) -> {
      if (USER_VISIBLE.contains(k)) shown.put(k, v);
    });
    return shown;
  }
}
