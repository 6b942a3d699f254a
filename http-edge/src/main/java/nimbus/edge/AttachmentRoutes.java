package nimbus.edge;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.BiFunction;
import java.util.function.Function;
import nimbus.storage.Volume;
import nimbus.storage.VolumeAttachment;
import nimbus.storage.VolumeEntity;
import nimbus.storage.VolumeListing;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Cinder's attachments API ({@code /volume/v3/{project_id}/attachments}, microversion 3.27 on;
 * {@code os-complete} 3.44 on; below, 404 as Cinder answers a method of a later version): create
 * (reserve, or with a connector attaching), list, detail, show, update with a connector, complete,
 * delete. An attachment is the volume's (its entity holds it, one at a time, whichever API made it):
 * made here it is a record for whoever connects the disk themselves (Cinder does not call Nova), and
 * the compute API's attachments are listed here too but only their servers end them. A project
 * sees only its own volumes' attachments: another's id is a 404.
 */
final class AttachmentRoutes extends ServiceRoutes {
  static final String SINCE = "3.27";
  static final String COMPLETE_SINCE = "3.44";
  private static final Set<String> CREATE_FIELDS = Set.of("volume_uuid", "instance_uuid", "connector");
  /** Cinder's attachment filters ({@code instance_id} names the instance, as Cinder renames it). */
  private static final Set<String> FILTERS = Set.of("volume_id", "status", "instance_id", "attach_status");

  private final VolumeListing listing;
  private final Executor blocking;
  private final Duration timeout;
  private final Policy policy;
  private final BiFunction<RequestContext, String, CompletionStage<Volume>> visible;
  private final Function<String, EntityRef<VolumeEntity.Command>> volume;

  /** Whether the caller is the cloud's admin (VolumeRoutes' {@code context_is_admin}): it sees every project's. */
  private final java.util.function.Predicate<RequestContext> cloudAdmin;

  AttachmentRoutes(VolumeListing listing, Executor blocking, Duration timeout, Policy policy,
      BiFunction<RequestContext, String, CompletionStage<Volume>> visible,
      Function<String, EntityRef<VolumeEntity.Command>> volume, java.util.function.Predicate<RequestContext> cloudAdmin) {
    super(NovaErrors::response);
    this.cloudAdmin = cloudAdmin;
    this.listing = listing;
    this.blocking = blocking;
    this.timeout = timeout;
    this.policy = policy;
    this.visible = visible;
    this.volume = volume;
  }

  /** The routes at {@code version}; {@code base}: the project's URL, for the lists' next links. */
  Route route(RequestContext ctx, Microversion version, String base) {
    return pathPrefix("attachments", () -> !version.atLeast(SINCE) ? notFound() : concat(
        pathEndOrSingleSlash(() -> concat(
            get(() -> parameterMap(q -> respond(() -> list(ctx, q, false, base + "/attachments")))),
            post(() -> body(b -> respond(() -> create(ctx, b)))))),
        path("detail", () -> get(() -> parameterMap(q -> respond(() -> list(ctx, q, true, base + "/attachments/detail"))))),
        pathPrefix(PathMatchers.segment(), id -> concat(
            pathEndOrSingleSlash(() -> concat(
                get(() -> respond(() -> find(ctx, id).thenApply(r -> Json.response(200, Map.of("attachment", detail(r)))))),
                put(() -> body(b -> respond(() -> update(ctx, id, b)))),
                delete(() -> respond(() -> remove(ctx, id))))),
            path("action", () -> post(() -> body(b -> version.atLeast(COMPLETE_SINCE)
                ? respond(() -> act(ctx, id, b)) : notFound())))))));
  }

  /** Cinder's answer to a method of a later microversion: a bare 404, as if it were not there. */
  private Route notFound() {
    return complete(NovaErrors.response(404, "The resource could not be found."));
  }

  /** An attachment with its volume. */
  record Row(Volume volume, VolumeAttachment attachment) {}

