package nimbus.edge;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import nimbus.storage.Volume;
import nimbus.storage.VolumeAttachment;
import nimbus.storage.VolumeEntity;
import nimbus.storage.VolumeListing;
import nimbus.storage.VolumeQuotaEntity;
import org.apache.pekko.Done;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Cinder's v3 API under {@code /volume/v3/{project_id}}, microversions as {@link VolumeVersions} negotiates them: volumes (create, also
 * from a snapshot, another volume or an image, list, detail, show, update, delete, {@code os-extend}), snapshots
 * ({@link SnapshotRoutes}), volume types ({@link VolumeTypeRoutes}: a volume's type chooses its backend),
 * absolute limits and the volume quota sets, per type too. Errors are Cinder's (the same fault bodies as Nova's).
 * A project sees only its own volumes: another's id is a 404. The cloud's admin ({@code context_is_admin})
 * sees and acts on every project's by id at its own project's path, its actions counted in the volume's project.
 */
final class VolumeRoutes extends ServiceRoutes {
  static final String DEFAULT_TYPE = nimbus.storage.VolumeType.DEFAULT_NAME;
  static final String ZONE = "nova";
  static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS")
      .withZone(ZoneOffset.UTC);

  private static final java.util.regex.Pattern PROJECT_ID = java.util.regex.Pattern.compile("[A-Za-z0-9_-]{1,64}");

  private final ClusterSharding sharding;
  private final VolumeListing listing;
  private final Executor blocking;
  private final Duration timeout;
  private final Policy policy;
  private final SnapshotRoutes snapshots;
  private final BackupRoutes backups;
  private final CinderMetadataRoutes metadata;
  private final VolumeActions actions;
  private final BootSources images;
  private final VolumeTypeRoutes types;
  private final AttachmentRoutes attachments;

  VolumeRoutes(ClusterSharding sharding, VolumeListing listing, nimbus.storage.SnapshotListing snapshotListing,
      nimbus.storage.ImageQuotas imageQuotas, Executor blocking, Duration timeout, Policy policy,
      nimbus.storage.BackupListing backupListing) {
    super(NovaErrors::response);
    this.images = new BootSources(sharding, timeout);
    this.types = new VolumeTypeRoutes(sharding, listing, blocking, timeout, policy);
    this.snapshots = new SnapshotRoutes(sharding, snapshotListing, blocking, timeout, policy, this::visible,
        this::cloudAdmin);
    this.backups = new BackupRoutes(sharding, backupListing, blocking, timeout, policy, this::visible, snapshots::visible);
    this.sharding = sharding;
    this.listing = listing;
    this.blocking = blocking;
    this.timeout = timeout;
    this.policy = policy;
    this.attachments = new AttachmentRoutes(listing, blocking, timeout, policy, this::visible, this::volume,
        this::cloudAdmin);
    this.actions = new VolumeActions(policy, timeout, this::visible, this::volume, imageQuotas, types::usable);
    this.metadata = new CinderMetadataRoutes(policy, new CinderMetadataRoutes.Policies("volume:get_volume_metadata",
        "volume:create_volume_metadata", "volume:update_volume_metadata", "volume:delete_volume_metadata"),
        this::visible, Volume::metadata, (id, metadata) -> volume(id).<Volume>askWithStatus(r -> new VolumeEntity.Update(
            Optional.empty(), Optional.empty(), Optional.of(metadata), r), timeout));
  }

