package nimbus.edge;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;
import nimbus.storage.Snapshot;
import nimbus.storage.SnapshotEntity;
import nimbus.storage.SnapshotListing;
import nimbus.storage.Volume;
import org.apache.pekko.Done;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Cinder's v3 snapshot routes under {@code /volume/v3/{project_id}/snapshots}: create (of an
 * in-use volume only with {@code force}), list, detail, show, update, delete and metadata, in
 * Cinder's views (shows and detail lists with the {@code os-extended-snapshot-attributes}). A
 * project sees only its own snapshots, and snapshots only its own volumes: another's id is a 404.
 */
final class SnapshotRoutes extends ServiceRoutes {
  private static final String EXTENDED = "os-extended-snapshot-attributes:";

  private final ClusterSharding sharding;
  private final SnapshotListing listing;
  private final Executor blocking;
  private final Duration timeout;
  private final Policy policy;
  /** The volume of the given id if the caller may see it, else a 404 (VolumeRoutes'). */
  private final java.util.function.BiFunction<RequestContext, String, CompletionStage<Volume>> volumes;
  private final CinderMetadataRoutes metadata;
  /** Whether the caller is the cloud's admin (VolumeRoutes' {@code context_is_admin}): it sees every project's. */
  private final java.util.function.Predicate<RequestContext> cloudAdmin;

  SnapshotRoutes(ClusterSharding sharding, SnapshotListing listing, Executor blocking, Duration timeout, Policy policy,
      java.util.function.BiFunction<RequestContext, String, CompletionStage<Volume>> volumes,
      java.util.function.Predicate<RequestContext> cloudAdmin) {
    super(NovaErrors::response);
    this.cloudAdmin = cloudAdmin;
    this.sharding = sharding;
    this.listing = listing;
    this.blocking = blocking;
    this.timeout = timeout;
    this.policy = policy;
    this.volumes = volumes;
    this.metadata = new CinderMetadataRoutes(policy, new CinderMetadataRoutes.Policies("volume:get_snapshot_metadata",
        "volume:update_snapshot_metadata", "volume:update_snapshot_metadata", "volume:delete_snapshot_metadata"),
        this::visible, Snapshot::metadata, (id, metadata) -> snapshot(id).<Snapshot>askWithStatus(r -> new SnapshotEntity.Update(
            Optional.empty(), Optional.empty(), Optional.of(metadata), r), timeout));
  }

  /** The snapshot routes; {@code base}: the project's URL, for the lists' next links. */
  Route route(RequestContext ctx, Microversion version, String base) {
    return pathPrefix("snapshots", () -> concat(
        pathEndOrSingleSlash(() -> concat(
            get(() -> parameterMap(q -> respond(() -> list(ctx, version, q, false, base + "/snapshots")))),
            post(() -> body(b -> respond(() -> create(ctx, b)))))),
        path("detail", () -> get(() -> parameterMap(q -> respond(() -> list(ctx, version, q, true,
            base + "/snapshots/detail"))))),
        pathPrefix(PathMatchers.segment(), id -> concat(
            pathEndOrSingleSlash(() -> concat(
                get(() -> respond(() -> {
                  policy.enforce(ctx, "volume:get_snapshot");
                  return visible(ctx, id).thenApply(s -> Json.response(200, Map.of("snapshot",
                      withUser(view(ctx, s, true), s, version))));
                })),
                put(() -> body(b -> respond(() -> update(ctx, id, b)))),
                delete(() -> respond(() -> remove(ctx, id))))),
            metadata.route(ctx, id)))));
  }

  private CompletionStage<HttpResponse> create(RequestContext ctx, String text) {
    policy.enforce(ctx, "volume:create_snapshot");
    JsonNode in = Json.parseObject(text).get("snapshot");
    if (in == null || !in.isObject()) throw ApiError.badRequest("Missing required element 'snapshot' in request body.");
    JsonNode volume = in.get("volume_id");
    if (volume == null) throw ApiError.badRequest("Invalid input for field/attribute snapshot. 'volume_id' is a required property");
    // Cinder's schema lets a null through, and then finds no such volume
    if (volume.isNull()) throw ApiError.notFound("Volume None could not be found.");
    if (!volume.isTextual()) throw ApiError.badRequest("Invalid input for field/attribute volume_id. It must be a string.");
    boolean force = VolumeRoutes.flag(in, "force");
    String name = VolumeRoutes.shortText(in, "name").or(() -> VolumeRoutes.shortText(in, "display_name")).orElse("");
    String description = VolumeRoutes.shortText(in, "description")
        .or(() -> VolumeRoutes.shortText(in, "display_description")).orElse("");
    Map<String, String> metadata = VolumeRoutes.metadata(in);
    String id = UUID.randomUUID().toString();
    // the volume's project's (an admin's snapshot of another project's volume too): its quota counts it
    return volumes.apply(ctx, volume.asText()).thenCompose(v -> snapshot(id).<Snapshot>askWithStatus(r ->
            new SnapshotEntity.Create(Snapshot.requested(id, v.projectId(), ctx.userId(), v.id(), name, description,
                v.size(), metadata, force, Instant.now()).ofType(v.volumeType()), r), timeout))
        .thenApply(s -> Json.response(202, Map.of("snapshot", view(ctx, s, false))));
  }

