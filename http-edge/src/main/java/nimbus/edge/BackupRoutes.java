package nimbus.edge;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.BiFunction;
import nimbus.storage.Backup;
import nimbus.storage.BackupEntity;
import nimbus.storage.BackupListing;
import nimbus.storage.BackupRestore;
import nimbus.storage.Snapshot;
import nimbus.storage.Volume;
import org.apache.pekko.Done;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Cinder's v3 backup routes under {@code /volume/v3/{project_id}/backups}: create (full, or
 * incremental on the volume's latest available backup), list, detail, show, delete, restore (into
 * an existing volume or a new one, which gets the backed-up volume's metadata), update (3.9), and the admins' {@code os-reset_status} and
 * {@code os-force_delete}, {@code export_record} and {@code import_record}, in Cinder's views. A
 * project sees only its own backups, and backs up and restores into only its own volumes (and backs
 * up only its own snapshots): another's id is a 404. The cloud's admin ({@code context_is_admin})
 * sees and acts on every project's.
 */
final class BackupRoutes extends ServiceRoutes {
  private final ClusterSharding sharding;
  private final BackupListing listing;
  private final Executor blocking;
  private final Duration timeout;
  private final Policy policy;
  /** The volume of the given id if the caller may see it, else a 404 (VolumeRoutes'). */
  private final BiFunction<RequestContext, String, CompletionStage<Volume>> volumes;
  /** The snapshot of the given id if the caller may see it, else a 404 (SnapshotRoutes'). */
  private final BiFunction<RequestContext, String, CompletionStage<Snapshot>> snapshots;

  BackupRoutes(ClusterSharding sharding, BackupListing listing, Executor blocking, Duration timeout, Policy policy,
      BiFunction<RequestContext, String, CompletionStage<Volume>> volumes,
      BiFunction<RequestContext, String, CompletionStage<Snapshot>> snapshots) {
    super(NovaErrors::response);
    this.sharding = sharding;
    this.listing = listing;
    this.blocking = blocking;
    this.timeout = timeout;
    this.policy = policy;
    this.volumes = volumes;
    this.snapshots = snapshots;
  }

  /** The backup routes; {@code base}: the project's URL, for links. */
  Route route(RequestContext ctx, String base) {
    return pathPrefix("backups", () -> concat(
        pathEndOrSingleSlash(() -> concat(
            get(() -> parameterMap(q -> respond(() -> list(ctx, q, false, base)))),
            post(() -> body(b -> respond(() -> create(ctx, b, base)))))),
        path("detail", () -> get(() -> parameterMap(q -> respond(() -> list(ctx, q, true, base))))),
        path("import_record", () -> post(() -> body(b -> respond(() -> BackupRecords.importRecord(ctx, b, policy)
            .thenCompose(x -> backup(x.id()).<Backup>askWithStatus(r -> new BackupEntity.Create(x, r), timeout))
            .thenApply(x -> Json.response(201, Map.of("backup", summary(x, base)))))))),
        pathPrefix(PathMatchers.segment(), id -> concat(
            pathEndOrSingleSlash(() -> concat(
                get(() -> respond(() -> {
                  policy.enforce(ctx, "backup:get");
                  return visible(ctx, id).thenApply(x -> Json.response(200, Map.of("backup", detail(x, base))));
                })),
                put(() -> body(b -> respond(() -> update(ctx, id, b, base)))),
                delete(() -> respond(() -> remove(ctx, id, false))))),
            path("restore", () -> post(() -> body(b -> respond(() -> restore(ctx, id, b))))),
            path("export_record", () -> get(() -> respond(() -> {
              policy.enforce(ctx, "backup:export-import");
              return visible(ctx, id).thenApply(x -> Json.response(200, Map.of("backup-record", BackupRecords.export(x))));
            }))),
            path("action", () -> post(() -> body(b -> respond(() -> act(ctx, id, b)))))))));
  }

