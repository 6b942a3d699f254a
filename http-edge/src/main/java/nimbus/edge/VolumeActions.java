package nimbus.edge;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import java.util.function.Function;
import nimbus.storage.Image;
import nimbus.storage.ImageMetadata;
import nimbus.storage.ImageQuotas;
import nimbus.storage.Volume;
import nimbus.storage.VolumeEntity;
import nimbus.storage.VolumeImage;
import org.apache.pekko.Done;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * Cinder's volume actions ({@code POST …/volumes/{id}/action}), each body one action by name
 * (the admins' {@code os-force_detach} too):
 * {@code os-extend} (of volumes in use too from 3.42, their guest's disk grown live); {@code os-set_bootable} and {@code os-update_readonly_flag}; {@code os-reserve}, {@code os-unreserve}, {@code os-attach} and
 * {@code os-detach}, which only record an attachment whoever calls them makes themselves (as
 * Cinder's do: the disk reaches a guest of this cloud through the compute API); and the admins'
 * {@code os-reset_status} and {@code os-force_delete}; and {@code os-volume_upload_image}, whose image the
 * volume's own steps create and fill (counted against the project's image quota as uploads are);
 * and {@code os-retype}, whose quota and migration are the volume's own steps too.
 */
final class VolumeActions {
  private static final Set<String> UPLOAD_FIELDS = Set.of("image_name", "force", "disk_format", "container_format",
      "visibility", "protected");
  private static final Set<String> ATTACH_FIELDS = Set.of("instance_uuid", "mountpoint", "host_name", "mode");

  private final Policy policy;
  private final Duration timeout;
  private final BiFunction<RequestContext, String, CompletionStage<Volume>> visible;
  private final Function<String, EntityRef<VolumeEntity.Command>> volume;
  private final ImageQuotas imageQuotas;
  private final BiFunction<RequestContext, String, CompletionStage<nimbus.storage.VolumeType>> usableType;

  VolumeActions(Policy policy, Duration timeout, BiFunction<RequestContext, String, CompletionStage<Volume>> visible,
      Function<String, EntityRef<VolumeEntity.Command>> volume, ImageQuotas imageQuotas,
      BiFunction<RequestContext, String, CompletionStage<nimbus.storage.VolumeType>> usableType) {
    this.imageQuotas = imageQuotas;
    this.usableType = usableType;
    this.policy = policy;
    this.timeout = timeout;
    this.visible = visible;
    this.volume = volume;
  }

  /** Cinder's microversion from which {@code os-extend} grows volumes in use too. */
  static final String EXTEND_IN_USE = "3.42";

  CompletionStage<HttpResponse> act(RequestContext ctx, Microversion version, String id, String text) {
    JsonNode in = Json.parseObject(text);
    String name = in.size() == 1 ? in.fieldNames().next() : "";
    JsonNode body = in.path(name);
    switch (name) {
      case "os-extend" -> {
        policy.enforce(ctx, "volume:extend");
        if (!body.isObject()) throw ApiError.badRequest("Invalid input for field/attribute os-extend.");
        int size = VolumeRoutes.size(body.get("new_size"), "new_size");
        boolean whileAttached = version.atLeast(EXTEND_IN_USE);
        return ask(ctx, id, r -> new VolumeEntity.Extend(size, whileAttached, r));
      }
      case "os-reserve" -> {
        policy.enforce(ctx, "volume_extension:volume_actions:reserve");
        String attachment = UUID.randomUUID().toString();
        return ask(ctx, id, r -> new VolumeEntity.DeclareReservation(attachment, r));
      }
      case "os-unreserve" -> {
        policy.enforce(ctx, "volume_extension:volume_actions:unreserve");
        return ask(ctx, id, VolumeEntity.WithdrawReservation::new);
      }
      case "os-attach" -> {
        policy.enforce(ctx, "volume_extension:volume_actions:attach");
        return attach(ctx, id, body);
      }
      case "os-detach" -> {
        policy.enforce(ctx, "volume_extension:volume_actions:detach");
        Optional<String> attachment = body.isObject() ? uuid(body, "attachment_id") : Optional.empty();
        return ask(ctx, id, r -> new VolumeEntity.DeclareDetached(attachment, r));
      }
      case "os-set_bootable" -> {
        policy.enforce(ctx, "volume_extension:volume_actions:set_bootable");
        boolean bootable = flag(body, "bootable");
        // Cinder answers this one action with 200
        return ask(ctx, id, r -> new VolumeEntity.SetFlags(Optional.of(bootable), Optional.empty(), r))
            .thenApply(accepted -> HttpResponse.create().withStatus(200));
      }
      case "os-update_readonly_flag" -> {
        policy.enforce(ctx, "volume:update_readonly_flag");
        boolean readonly = flag(body, "readonly");
        return ask(ctx, id, r -> new VolumeEntity.SetFlags(Optional.empty(), Optional.of(readonly), r));
      }
      case "os-reset_status" -> {
        policy.enforce(ctx, "volume_extension:volume_admin_actions:reset_status");
        return resetStatus(ctx, id, body);
      }
      case "os-force_detach" -> {
        policy.enforce(ctx, "volume_extension:volume_admin_actions:force_detach");
        return forceDetach(ctx, id, body);
      }
      case "os-force_delete" -> {
        policy.enforce(ctx, "volume_extension:volume_admin_actions:force_delete");
        return visible.apply(ctx, id).thenCompose(v -> volume.apply(id).<Done>askWithStatus(VolumeEntity.ForceDelete::new,
            timeout)).thenApply(d -> accepted());
      }
      case "os-retype" -> {
        policy.enforce(ctx, "volume:retype");
        return retype(ctx, id, body);
      }
      case "os-volume_upload_image" -> {
        policy.enforce(ctx, "volume_extension:volume_actions:upload_image");
        return uploadImage(ctx, id, body);
      }
      default -> throw ApiError.badRequest("There is no such action: " + String.join(",", names(in)));
    }
  }

  /**
   * Cinder's os-retype: {@code new_type} (a name or id of a type the caller may use; 404 else) and
   * {@code migration_policy} ({@code never}, the default, or {@code on-demand}); the volume's own
   * steps do the rest (a type of another backend moves its bytes there).
   */
  private CompletionStage<HttpResponse> retype(RequestContext ctx, String id, JsonNode body) {
    if (!body.isObject()) throw ApiError.badRequest("Invalid input for field/attribute os-retype.");
    for (String field : names(body)) {
      if (!field.equals("new_type") && !field.equals("migration_policy")) {
        throw ApiError.badRequest("Invalid input for field/attribute os-retype. Additional properties are not allowed ('"
            + field + "' was unexpected)");
      }
    }
    String newType = text(body, "new_type", 255).filter(t -> !t.isEmpty()).orElseThrow(() -> ApiError.badRequest(
        "Invalid input for field/attribute os-retype. 'new_type' is a required property"));
    String policyAsked = text(body, "migration_policy", 255).orElse("never");
    if (!policyAsked.equals("never") && !policyAsked.equals("on-demand")) {
      throw ApiError.badRequest("Invalid input for field/attribute migration_policy. Value: " + policyAsked
          + ". It must be one of: on-demand, never.");
    }
    boolean onDemand = policyAsked.equals("on-demand");
    // the volume first: another project's is 404 whatever type is named
    return visible.apply(ctx, id).thenCompose(v -> usableType.apply(ctx, newType))
        .thenCompose(type -> volume.apply(id).<Volume>askWithStatus(
            r -> new VolumeEntity.Retype(type.name(), type.backend(), onDemand, r), timeout))
        .thenApply(v -> accepted());
  }

  /** Cinder's schema; its volumes are uploaded as raw or qcow2 files (those its generic driver writes), bare. */
  private CompletionStage<HttpResponse> uploadImage(RequestContext ctx, String id, JsonNode body) {
    if (!body.isObject()) throw ApiError.badRequest("Invalid input for field/attribute os-volume_upload_image.");
    for (String field : names(body)) {
      if (!UPLOAD_FIELDS.contains(field)) {
        throw ApiError.badRequest("Invalid input for field/attribute os-volume_upload_image. Additional properties are"
            + " not allowed ('" + field + "' was unexpected)");
      }
    }
    String name = text(body, "image_name", 255).orElseThrow(() -> ApiError.badRequest(
        "Invalid input for field/attribute os-volume_upload_image. 'image_name' is a required property"));
    if (name.isEmpty()) throw ApiError.badRequest("Invalid input for field/attribute image_name. It is too short.");
    String diskFormat = text(body, "disk_format", 255).orElse("raw");
    if (!diskFormat.equals("raw") && !diskFormat.equals("qcow2")) {
      throw ApiError.badRequest("Invalid input for field/attribute disk_format. Value: " + diskFormat
          + ". It must be one of: raw, qcow2.");
    }
    String containerFormat = text(body, "container_format", 255).orElse("bare");
    if (!containerFormat.equals("bare")) {
      throw ApiError.badRequest("Invalid input for field/attribute container_format. Value: " + containerFormat
          + ". It must be bare.");
    }
    String visibility = text(body, "visibility", 255).orElse("private");
    if (!ImageMetadata.VISIBILITIES.contains(visibility)) {
      throw ApiError.badRequest("Invalid input for field/attribute visibility. Value: " + visibility
          + ". It must be one of: community, public, private, shared.");
    }
    if (visibility.equals("public")) policy.enforce(ctx, "volume_extension:volume_actions:upload_public");
    boolean force = body.has("force") && flag(body, "force");
    boolean isProtected = body.has("protected") && flag(body, "protected");
    return visible.apply(ctx, id).thenCompose(v -> imageQuotas.checkRoomForImage(v.projectId()).thenCompose(room -> {
      Instant now = Instant.now();
      // what Cinder carries over of the image the volume was made from
      int minDisk = v.image().map(VolumeImage::minDisk).orElse(0);
      int minRam = v.image().map(VolumeImage::minRam).orElse(0);
      Image image = new Image(UUID.randomUUID().toString(), v.projectId(), "queued",
          new ImageMetadata(name, diskFormat, containerFormat, visibility, isProtected, minDisk, minRam,
              carriedProperties(v), List.of()), Optional.empty(), Optional.empty(), now, now);
      return volume.apply(id).<Volume>askWithStatus(r -> new VolumeEntity.UploadToImage(image, force, r), timeout)
          .thenApply(uploading -> Json.response(202, Map.of("os-volume_upload_image",
              uploadView(uploading, image))));
    }));
  }

  /** Cinder's glance_core_properties: what it never copies from a volume's image metadata into an uploaded image. */
  private static final Set<String> CORE_PROPERTIES = Set.of("checksum", "container_format", "disk_format",
      "image_name", "image_id", "min_disk", "min_ram", "name", "size");
  /** Glance's reserved namespaces, which Cinder filters out of an uploaded image's properties. */
  private static final List<String> RESERVED_NAMESPACES = List.of("os_glance", "img_signature");

  /**
   * The properties of the image the volume was made from, as Cinder's upload merges them into the
   * new image (volume API's _merge_volume_image_meta, then its reserved namespaces filter). The values
   * stay the image owner's: a kernel_id here is resolved as the booting caller's image, as any is.
   */
  static Map<String, String> carriedProperties(Volume v) {
    Map<String, String> carried = new java.util.TreeMap<>();
    v.image().ifPresent(i -> i.properties().forEach((key, value) -> {
      if (CORE_PROPERTIES.contains(key) || RESERVED_NAMESPACES.stream().anyMatch(key::startsWith)) return;
      carried.put(key, value);
    }));
    return carried;
  }

  /** Cinder's answer to an upload: the volume, uploading, and the image it goes into. */
  private static Map<String, Object> uploadView(Volume v, Image image) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", v.id());
    m.put("updated_at", VolumeRoutes.TIME.format(v.updatedAt()));
    m.put("status", v.status());
    m.put("display_description", v.description());
    m.put("size", v.size());
    m.put("volume_type", VolumeRoutes.typeOf(v));
    m.put("image_id", image.id());
    m.put("container_format", image.metadata().containerFormat());
    m.put("disk_format", image.diskFormat());
    m.put("image_name", image.name());
    m.put("protected", image.metadata().deletionProtected());
    m.put("visibility", image.visibility());
    return m;
  }

  /** Cinder's schema: a mountpoint, and a server or a host that uses the volume. */
  private CompletionStage<HttpResponse> attach(RequestContext ctx, String id, JsonNode body) {
    if (!body.isObject()) throw ApiError.badRequest("Invalid input for field/attribute os-attach.");
    for (String field : names(body)) {
      if (!ATTACH_FIELDS.contains(field)) {
        throw ApiError.badRequest("Invalid input for field/attribute os-attach. Additional properties are not allowed ('"
            + field + "' was unexpected)");
      }
    }
    String mountpoint = text(body, "mountpoint", 255).orElseThrow(() -> ApiError.badRequest(
        "Invalid input for field/attribute os-attach. 'mountpoint' is a required property"));
    if (mountpoint.isEmpty()) throw ApiError.badRequest("Invalid input for field/attribute mountpoint. It is too short.");
    Optional<String> server = uuid(body, "instance_uuid");
    Optional<String> host = text(body, "host_name", 255);
    if (server.isEmpty() && host.isEmpty()) {
      throw ApiError.badRequest("Invalid input for field/attribute os-attach. One of 'instance_uuid' and 'host_name'"
          + " is required");
    }
    String mode = text(body, "mode", 2).orElse("rw");
    if (!mode.equals("rw") && !mode.equals("ro")) {
      throw ApiError.badRequest("Invalid input for field/attribute mode. Value: " + mode + ". It must be rw or ro.");
    }
    String attachment = UUID.randomUUID().toString();
    return ask(ctx, id, r -> new VolumeEntity.DeclareAttachment(attachment, server.orElse(""), host, mountpoint,
        mode.equals("ro"), r));
  }

  private CompletionStage<HttpResponse> resetStatus(RequestContext ctx, String id, JsonNode body) {
    if (!body.isObject()) throw ApiError.badRequest("Invalid input for field/attribute os-reset_status.");
    Optional<String> status = text(body, "status", 255).map(s -> s.toLowerCase(Locale.ROOT));
    Optional<String> attachStatus = text(body, "attach_status", 255).map(s -> s.toLowerCase(Locale.ROOT));
    if (attachStatus.isPresent() && !List.of("attached", "detached").contains(attachStatus.get())) {
      throw ApiError.badRequest("Invalid input received: Must specify a valid attach status");
    }
    if (status.isEmpty() && attachStatus.isEmpty()) {
      throw ApiError.badRequest("Invalid input received: Must specify 'status', 'attach_status' or 'migration_status'"
          + " for update.");
    }
    boolean detach = attachStatus.filter("detached"::equals).isPresent();
    return ask(ctx, id, r -> new VolumeEntity.ResetStatus(status, detach, r));
  }

  /**
   * Cinder's os-force_detach (admins): the volume's attachment ({@code attachment_id}, if given,
   * must be it) ends whatever its status, and the volume is available, as a reset with
   * {@code attach_status} {@code detached} does (a guest that had the disk is the admin's to mind).
   */
  private CompletionStage<HttpResponse> forceDetach(RequestContext ctx, String id, JsonNode body) {
    if (!body.isObject()) throw ApiError.badRequest("Invalid input for field/attribute os-force_detach.");
    for (String field : names(body)) {
      if (!field.equals("attachment_id") && !field.equals("connector")) {
        throw ApiError.badRequest("Invalid input for field/attribute os-force_detach. Additional properties are not"
            + " allowed ('" + field + "' was unexpected)");
      }
    }
    Optional<String> attachment = uuid(body, "attachment_id");
    return visible.apply(ctx, id).thenCompose(v -> {
      if (v.attachment().isEmpty() || attachment.isPresent() && !v.heldBy(attachment.get())) {
        throw ApiError.notFound("Volume attachment could not be found with filter: attachment_id = "
            + attachment.orElse("None") + ".");
      }
      return volume.apply(id).<Volume>askWithStatus(r -> new VolumeEntity.ResetStatus(Optional.of(Volume.AVAILABLE),
          true, r), timeout);
    }).thenApply(v -> accepted());
  }

  private CompletionStage<HttpResponse> ask(RequestContext ctx, String id,
      Function<org.apache.pekko.actor.typed.ActorRef<org.apache.pekko.pattern.StatusReply<Volume>>, VolumeEntity.Command> command) {
    return visible.apply(ctx, id).thenCompose(v -> volume.apply(id).<Volume>askWithStatus(command::apply, timeout))
        .thenApply(v -> accepted());
  }

  private static HttpResponse accepted() {
    return HttpResponse.create().withStatus(202);
  }

  /** Cinder's boolean: JSON's, or one of the strings it reads as one. */
  private static boolean flag(JsonNode body, String field) {
    JsonNode node = body.isObject() ? body.get(field) : null;
    if (node != null && node.isBoolean()) return node.booleanValue();
    String text = node != null && node.isTextual() ? node.asText().toLowerCase(Locale.ROOT) : "";
    if (List.of("true", "1", "yes", "on", "t", "y").contains(text)) return true;
    if (List.of("false", "0", "no", "off", "f", "n").contains(text)) return false;
    throw ApiError.badRequest("Invalid input for field/attribute " + field + ". Value: "
        + (node == null ? "None" : node.toString()) + ". It must be a boolean.");
  }

  private static Optional<String> text(JsonNode body, String field, int max) {
    JsonNode node = body.get(field);
    if (node == null || node.isNull()) return Optional.empty();
    if (!node.isTextual()) throw ApiError.badRequest("Invalid input for field/attribute " + field + ". It must be a string.");
    if (node.asText().length() > max) {
      throw ApiError.badRequest("Invalid input for field/attribute " + field + ". It is longer than " + max + " characters.");
    }
    return Optional.of(node.asText());
  }

  private static Optional<String> uuid(JsonNode body, String field) {
    Optional<String> value = text(body, field, 36);
    if (value.isPresent() && !Ids.isUuid(value.get())) {
      throw ApiError.badRequest("Invalid input for field/attribute " + field + ". Value: " + value.get()
          + ". '" + value.get() + "' is not a 'uuid'");
    }
    return value;
  }

  private static List<String> names(JsonNode node) {
    List<String> out = new java.util.ArrayList<>();
    node.fieldNames().forEachRemaining(out::add);
    return out;
  }
}