  /** The API of project {@code projectId} (the path's), for the caller {@code ctx}. */
  Route route(RequestContext ctx, String projectId, String baseUrl) {
    if (!projectId.equals(ctx.projectId()) && !cloudAdmin(ctx)) {
      return complete(NovaErrors.response(404, "The resource could not be found."));
    }
    String base = baseUrl + "/" + projectId;
    return VolumeVersions.negotiate(this, version -> concat(
        snapshots.route(ctx, version, base),
        backups.route(ctx, base),
        attachments.route(ctx, version, base),
        pathPrefix("volumes", () -> concat(
            // Cinder answers "volumes/" (an empty id) with 404, as tempest checks
            pathEnd(() -> concat(
                get(() -> parameterMap(q -> respond(() -> list(ctx, version, q, false, base, "/volumes")))),
                post(() -> body(b -> respond(() -> create(ctx, b, base)))))),
            path("detail", () -> get(() -> parameterMap(q -> respond(() -> list(ctx, version, q, true, base,
                "/volumes/detail"))))),
            path("summary", () -> version.atLeast(VolumeFilters.SUMMARY)
                ? get(() -> parameterMap(q -> respond(() -> summary(ctx, version, q))))
                : complete(NovaErrors.response(404, "Volume summary could not be found."))),
            pathPrefix(PathMatchers.segment(), id -> concat(
                pathEndOrSingleSlash(() -> concat(
                    get(() -> respond(() -> {
                      policy.enforce(ctx, "volume:get");
                      return visible(ctx, id).thenApply(v -> Json.response(200, Map.of("volume",
                          VolumeFilters.shown(detailed(ctx, v, base), version))));
                    })),
                    put(() -> body(b -> respond(() -> update(ctx, id, b, base)))),
                    delete(() -> parameterMap(q -> respond(() -> remove(ctx, id, version.atLeast("3.23")
                        && truthy(q.get("force")))))))),
                path("action", () -> post(() -> body(b -> respond(() -> actions.act(ctx, version, id, b))))),
                metadata.route(ctx, id))))),
        path("extensions", () -> get(() -> complete(Json.response(200, Map.of("extensions", CinderExtensions.ALL))))),
        path("os-availability-zone", () -> get(() -> complete(Json.response(200, Map.of("availabilityZoneInfo",
            List.of(Map.of("zoneName", ZONE, "zoneState", Map.of("available", true)))))))),
        types.route(ctx),
        path("limits", () -> get(() -> respond(() -> limits(ctx)))),
        pathPrefix("os-quota-sets", () -> pathPrefix(PathMatchers.segment(), target -> !PROJECT_ID.matcher(target).matches()
            // the quota's entity is named by it: its journal holds no longer id, nor a NUL
            ? complete(NovaErrors.response(400, "Invalid project id: at most 64 letters, digits, '-' and '_'."))
            : concat(
            pathEndOrSingleSlash(() -> concat(
                get(() -> parameterMap(q -> respond(() -> quotaSet(ctx, target, truthy(q.get("usage")))))),
                put(() -> body(b -> respond(() -> setQuota(ctx, target, b)))))),
            path("defaults", () -> get(() -> respond(() -> types.catalog().thenApply(c -> Json.response(200,
                Map.of("quota_set", quotaView(target, VolumeQuotaEntity.DEFAULTS, c))))))))))));
  }

  // ---------------------------------------------------------------- volumes

  private CompletionStage<HttpResponse> create(RequestContext ctx, String text, String base) {
    policy.enforce(ctx, "volume:create");
    JsonNode in = Json.parseObject(text).get("volume");
    if (in == null || !in.isObject()) throw ApiError.badRequest("Missing required element 'volume' in request body.");
    Optional<String> snapshotId = shortText(in, "snapshot_id");
    Optional<String> sourceVolid = shortText(in, "source_volid");
    if (snapshotId.isPresent() && sourceVolid.isPresent()) {
      throw ApiError.badRequest("Invalid input received: only one of snapshot_id and source_volid may be given.");
    }
    Optional<Integer> asked = in.hasNonNull("size") || snapshotId.isEmpty() && sourceVolid.isEmpty()
        ? Optional.of(size(in.get("size"), "size")) : Optional.empty();
    String name = shortText(in, "name").orElse("");
    String description = shortText(in, "description").orElse("");
    Map<String, String> metadata = metadata(in);
    String zone = shortText(in, "availability_zone").orElse(ZONE);
    if (!zone.equals(ZONE)) throw ApiError.badRequest("Invalid input received: Availability zone '" + zone + "' is invalid.");
    String typeAsked = shortText(in, "volume_type").orElse(DEFAULT_TYPE);
    Optional<String> imageRef = shortText(in, "imageRef");
    if (imageRef.isPresent() && (snapshotId.isPresent() || sourceVolid.isPresent())) {
      throw ApiError.badRequest("Invalid input received: only one of snapshot_id, source_volid and imageRef may be given.");
    }
    for (String unsupported : List.of("backup_id", "consistencygroup_id")) {
      if (in.hasNonNull(unsupported)) throw ApiError.badRequest("Invalid input received: " + unsupported + " is not supported.");
    }
    String id = UUID.randomUUID().toString();
    return types.usable(ctx, typeAsked).thenCompose(type -> requested(ctx, id, type.name(), asked, name, description,
            metadata, zone, imageRef, sourceVolid, snapshotId).thenApply(v -> v.onBackend(type.backend())))
        .thenCompose(v -> volume(id).<Volume>askWithStatus(r -> new VolumeEntity.Create(v, r), timeout))
        .thenApply(v -> changed(202, v, base));
  }