  private CompletionStage<HttpResponse> create(RequestContext ctx, String text, String base) {
    policy.enforce(ctx, "backup:create");
    JsonNode in = Json.parseObject(text).get("backup");
    if (in == null || !in.isObject()) throw ApiError.badRequest("Missing required element 'backup' in request body.");
    JsonNode volume = in.get("volume_id");
    if (volume == null || !volume.isTextual()) {
      throw ApiError.badRequest("Invalid input for field/attribute volume_id. 'volume_id' is a required property and"
          + " must be a string.");
    }
    JsonNode snapshot = in.get("snapshot_id");
    if (snapshot != null && !snapshot.isNull() && !snapshot.isTextual()) {
      throw ApiError.badRequest("Invalid input for field/attribute snapshot_id. It must be a string.");
    }
    Optional<String> snapshotId = snapshot == null || snapshot.isNull() ? Optional.empty() : Optional.of(snapshot.asText());
    boolean incremental = VolumeRoutes.flag(in, "incremental");
    boolean force = VolumeRoutes.flag(in, "force");
    String name = VolumeRoutes.shortText(in, "name").orElse("");
    String description = VolumeRoutes.shortText(in, "description").orElse("");
    String container = VolumeRoutes.shortText(in, "container").orElse("");
    String id = UUID.randomUUID().toString();
    return volumes.apply(ctx, volume.asText())
        .thenCompose(v -> source(ctx, v, snapshotId, force).thenCompose(from -> (incremental ? parentOf(v)
                : CompletableFuture.completedFuture(Optional.<String>empty()))
            .thenCompose(parent -> {
              Backup requested = Backup.requested(id, v.projectId(), ctx.userId(), v.id(), name, description, v.size(),
                  parent, Instant.now()).inContainer(container);
              Backup asked = from.map(s -> requested.ofSnapshot(s.id()).onHost(s.host().orElse(""))).orElse(requested);
              return backup(id).<Backup>askWithStatus(r -> new BackupEntity.Create(asked, r), timeout);
            })))
        .thenApply(x -> Json.response(202, Map.of("backup", summary(x, base))));
  }

  /**
   * Cinder's checks of what a backup reads: the snapshot, if one is named, must be the caller's,
   * of that volume and available; else the volume must be available, or in-use with {@code force}.
   */
  private CompletionStage<Optional<Snapshot>> source(RequestContext ctx, Volume v, Optional<String> snapshotId,
      boolean force) {
    if (snapshotId.isEmpty()) {
      if (v.status().equals(Volume.IN_USE) && !force) {
        throw ApiError.badRequest("Invalid volume: Backing up an in-use volume must use the force flag.");
      }
      return CompletableFuture.completedFuture(Optional.empty());
    }
    return snapshots.apply(ctx, snapshotId.get()).thenApply(s -> {
      if (!s.projectId().equals(v.projectId())) throw ApiError.notFound("Snapshot " + s.id() + " could not be found.");
      if (!s.volumeId().equals(v.id())) {
        throw ApiError.badRequest("Invalid volume: Volume " + v.id() + " does not match with snapshot.volume_id "
            + s.volumeId() + ".");
      }
      if (!s.status().equals(Snapshot.AVAILABLE) || s.host().isEmpty()) {
        throw ApiError.badRequest("Invalid snapshot: Snapshot to be backed up must be available, but the current"
            + " status is \"" + s.status() + "\".");
      }
      return Optional.of(s);
    });
  }

  /** Cinder's parent of an incremental backup: the volume's latest available backup. */
  private CompletionStage<Optional<String>> parentOf(Volume v) {
    var query = new BackupListing.Query(Optional.of(v.projectId()), Optional.empty(), Optional.of(Backup.AVAILABLE),
        Optional.of(v.id()), CinderPaging.MAX_ROWS);
    return readSide(() -> listing.list(query), blocking).thenApply(found -> {
      Optional<String> latest = found.stream().max(Comparator.comparing(Backup::createdAt)).map(Backup::id);
      if (latest.isEmpty()) throw ApiError.badRequest("Invalid backup: No backups available to do an incremental backup.");
      return latest;
    });
  }