  /** Cinder's {@code force}: a boolean, or a string it reads strictly as one. */
  /** Cinder's snapshot sort keys (a snapshot's name sorts as display_name too). */
  private static final CinderPaging<Snapshot> PAGING = new CinderPaging<>(Map.of(
      "name", Snapshot::name, "display_name", Snapshot::name, "status", Snapshot::status, "size", Snapshot::size,
      "volume_size", Snapshot::size, "created_at", Snapshot::createdAt, "updated_at", Snapshot::updatedAt,
      "volume_id", Snapshot::volumeId, "description", Snapshot::description, "project_id", Snapshot::projectId),
      Snapshot::id);

  private CompletionStage<HttpResponse> list(RequestContext ctx, Microversion version, Map<String, String> q, boolean detail,
      String collection) {
    policy.enforce(ctx, "volume:get_all_snapshots");
    boolean all = VolumeRoutes.truthy(q.get("all_tenants")) && cloudAdmin.test(ctx);
    Optional<String> project = all ? Optional.ofNullable(q.get("project_id")) : Optional.of(ctx.projectId());
    PAGING.order(q); // a bad sort is refused before the read side is asked
    var query = new SnapshotListing.Query(project, Optional.ofNullable(q.get("name")), Optional.ofNullable(q.get("status")),
        Optional.ofNullable(q.get("volume_id")), CinderPaging.MAX_ROWS);
    return readSide(() -> listing.list(query), blocking).thenApply(found -> {
      return PAGING.page(found, q, collection).answer("snapshots", s -> withUser(view(ctx, s, detail), s, version));
    });
  }

  private CompletionStage<HttpResponse> update(RequestContext ctx, String id, String text) {
    policy.enforce(ctx, "volume:update_snapshot");
    JsonNode in = Json.parseObject(text).get("snapshot");
    if (in == null || !in.isObject()) throw ApiError.badRequest("Missing required element 'snapshot' in request body.");
    Optional<String> name = VolumeRoutes.shortText(in, "name").or(() -> VolumeRoutes.shortText(in, "display_name"));
    Optional<String> description = VolumeRoutes.shortText(in, "description")
        .or(() -> VolumeRoutes.shortText(in, "display_description"));
    return change(ctx, id, r -> new SnapshotEntity.Update(name, description, Optional.empty(), r))
        .thenApply(s -> Json.response(200, Map.of("snapshot", view(ctx, s, false))));
  }

  private CompletionStage<HttpResponse> remove(RequestContext ctx, String id) {
    policy.enforce(ctx, "volume:delete_snapshot");
    return visible(ctx, id).thenCompose(s -> snapshot(id).<Done>askWithStatus(SnapshotEntity.Delete::new, timeout))
        .thenApply(d -> HttpResponse.create().withStatus(202));
  }

  private CompletionStage<Snapshot> change(RequestContext ctx, String id,
      Function<org.apache.pekko.actor.typed.ActorRef<org.apache.pekko.pattern.StatusReply<Snapshot>>, SnapshotEntity.Command> command) {
    return visible(ctx, id).thenCompose(s -> snapshot(id).askWithStatus(command::apply, timeout));
  }

  /** The snapshot, if the caller may see it (its project's, or any for the cloud's admin); else 404. */
  CompletionStage<Snapshot> visible(RequestContext ctx, String id) {
    // an id no snapshot can have names none: no entity is started for it
    if (!Ids.isUuid(id)) return CompletableFuture.failedFuture(ApiError.notFound("Snapshot " + id + " could not be found."));
    return snapshot(id).<Snapshot>askWithStatus(SnapshotEntity.Get::new, timeout).thenApply(s -> {
      if (!s.projectId().equals(ctx.projectId()) && !cloudAdmin.test(ctx)) {
        throw ApiError.notFound("Snapshot " + id + " could not be found.");
      }
      return s;
    });
  }

  private EntityRef<SnapshotEntity.Command> snapshot(String id) {
    return sharding.entityRefFor(SnapshotEntity.TYPE_KEY, id);
  }

  /** Cinder's 3.41 adds the snapshot's {@code user_id} to shows and lists. */
  private static Map<String, Object> withUser(Map<String, Object> view, Snapshot s, Microversion version) {
    if (version.atLeast("3.41")) view.put("user_id", s.userId());
    return view;
  }

  /**
   * Cinder's snapshot view; {@code extended}: with the {@code os-extended-snapshot-attributes}
   * (shows and detail lists, for those its policy allows).
   */
  private Map<String, Object> view(RequestContext ctx, Snapshot s, boolean extended) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", s.id());
    m.put("created_at", VolumeRoutes.TIME.format(s.createdAt()));
    m.put("updated_at", VolumeRoutes.TIME.format(s.updatedAt()));
    m.put("name", s.name());
    m.put("description", s.description());
    m.put("volume_id", s.volumeId());
    m.put("status", s.status());
    m.put("size", s.size());
    m.put("metadata", s.metadata());
    if (extended && policy.allows(ctx, "volume_extension:extended_snapshot_attributes")) {
      m.put(EXTENDED + "project_id", s.projectId());
      m.put(EXTENDED + "progress", s.status().equals(Snapshot.CREATING) ? "0%" : "100%");
    }
    return m;
  }
}