  /** The volume asked for, of the type named {@code type}: blank, or a copy of an image, a volume or a snapshot. */
  private CompletionStage<Volume> requested(RequestContext ctx, String id, String type, Optional<Integer> asked,
      String name, String description, Map<String, String> metadata, String zone, Optional<String> imageRef,
      Optional<String> sourceVolid, Optional<String> snapshotId) {
    return imageRef.isPresent()
        ? imageOf(ctx, imageRef.get()).thenApply(image -> Volume.requested(id, ctx.projectId(), ctx.userId(), name,
            description, asked.get(), metadata, zone, type, Instant.now()).fromImage(fitting(image, asked.get())))
        : sourceVolid.isPresent() ? cloneOf(ctx, sourceVolid.get(), asked, id, name,
        description, metadata, zone, type) : snapshotId.isEmpty()
        ? java.util.concurrent.CompletableFuture.completedFuture(Volume.requested(id, ctx.projectId(), ctx.userId(), name,
            description, asked.get(), metadata, zone, type, Instant.now()))
        : snapshots.visible(ctx, snapshotId.get()).thenApply(s -> {
          if (!s.status().equals(nimbus.storage.Snapshot.AVAILABLE) || s.host().isEmpty()) {
            throw ApiError.badRequest("Invalid snapshot: Originating snapshot status must be one of 'available' values");
          }
          int size = asked.orElse(s.size());
          if (size < s.size()) {
            throw ApiError.badRequest("Invalid input received: Volume size '" + size + "'GB cannot be smaller than the"
                + " snapshot size " + s.size() + "GB. They must be >= original snapshot size.");
          }
          return Volume.requested(id, ctx.projectId(), ctx.userId(), name, description, size, metadata, zone,
              type, Instant.now()).fromSnapshot(s.id(), s.host().get());
        });
  }

  /** The image, if the caller may see it and it is active (Glance's visibility, as a server's boot applies it); else 400. */
  private CompletionStage<nimbus.storage.Image> imageOf(RequestContext ctx, String imageId) {
    return images.find(imageId).thenApply(found -> {
      nimbus.storage.Image image = found.filter(i -> cloudAdmin(ctx) || i.visibleTo(ctx.projectId()))
          .filter(i -> !i.status().equals("deleted"))
          .orElseThrow(() -> ApiError.badRequest("Invalid image identifier or unable to access requested image."));
      if (!image.status().equals("active")) {
        throw ApiError.badRequest("Invalid input received: Image " + imageId + " is not active.");
      }
      return image;
    });
  }

  /** What the volume keeps of the image, once its sizes fit the volume's {@code size} GB (Cinder's checks); else 400. */
  static nimbus.storage.VolumeImage fitting(nimbus.storage.Image image, int size) {
    long gib = 1024L * 1024 * 1024;
    long bytes = image.file().map(nimbus.storage.StoredFile::size).orElse(0L);
    long imageGb = (bytes + gib - 1) / gib;
    if (imageGb > size) {
      throw ApiError.badRequest("Invalid input received: Size of specified image " + imageGb
          + "GB is larger than volume size " + size + "GB.");
    }
    if (size < image.metadata().minDisk()) {
      throw ApiError.badRequest("Invalid input received: Volume size " + size
          + "GB cannot be smaller than the image minDisk size " + image.metadata().minDisk() + "GB.");
    }
    String file = BootSources.fileOf(image)
        .orElseThrow(() -> ApiError.badRequest("Invalid input received: Image " + image.id() + " has no data."));
    return new nimbus.storage.VolumeImage(image.id(), image.name(), image.metadata().containerFormat(), image.diskFormat(),
        image.metadata().minDisk(), image.metadata().minRam(), bytes, image.file().map(nimbus.storage.StoredFile::md5)
        .orElse(""), file, image.metadata().properties());
  }

