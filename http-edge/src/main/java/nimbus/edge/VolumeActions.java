package nimbus.edge;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import java.util.function.Function;
import nimbus.storage.Volume;
import nimbus.storage.VolumeEntity;
import org.apache.pekko.Done;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * Cinder's volume actions ({@code POST …/volumes/{id}/action}), each body one action by name:
 * {@code os-extend}; {@code os-set_bootable} and {@code os-update_readonly_flag}; {@code os-reserve}, {@code os-unreserve}, {@code os-attach} and
 * {@code os-detach}, which only record an attachment whoever calls them makes themselves (as
 * Cinder's do: the disk reaches a guest of this cloud through the compute API); and the admins'
 * {@code os-reset_status} and {@code os-force_delete}.
 */
final class VolumeActions {
  private static final Set<String> ATTACH_FIELDS = Set.of("instance_uuid", "mountpoint", "host_name", "mode");

  private final Policy policy;
  private final Duration timeout;
  private final BiFunction<RequestContext, String, CompletionStage<Volume>> visible;
  private final Function<String, EntityRef<VolumeEntity.Command>> volume;

  VolumeActions(Policy policy, Duration timeout, BiFunction<RequestContext, String, CompletionStage<Volume>> visible,
      Function<String, EntityRef<VolumeEntity.Command>> volume) {
    this.policy = policy;
    this.timeout = timeout;
    this.visible = visible;
    this.volume = volume;
  }

  CompletionStage<HttpResponse> act(RequestContext ctx, String id, String text) {
    JsonNode in = Json.parseObject(text);
    String name = in.size() == 1 ? in.fieldNames().next() : "";
    JsonNode body = in.path(name);
    switch (name) {
      case "os-extend" -> {
        policy.enforce(ctx, "volume:extend");
        if (!body.isObject()) throw ApiError.badRequest("Invalid input for field/attribute os-extend.");
        int size = VolumeRoutes.size(body.get("new_size"), "new_size");
        return ask(ctx, id, r -> new VolumeEntity.Extend(size, r));
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
      case "os-force_delete" -> {
        policy.enforce(ctx, "volume_extension:volume_admin_actions:force_delete");
        return visible.apply(ctx, id).thenCompose(v -> volume.apply(id).<Done>askWithStatus(VolumeEntity.ForceDelete::new,
            timeout)).thenApply(d -> accepted());
      }
      default -> throw ApiError.badRequest("There is no such action: " + String.join(",", names(in)));
    }
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