  private CompletionStage<HttpResponse> create(RequestContext ctx, String text) {
    JsonNode in = Json.parseObject(text).get("attachment");
    if (in == null || !in.isObject()) {
      throw ApiError.badRequest("Invalid input for field/attribute attachment. 'attachment' is a required property");
    }
    for (var names = in.fieldNames(); names.hasNext(); ) {
      String field = names.next();
      if (!CREATE_FIELDS.contains(field)) {
        throw ApiError.badRequest("Additional properties are not allowed ('" + field + "' was unexpected)");
      }
    }
    String volumeId = uuid(in, "volume_uuid").orElseThrow(
        () -> ApiError.badRequest("Invalid input for field/attribute attachment. 'volume_uuid' is a required property"));
    String instance = uuid(in, "instance_uuid").orElse("");
    // as Cinder: an empty connector (what the CLI sends without --connect) is none
    Optional<VolumeAttachment.Connector> connector = in.hasNonNull("connector") && !in.get("connector").isEmpty()
        ? Optional.of(connector(in.get("connector"), true)) : Optional.empty();
    String attachmentId = UUID.randomUUID().toString();
    policy.enforce(ctx, "volume:attachment_create");
    return visible.apply(ctx, volumeId).thenCompose(v -> volume.apply(volumeId).<Volume>askWithStatus(
        r -> new VolumeEntity.CreateAttachment(attachmentId, instance, connector, r), timeout)).thenApply(v -> Json.response(200, Map.of("attachment", detail(new Row(v, v.attachment().orElseThrow())))));
  }

  private CompletionStage<HttpResponse> update(RequestContext ctx, String id, String text) {
    JsonNode in = Json.parseObject(text).get("attachment");
    if (in == null || !in.isObject() || !in.has("connector")) {
      throw ApiError.badRequest("Invalid input for field/attribute attachment. 'connector' is a required property");
    }
    if (in.size() > 1) throw ApiError.badRequest("Additional properties are not allowed: only 'connector' may be given");
    VolumeAttachment.Connector connector = connector(in.get("connector"), false);
    return change(ctx, id, "volume:attachment_update", r -> new VolumeEntity.UpdateAttachment(id, connector, r))
        .thenApply(row -> Json.response(200, Map.of("attachment", detail(row))));
  }

  private CompletionStage<HttpResponse> act(RequestContext ctx, String id, String text) {
    JsonNode in = Json.parseObject(text);
    if (in.size() != 1 || !in.has("os-complete")) {
      List<String> names = new java.util.ArrayList<>();
      in.fieldNames().forEachRemaining(names::add);
      throw ApiError.badRequest("There is no such action: " + String.join(",", names));
    }
    return change(ctx, id, "volume:attachment_complete", r -> new VolumeEntity.CompleteAttachment(id, r))
        .thenApply(row -> HttpResponse.create().withStatus(204));
  }

  /** Cinder answers a delete with the attachments left sharing the connection: none here, as none is shared. */
  private CompletionStage<HttpResponse> remove(RequestContext ctx, String id) {
    return change(ctx, id, "volume:attachment_delete", r -> new VolumeEntity.DeleteAttachment(id, r))
        .thenApply(row -> Json.response(200, Map.of("attachments", List.of())));
  }

  /** Asks the attachment's volume for a change (the volume re-checks that it holds the attachment). */
  private CompletionStage<Row> change(RequestContext ctx, String id, String action,
      Function<org.apache.pekko.actor.typed.ActorRef<org.apache.pekko.pattern.StatusReply<Volume>>, VolumeEntity.Command> command) {
    policy.enforce(ctx, action);
    return find(ctx, id).thenCompose(row -> volume.apply(row.volume().id()).<Volume>askWithStatus(command::apply, timeout)
        .thenApply(v -> new Row(v, v.attachment().orElse(row.attachment()))));
  }

  /** The attachment, if one of the caller's volumes (any, for the cloud's admin) holds it; else 404. */
  private CompletionStage<Row> find(RequestContext ctx, String id) {
    return rows(ctx, true).thenApply(rows -> rows.stream().filter(r -> r.attachment().id().equals(id)).findFirst()
        .orElseThrow(() -> ApiError.notFound("Volume attachment could not be found with filter: attachment_id = " + id
            + ".")));
  }

  private CompletionStage<List<Row>> rows(RequestContext ctx, boolean everyProject) {
    Optional<String> project = everyProject && cloudAdmin.test(ctx) ? Optional.empty() : Optional.of(ctx.projectId());
    var query = new VolumeListing.Query(project, Optional.empty(), Optional.empty(), CinderPaging.MAX_ROWS);
    return readSide(() -> listing.list(query), blocking).thenApply(volumes -> volumes.stream()
        .filter(v -> v.attachment().isPresent()).map(v -> new Row(v, v.attachment().get())).toList());
  }

  /** Cinder's attachment sort keys (its model's columns the view shows). */
  private static final CinderPaging<Row> PAGING = new CinderPaging<>(Map.ofEntries(
      Map.entry("created_at", r -> r.attachment().createdAt().or(() -> r.attachment().attachedAt()).orElse(Instant.EPOCH)),
      Map.entry("status", r -> status(r)), Map.entry("attach_status", r -> status(r)),
      Map.entry("instance_uuid", r -> r.attachment().serverId()), Map.entry("volume_id", r -> r.volume().id()),
      Map.entry("attach_mode", r -> r.attachment().mode())), r -> r.attachment().id());