  /** A volume asked as a copy of the caller's volume {@code source}, on its storage host; its size by default. */
  private CompletionStage<Volume> cloneOf(RequestContext ctx, String source, Optional<Integer> asked, String id, String name,
      String description, Map<String, String> metadata, String zone, String type) {
    return visible(ctx, source).thenApply(s -> {
      if (!s.status().equals(Volume.AVAILABLE) && !s.status().equals(Volume.IN_USE) || s.host().isEmpty()) {
        throw ApiError.badRequest("Invalid volume: Unable to create a volume from an originating source volume when its"
            + " status is not 'available' or 'in-use'.");
      }
      int size = asked.orElse(s.size());
      if (size < s.size()) {
        throw ApiError.badRequest("Invalid input received: Volume size '" + size + "'GB cannot be smaller than original"
            + " volume size " + s.size() + "GB. They must be >= original volume size.");
      }
      return Volume.requested(id, ctx.projectId(), ctx.userId(), name, description, size, metadata, zone, type,
          Instant.now()).fromVolume(s.id(), s.host().get());
    });
  }

  /** Cinder's volume sort keys (its model's columns a view shows; name sorts as display_name too). */
  private static final CinderPaging<Volume> PAGING = new CinderPaging<>(Map.ofEntries(
      Map.entry("name", Volume::name), Map.entry("display_name", Volume::name), Map.entry("status", Volume::status),
      Map.entry("size", Volume::size), Map.entry("created_at", Volume::createdAt), Map.entry("updated_at", Volume::updatedAt),
      Map.entry("availability_zone", Volume::availabilityZone), Map.entry("volume_type", Volume::volumeType),
      Map.entry("description", Volume::description), Map.entry("display_description", Volume::description),
      Map.entry("bootable", Volume::bootable), Map.entry("project_id", Volume::projectId),
      Map.entry("user_id", Volume::userId)), Volume::id);

  private CompletionStage<HttpResponse> list(RequestContext ctx, Microversion version, Map<String, String> q,
      boolean detail, String base, String collection) {
    return listed(ctx, version, q).thenApply(found -> {
      return PAGING.page(found, q, base + collection).answer("volumes",
          v -> detail ? VolumeFilters.shown(detailed(ctx, v, base), version) : summary(v, base));
    });
  }

  /** The caller's volumes (an admin's all_tenants: every project's) that the query's filters keep, as Cinder at {@code version}. */
  private CompletionStage<List<Volume>> listed(RequestContext ctx, Microversion version, Map<String, String> q) {
    policy.enforce(ctx, "volume:get_all");
    boolean all = truthy(q.get("all_tenants")) && cloudAdmin(ctx);
    Optional<String> project = all ? Optional.ofNullable(q.get("project_id")) : Optional.of(ctx.projectId());
    PAGING.order(q); // a bad sort is refused before the read side is asked
    java.util.function.Predicate<Volume> kept = VolumeFilters.of(q, version); // and a bad filter
    var query = new VolumeListing.Query(project, Optional.ofNullable(q.get("name")), Optional.ofNullable(q.get("status")),
        CinderPaging.MAX_ROWS);
    return readSide(() -> listing.list(query), blocking).thenApply(found -> found.stream().filter(kept).toList());
  }

  /** Cinder's volume summary (3.12; 3.36 adds the metadata's values by key). */
  private CompletionStage<HttpResponse> summary(RequestContext ctx, Microversion version, Map<String, String> q) {
    return listed(ctx, version, q).thenApply(found -> Json.response(200, Map.of("volume-summary",
        VolumeFilters.summary(found, version))));
  }

  private CompletionStage<HttpResponse> update(RequestContext ctx, String id, String text, String base) {
    policy.enforce(ctx, "volume:update");
    JsonNode in = Json.parseObject(text).get("volume");
    if (in == null || !in.isObject()) throw ApiError.badRequest("Missing required element 'volume' in request body.");
    Optional<String> name = shortText(in, "name").or(() -> shortText(in, "display_name"));
    Optional<String> description = shortText(in, "description").or(() -> shortText(in, "display_description"));
    Optional<Map<String, String>> metadata = in.has("metadata") ? Optional.of(metadata(in)) : Optional.empty();
    return visible(ctx, id).thenCompose(v -> volume(id).<Volume>askWithStatus(
        r -> new VolumeEntity.Update(name, description, metadata, r), timeout)).thenApply(v -> changed(200, v, base));
  }