  /** Cinder's booleans in a backup's body: true or false, or a string it reads strictly as one. */
  /** Cinder's backup sort keys. */
  private static final CinderPaging<Backup> PAGING = new CinderPaging<>(Map.of(
      "name", Backup::name, "display_name", Backup::name, "status", Backup::status, "size", Backup::size,
      "created_at", Backup::createdAt, "updated_at", Backup::updatedAt, "volume_id", Backup::volumeId,
      "project_id", Backup::projectId), Backup::id);

  private CompletionStage<HttpResponse> list(RequestContext ctx, Map<String, String> q, boolean detail, String base) {
    policy.enforce(ctx, "backup:get_all");
    boolean all = VolumeRoutes.truthy(q.get("all_tenants")) && cloudAdmin(ctx);
    Optional<String> project = all ? Optional.ofNullable(q.get("project_id")) : Optional.of(ctx.projectId());
    PAGING.order(q); // a bad sort is refused before the read side is asked
    var query = new BackupListing.Query(project, Optional.ofNullable(q.get("name")), Optional.ofNullable(q.get("status")),
        Optional.ofNullable(q.get("volume_id")), CinderPaging.MAX_ROWS);
    String collection = base + (detail ? "/backups/detail" : "/backups");
    return readSide(() -> listing.list(query), blocking).thenApply(found -> {
      return PAGING.page(found, q, collection).answer("backups", x -> detail ? detail(x, base) : summary(x, base));
    });
  }

  /** Cinder's backup update (3.9): name and description. */
  private CompletionStage<HttpResponse> update(RequestContext ctx, String id, String text, String base) {
    policy.enforce(ctx, "backup:update");
    JsonNode in = Json.parseObject(text).get("backup");
    if (in == null || !in.isObject()) throw ApiError.badRequest("Missing required element 'backup' in request body.");
    Optional<String> name = VolumeRoutes.shortText(in, "name");
    Optional<String> description = VolumeRoutes.shortText(in, "description");
    return visible(ctx, id).thenCompose(x -> backup(id).<Backup>askWithStatus(
            r -> new BackupEntity.Update(name, description, r), timeout))
        .thenApply(x -> Json.response(200, Map.of("backup", summary(x, base))));
  }

  private CompletionStage<HttpResponse> remove(RequestContext ctx, String id, boolean force) {
    policy.enforce(ctx, force ? "volume_extension:backup_admin_actions:force_delete" : "backup:delete");
    return visible(ctx, id).thenCompose(x -> backup(id).<Done>askWithStatus(r -> new BackupEntity.Delete(force, r), timeout))
        .thenApply(d -> HttpResponse.create().withStatus(202));
  }

  private CompletionStage<HttpResponse> restore(RequestContext ctx, String id, String text) {
    policy.enforce(ctx, "backup:restore");
    JsonNode in = Json.parseObject(text).get("restore");
    if (in == null || !in.isObject()) throw ApiError.badRequest("Missing required element 'restore' in request body.");
    JsonNode volume = in.get("volume_id");
    if (volume != null && !volume.isNull() && !volume.isTextual()) {
      throw ApiError.badRequest("Invalid input for field/attribute volume_id. It must be a string.");
    }
    Optional<String> name = VolumeRoutes.shortText(in, "name");
    return visible(ctx, id).thenCompose(x -> {
      CompletionStage<BackupRestore> into = volume == null || volume.isNull()
          ? CompletableFuture.completedFuture(BackupRestore.intoNew(Volume.requested(UUID.randomUUID().toString(),
              x.projectId(), ctx.userId(), name.orElse("restore_backup_" + id), "", x.size(), x.volumeMetadata(),
              VolumeRoutes.ZONE,
              VolumeRoutes.DEFAULT_TYPE, Instant.now())))
          : volumes.apply(ctx, volume.asText()).thenApply(v -> BackupRestore.into(v.id(), v.name()));
      return into.thenCompose(r -> backup(id).<BackupRestore>askWithStatus(to -> new BackupEntity.Restore(r, to), timeout));
    }).thenApply(r -> Json.response(202, Map.of("restore", Map.of("backup_id", id, "volume_id", r.volumeId(),
        "volume_name", r.volumeName()))));
  }