  private CompletionStage<HttpResponse> list(RequestContext ctx, Map<String, String> q, boolean detail, String url) {
    PAGING.order(q); // a bad sort is refused before the read side is asked
    boolean all = VolumeRoutes.truthy(q.get("all_tenants")) && cloudAdmin.test(ctx);
    return rows(ctx, all).thenApply(found -> {
      List<Row> matching = found.stream().filter(r -> matches(r, q)).toList();
      return PAGING.page(matching, q, url).answer("attachments", r -> detail ? detail(r) : summary(r));
    });
  }

  /** Cinder's filters; others it drops, as it does for a filter it does not allow. */
  private static boolean matches(Row r, Map<String, String> q) {
    for (String filter : FILTERS) {
      String wanted = q.get(filter);
      if (wanted == null) continue;
      String actual = switch (filter) {
        case "volume_id" -> r.volume().id();
        case "instance_id" -> r.attachment().serverId();
        default -> status(r);
      };
      if (!actual.equals(wanted)) return false;
    }
    return true;
  }

  /** The attachment's status: its own, or {@code detaching} while its server lets the disk go. */
  private static String status(Row r) {
    return r.volume().status().equals(Volume.DETACHING) ? "detaching" : r.attachment().status();
  }

  private static Map<String, Object> summary(Row r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", r.attachment().id());
    m.put("status", status(r));
    m.put("instance", r.attachment().serverId().isEmpty() ? null : r.attachment().serverId());
    m.put("volume_id", r.volume().id());
    return m;
  }

  /** Cinder's detail view: times as it normalises them ('' when unknown), mode, and the connection once connected. */
  static Map<String, Object> detail(Row r) {
    Map<String, Object> m = summary(r);
    VolumeAttachment a = r.attachment();
    m.put("attached_at", a.attachedAt().map(VolumeRoutes.TIME::format).orElse(""));
    m.put("detached_at", "");
    m.put("attach_mode", a.mode());
    m.put("connection_info", a.connector().isPresent() ? connectionInfo(r) : Map.of());
    return m;
  }

  /**
   * What a consumer connects to: the volume's file on its storage host (Nimbus's own hosts reach
   * it through the compute API; whoever attaches it through this API reaches that host themselves).
   */
  private static Map<String, Object> connectionInfo(Row r) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("volume_id", r.volume().id());
    data.put("storage_host", r.volume().host().orElse(null));
    data.put("access_mode", r.attachment().mode());
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("driver_volume_type", "file");
    m.put("data", data);
    m.put("attachment_id", r.attachment().id());
    return m;
  }

  /** Cinder's connector: an object (at least one field to update), its host and mountpoint what it records. */
  private static VolumeAttachment.Connector connector(JsonNode node, boolean mayBeEmpty) {
    if (!node.isObject()) throw ApiError.badRequest("Invalid input for field/attribute connector. It must be an object.");
    if (!mayBeEmpty && node.isEmpty()) {
      throw ApiError.badRequest("Invalid input for field/attribute connector. Value: {}. {} does not have enough properties");
    }
    String host = text(node, "host").orElse("");
    String mountpoint = text(node, "mountpoint").orElse("na");
    String mode = text(node, "mode").orElse("rw");
    if (!mode.equals("rw") && !mode.equals("ro")) {
      throw ApiError.badRequest("Invalid input for field/attribute mode. Value: " + mode + ". It must be one of: rw, ro.");
    }
    String json = node.toString();
    if (json.length() > 4096) throw ApiError.badRequest("Invalid input for field/attribute connector. It is too long.");
    return new VolumeAttachment.Connector(host, mountpoint, mode, json);
  }

  private static Optional<String> text(JsonNode in, String field) {
    JsonNode n = in.get(field);
    if (n == null || n.isNull()) return Optional.empty();
    if (!n.isTextual() || n.asText().length() > 255) {
      throw ApiError.badRequest("Invalid input for field/attribute " + field + ". It must be a string of at most 255"
          + " characters.");
    }
    return Optional.of(n.asText());
  }

  private static Optional<String> uuid(JsonNode in, String field) {
    JsonNode n = in.get(field);
    if (n == null || n.isNull()) return Optional.empty();
    if (!n.isTextual() || !Ids.isUuid(n.asText())) {
      throw ApiError.badRequest("Invalid input for field/attribute " + field + ". Value: " + n.asText()
          + ". '" + n.asText() + "' is not a 'uuid'");
    }
    return Optional.of(n.asText());
  }
}