  /** A delete; {@code force} (3.23's {@code ?force=true}) is the admins' os-force_delete. */
  private CompletionStage<HttpResponse> remove(RequestContext ctx, String id, boolean force) {
    policy.enforce(ctx, "volume:delete");
    if (force) policy.enforce(ctx, "volume_extension:volume_admin_actions:force_delete");
    return visible(ctx, id).thenCompose(v -> volume(id).<Done>askWithStatus(force ? VolumeEntity.ForceDelete::new
            : VolumeEntity.Delete::new, timeout))
        .thenApply(d -> HttpResponse.create().withStatus(202));
  }

  /** A query's boolean, as Cinder reads one. */
  static boolean truthy(String value) {
    return value != null && List.of("true", "1", "yes", "on", "t", "y").contains(value.toLowerCase(java.util.Locale.ROOT));
  }

  /** A body's boolean {@code field} of {@code in}, as Cinder reads one (absent: false); else 400. */
  static boolean flag(JsonNode in, String field) {
    JsonNode node = in.get(field);
    if (node == null || node.isNull()) return false;
    if (node.isBoolean()) return node.booleanValue();
    String s = node.isTextual() ? node.asText().toLowerCase(java.util.Locale.ROOT) : "";
    if (List.of("true", "1", "yes", "on", "t", "y").contains(s)) return true;
    if (List.of("false", "0", "no", "off", "f", "n").contains(s)) return false;
    throw ApiError.badRequest("Invalid input for field/attribute " + field + ". Value: " + node.asText()
        + ". It is not a valid boolean.");
  }

  /** The volume, if the caller may see it (its project's, or any for the cloud's admin); else 404. */
  private CompletionStage<Volume> visible(RequestContext ctx, String id) {
    // an id no volume can have names none: no entity is started for it
    if (!Ids.isUuid(id)) return java.util.concurrent.CompletableFuture.failedFuture(
        ApiError.notFound("Volume " + id + " could not be found."));
    return volume(id).<Volume>askWithStatus(VolumeEntity.Get::new, timeout).thenApply(v -> {
      if (!v.projectId().equals(ctx.projectId()) && !cloudAdmin(ctx)) {
        throw ApiError.notFound("Volume " + id + " could not be found.");
      }
      return v;
    });
  }

  /**
   * Whether the caller is the cloud's admin as the policy says ({@code context_is_admin}, Cinder's
   * is_admin): it reads and acts on every project's volumes, snapshots and attachments, by id at its own
   * project's path, and lists them all with {@code all_tenants}.
   */
  boolean cloudAdmin(RequestContext ctx) {
    return policy.allows(ctx, "context_is_admin");
  }

  private EntityRef<VolumeEntity.Command> volume(String id) {
    return sharding.entityRefFor(VolumeEntity.TYPE_KEY, id);
  }

  /** Cinder's positive integer: a JSON integer or a string of digits, 1 up to 2^31-1. */
  static int size(JsonNode node, String field) {
    String bad = "Invalid input for field/attribute " + field + ". Value: " + (node == null ? "None" : node.asText());
    if (node == null || node.isNull()) throw ApiError.badRequest(bad + ". 'None' is not of type 'integer'");
    long value;
    if (node.isIntegralNumber() && node.canConvertToLong()) {
      value = node.longValue();
    } else if (node.isTextual() && node.asText().matches("[0-9]{1,10}")) {
      value = Long.parseLong(node.asText());
    } else {
      throw ApiError.badRequest(bad + ". It must be an integer.");
    }
    if (value < 1) throw ApiError.badRequest(bad + ". " + value + " is less than the minimum of 1");
    if (value > Integer.MAX_VALUE) {
      throw ApiError.badRequest(bad + ". " + value + " is greater than the maximum of " + Integer.MAX_VALUE);
    }
    return (int) value;
  }

  /** A name or description: a string of at most 255 characters, no control characters. */
  static Optional<String> shortText(JsonNode in, String field) {
    JsonNode node = in.get(field);
    if (node == null || node.isNull()) return Optional.empty();
    if (!node.isTextual()) throw ApiError.badRequest("Invalid input for field/attribute " + field + ". It must be a string.");
    String s = node.asText();
    if (s.length() > 255) throw ApiError.badRequest("Invalid input for field/attribute " + field + ". It is too long.");
    return Optional.of(s);
  }