  private CompletionStage<HttpResponse> act(RequestContext ctx, String id, String text) {
    JsonNode in = Json.parseObject(text);
    if (in.has("os-force_delete")) return remove(ctx, id, true);
    JsonNode reset = in.get("os-reset_status");
    if (reset == null) throw ApiError.badRequest("There is no such action: " + String.join(", ", fieldNames(in)));
    policy.enforce(ctx, "volume_extension:backup_admin_actions:reset_status");
    JsonNode status = reset.isObject() ? reset.get("status") : null;
    if (status == null || !status.isTextual()) {
      throw ApiError.badRequest("Invalid input for field/attribute status. 'status' is a required property.");
    }
    return visible(ctx, id).thenCompose(x -> backup(id).<Backup>askWithStatus(
            r -> new BackupEntity.ResetStatus(status.asText().toLowerCase(java.util.Locale.ROOT), r), timeout))
        .thenApply(x -> HttpResponse.create().withStatus(202));
  }

  private static List<String> fieldNames(JsonNode in) {
    List<String> names = new java.util.ArrayList<>();
    in.fieldNames().forEachRemaining(names::add);
    return names;
  }

  /** The backup, if the caller may see it (its project's, or any for the cloud's admin); else 404. */
  private CompletionStage<Backup> visible(RequestContext ctx, String id) {
    // an id no backup can have names none: no entity is started for it
    if (!Ids.isUuid(id)) return CompletableFuture.failedFuture(ApiError.notFound("Backup " + id + " could not be found."));
    return backup(id).<Backup>askWithStatus(BackupEntity.Get::new, timeout).thenApply(x -> {
      if (!x.projectId().equals(ctx.projectId()) && !cloudAdmin(ctx)) {
        throw ApiError.notFound("Backup " + id + " could not be found.");
      }
      return x;
    });
  }

  /** Whether the caller is the cloud's admin as the policy says ({@code context_is_admin}), as Nova's and Glance's routes ask. */
  private boolean cloudAdmin(RequestContext ctx) {
    return policy.allows(ctx, "context_is_admin");
  }

  private EntityRef<BackupEntity.Command> backup(String id) {
    return sharding.entityRefFor(BackupEntity.TYPE_KEY, id);
  }

  private static List<Map<String, String>> links(Backup x, String base) {
    return List.of(Map.of("rel", "self", "href", base + "/backups/" + x.id()),
        Map.of("rel", "bookmark", "href", base + "/backups/" + x.id()));
  }

  private static Map<String, Object> summary(Backup x, String base) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", x.id());
    m.put("name", x.name().isEmpty() ? null : x.name());
    m.put("links", links(x, base));
    return m;
  }

  /** Cinder's detailed backup view. */
  private static Map<String, Object> detail(Backup x, String base) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", x.id());
    m.put("status", x.status());
    m.put("size", x.size());
    m.put("object_count", x.objectCount());
    m.put("availability_zone", VolumeRoutes.ZONE);
    m.put("container", x.container().isEmpty() ? null : x.container());
    m.put("created_at", VolumeRoutes.TIME.format(x.createdAt()));
    m.put("updated_at", VolumeRoutes.TIME.format(x.updatedAt()));
    m.put("name", x.name().isEmpty() ? null : x.name());
    m.put("description", x.description().isEmpty() ? null : x.description());
    m.put("fail_reason", x.fault().orElse(null));
    m.put("volume_id", x.volumeId());
    m.put("links", links(x, base));
    m.put("is_incremental", x.incremental());
    m.put("has_dependent_backups", !x.dependents().isEmpty());
    m.put("snapshot_id", x.snapshotId().orElse(null));
    m.put("data_timestamp", VolumeRoutes.TIME.format(x.createdAt()));
    m.put("metadata", Map.of());
    m.put("user_id", x.userId());
    return m;
  }
}