  static Map<String, String> metadata(JsonNode in) {
    JsonNode node = in.get("metadata");
    if (node == null || node.isNull()) return Map.of();
    if (!node.isObject()) throw ApiError.badRequest("Invalid input for field/attribute metadata. It must be an object.");
    Map<String, String> out = new LinkedHashMap<>();
    var fields = node.fields();
    while (fields.hasNext()) {
      var e = fields.next();
      if (e.getKey().isEmpty() || e.getKey().length() > 255 || !e.getValue().isTextual() || e.getValue().asText().length() > 255) {
        throw ApiError.badRequest("Invalid input for field/attribute metadata. Keys and values must be strings of 1 to 255 characters.");
      }
      out.put(e.getKey(), e.getValue().asText());
    }
    return out;
  }

  // ---------------------------------------------------------------- views

  private static Map<String, Object> summary(Volume v, String base) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", v.id());
    m.put("name", v.name());
    m.put("links", links(v, base));
    return m;
  }

  private static List<Map<String, String>> links(Volume v, String base) {
    return List.of(Map.of("rel", "self", "href", base + "/volumes/" + v.id()),
        Map.of("rel", "bookmark", "href", base.replace("/v3/", "/") + "/volumes/" + v.id()));
  }

  /** Cinder's extended attributes of a volume's view, each shown as a policy of its own allows. */
  static final String HOST_ATTRIBUTE = "os-vol-host-attr:host";
  static final String MIGRATION_STATUS_ATTRIBUTE = "os-vol-mig-status-attr:migstat";
  static final String NAME_ID_ATTRIBUTE = "os-vol-mig-status-attr:name_id";
  static final String TENANT_ATTRIBUTE = "os-vol-tenant-attr:tenant_id";

  /**
   * A show's or a detail list's view for {@code ctx}, with the attributes Cinder's policies give it:
   * the project (its readers), and the storage host and the migration's status (the cloud's admins).
   */
  private Map<String, Object> detailed(RequestContext ctx, Volume v, String base) {
    Map<String, Object> m = view(v, base);
    if (!policy.allows(ctx, "volume_extension:volume_tenant_attribute", Map.of("project_id", v.projectId()))) {
      m.remove(TENANT_ATTRIBUTE);
    }
    if (policy.allows(ctx, "volume_extension:volume_host_attribute")) m.put(HOST_ATTRIBUTE, hostAttribute(v));
    if (policy.allows(ctx, "volume_extension:volume_mig_status_attribute")) {
      m.put(MIGRATION_STATUS_ATTRIBUTE, v.migrationStatus().orElse(null));
      // a migration here keeps the volume's id on its new host: no other volume's name holds its bytes
      m.put(NAME_ID_ATTRIBUTE, null);
    }
    return m;
  }

  /**
   * Cinder's {@code host@backend#pool} of the storage host that holds the volume (null before one
   * does): the backend its type names, {@code default} when it names none (any host's).
   */
  static String hostAttribute(Volume v) {
    String backend = v.backend().orElse("default");
    return v.host().map(h -> h + "@" + backend + "#" + backend).orElse(null);
  }

  /** Cinder's volume view (detail and show). */
  static Map<String, Object> view(Volume v, String base) {
    Map<String, Object> m = summary(v, base);
    m.put("description", v.description());
    m.put("size", v.size());
    m.put("status", v.status());
    m.put("availability_zone", v.availabilityZone());
    m.put("created_at", TIME.format(v.createdAt()));
    m.put("updated_at", TIME.format(v.updatedAt()));
    m.put("volume_type", v.volumeType());
    m.put("metadata", metadataShown(v));
    m.put("bootable", v.bootable() ? "true" : "false");
    v.image().ifPresent(i -> m.put("volume_image_metadata", imageMetadata(i)));
    m.put("encrypted", false);
    m.put("multiattach", false);
    m.put("attachments", v.attachment().filter(a -> a.status().equals(VolumeAttachment.ATTACHED)).map(a -> List.of(attachment(v, a)))
        .orElse(List.of()));
    m.put("snapshot_id", v.snapshotId().orElse(null));
    m.put("source_volid", v.sourceVolid().orElse(null));
    m.put("consistencygroup_id", null);
    m.put("replication_status", null);
    m.put("migration_status", v.migrationStatus().orElse(null));
    m.put(TENANT_ATTRIBUTE, v.projectId());
    m.put("user_id", v.userId());
    return m;
  }

  /**
   * The image's attributes and properties as Cinder copies them to a volume made from it (all
   * strings, as Cinder shows them; its attributes win over a property of the same name).
   */
  static Map<String, String> imageMetadata(nimbus.storage.VolumeImage i) {
    Map<String, String> m = new LinkedHashMap<>(new java.util.TreeMap<>(i.properties()));
    m.put("image_id", i.imageId());
    m.put("image_name", i.name());
    m.put("container_format", i.containerFormat());
    m.put("disk_format", i.diskFormat());
    m.put("min_disk", String.valueOf(i.minDisk()));
    m.put("min_ram", String.valueOf(i.minRam()));
    m.put("size", String.valueOf(i.size()));
    m.put("checksum", i.checksum());
    return m;
  }

  /** Its metadata with the read-only flag once set, as Cinder shows its admin metadata there. */
  private static Map<String, String> metadataShown(Volume v) {
    if (v.readonly().isEmpty()) return v.metadata();
    Map<String, String> shown = new LinkedHashMap<>(v.metadata());
    shown.put("readonly", v.readonly().get() ? "True" : "False");
    return shown;
  }

  /** One attachment as Cinder's volume view lists it (once the server's host has the disk). */
  private static Map<String, Object> attachment(Volume v, VolumeAttachment a) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", v.id());
    m.put("attachment_id", a.id());
    m.put("volume_id", v.id());
    m.put("server_id", a.serverId());
    m.put("host_name", a.hostName().filter(h -> !h.isEmpty()).orElse(null));
    m.put("device", a.device().orElse(null));
    m.put("attached_at", a.attachedAt().map(TIME::format).orElse(null));
    return m;
  }

  private static HttpResponse one(int status, Volume v, String base) {
    return Json.response(status, Map.of("volume", view(v, base)));
  }

  /** A create's or an update's answer: Cinder adds the tenant attribute and the image's metadata to shows and lists only. */
  private static HttpResponse changed(int status, Volume v, String base) {
    Map<String, Object> view = view(v, base);
    view.remove(TENANT_ATTRIBUTE);
    view.remove("volume_image_metadata");
    return Json.response(status, Map.of("volume", view));
  }

  /** The volume's type as an upload's answer names it (Cinder gives the whole type; its name is what clients read). */
  static Map<String, Object> typeOf(Volume v) {
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("name", v.volumeType());
    return t;
  }

  // ---------------------------------------------------------------- quotas and limits

  private EntityRef<VolumeQuotaEntity.Command> quota(String projectId) {
    return sharding.entityRefFor(VolumeQuotaEntity.TYPE_KEY, projectId);
  }

  private CompletionStage<HttpResponse> limits(RequestContext ctx) {
    policy.enforce(ctx, "limits_extension:used_limits");
    return quota(ctx.projectId()).<VolumeQuotaEntity.Quota>askWithStatus(VolumeQuotaEntity.Get::new, timeout)
        .thenApply(q -> Json.response(200, Map.of("limits", Map.of("rate", List.of(), "absolute", Map.of(
            "maxTotalVolumes", q.limit(VolumeQuotaEntity.VOLUMES),
            "maxTotalVolumeGigabytes", q.limit(VolumeQuotaEntity.GIGABYTES),
            "maxTotalSnapshots", q.limit(VolumeQuotaEntity.SNAPSHOTS),
            "totalVolumesUsed", q.used(VolumeQuotaEntity.VOLUMES),
            "totalGigabytesUsed", q.used(VolumeQuotaEntity.GIGABYTES),
            "totalSnapshotsUsed", q.used(VolumeQuotaEntity.SNAPSHOTS),
            "maxTotalBackups", q.limit(VolumeQuotaEntity.BACKUPS),
            "maxTotalBackupGigabytes", q.limit(VolumeQuotaEntity.BACKUP_GIGABYTES),
            "totalBackupsUsed", q.used(VolumeQuotaEntity.BACKUPS),
            "totalBackupGigabytesUsed", q.used(VolumeQuotaEntity.BACKUP_GIGABYTES))))));
  }

  private CompletionStage<HttpResponse> quotaSet(RequestContext ctx, String target, boolean usage) {
    if (!target.equals(ctx.projectId())) policy.enforce(ctx, "volume_extension:quotas:show");
    return quota(target).<VolumeQuotaEntity.Quota>askWithStatus(VolumeQuotaEntity.Get::new, timeout)
        .thenCombine(types.catalog(), (q, c) -> Json.response(200, Map.of("quota_set", usage ? usageView(target, q, c)
            : quotaView(target, q.effective(), c))));
  }

  private CompletionStage<HttpResponse> setQuota(RequestContext ctx, String target, String text) {
    policy.enforce(ctx, "volume_extension:quotas:update");
    JsonNode in = Json.parseObject(text).get("quota_set");
    if (in == null || !in.isObject()) throw ApiError.badRequest("Missing required element 'quota_set' in request body.");
    Map<String, Integer> limits = new LinkedHashMap<>();
    var fields = in.fields();
    while (fields.hasNext()) {
      var e = fields.next();
      if (e.getKey().equals("tenant_id") || e.getKey().equals("id")) continue;
      if (!VolumeQuotaEntity.DEFAULTS.containsKey(e.getKey()) && !perTypeKind(e.getKey())) {
        throw ApiError.badRequest("Bad key(s) in quota set: " + e.getKey());
      }
      JsonNode n = e.getValue();
      if (!n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() < -1) {
        throw ApiError.badRequest("Quota limit " + n.asText() + " for " + e.getKey() + " must be an integer of -1 or more.");
      }
      limits.put(e.getKey(), n.intValue());
    }
    return types.catalog().thenCompose(c -> {
      for (String kind : limits.keySet()) {
        if (!VolumeQuotaEntity.DEFAULTS.containsKey(kind) && c.byId().values().stream()
            .noneMatch(t -> KINDS.stream().anyMatch(k -> kind.equals(k + "_" + t.name())))) {
          throw ApiError.badRequest("Bad key(s) in quota set: " + kind);
        }
      }
      return quota(target).<VolumeQuotaEntity.Quota>askWithStatus(r -> new VolumeQuotaEntity.SetLimits(limits, r), timeout)
          .thenApply(q -> Json.response(200, Map.of("quota_set", quotaView(null, q.effective(), c))));
    });
  }

  private static final List<String> KINDS =
      List.of(VolumeQuotaEntity.VOLUMES, VolumeQuotaEntity.GIGABYTES, VolumeQuotaEntity.SNAPSHOTS);

  /** A per-type kind's key: {@code volumes_TYPE}, {@code gigabytes_TYPE} or {@code snapshots_TYPE}. */
  private static boolean perTypeKind(String key) {
    return KINDS.stream().anyMatch(k -> key.startsWith(k + "_") && key.length() > k.length() + 1);
  }

  /** The limits, with each type's (unlimited unless set), as Cinder lists them. */
  private static Map<String, Object> quotaView(String projectId, Map<String, Integer> limits,
      nimbus.storage.VolumeTypeCatalogEntity.Catalog types) {
    Map<String, Object> m = new LinkedHashMap<>(limits);
    for (nimbus.storage.VolumeType t : types.sorted()) {
      for (String kind : KINDS) m.putIfAbsent(kind + "_" + t.name(), -1);
    }
    if (projectId != null) m.put("id", projectId);
    return m;
  }

  private static Map<String, Object> usageView(String projectId, VolumeQuotaEntity.Quota q,
      nimbus.storage.VolumeTypeCatalogEntity.Catalog types) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", projectId);
    for (String kind : KINDS) {
      m.put(kind, Map.of("limit", q.limit(kind), "in_use", q.used(kind), "reserved", 0, "allocated", 0));
    }
    for (String kind : List.of(VolumeQuotaEntity.BACKUPS, VolumeQuotaEntity.BACKUP_GIGABYTES)) {
      m.put(kind, Map.of("limit", q.limit(kind), "in_use", q.used(kind), "reserved", 0, "allocated", 0));
    }
    for (nimbus.storage.VolumeType t : types.sorted()) {
      for (String kind : KINDS) {
        m.put(kind + "_" + t.name(), Map.of("limit", q.limit(kind + "_" + t.name()), "in_use", q.usedOfType(kind, t.name()),
            "reserved", 0,
            "allocated", 0));
      }
    }
    return m;
  }
}
