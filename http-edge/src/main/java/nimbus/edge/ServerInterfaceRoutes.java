package nimbus.edge;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import nimbus.compute.NicRequest;
import nimbus.compute.ServerEntity;
import nimbus.compute.ServerPort;
import nimbus.compute.ServerView;
import nimbus.network.Port;
import nimbus.network.PortEntity;
import org.apache.pekko.Done;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.pattern.StatusReply;

/**
 * Nova's {@code os-interface} on one server ({@code openstack server add port}, {@code remove
 * port}): list, show, attach (answered once the host has plugged the NIC) and detach.
 */
final class ServerInterfaceRoutes extends ServiceRoutes {
  private static final RequestSchema ATTACH = RequestSchema.named("interface-attach");

  private final ServerAccess access;
  private final RequestedNetworks networks;

  ServerInterfaceRoutes(ServerAccess access, RequestedNetworks networks) {
    super(NovaErrors::response);
    this.access = access;
    this.networks = networks;
  }

  /** The routes of {@code serverId}'s NICs; {@code requestId}: the API request's (its actions record it). */
  Route route(RequestContext ctx, String requestId, String serverId) {
    return pathPrefix("os-interface", () -> concat(
        pathEndOrSingleSlash(() -> concat(
            get(() -> respond(() -> list(ctx, serverId))),
            post(() -> body(b -> respond(() -> attach(ctx, requestId, serverId, b)))))),
        path(PathMatchers.segment(), portId -> concat(
            get(() -> respond(() -> show(ctx, serverId, portId))),
            delete(() -> respond(() -> detach(ctx, requestId, serverId, portId)))))));
  }

  /** One NIC as Nova shows it. */
  record Attachment(@JsonProperty("port_state") String portState, @JsonProperty("fixed_ips") List<FixedIp> fixedIps,
      @JsonProperty("port_id") String portId, @JsonProperty("net_id") String netId,
      @JsonProperty("mac_addr") String macAddr) {}

  record FixedIp(@JsonProperty("subnet_id") String subnetId, @JsonProperty("ip_address") String ipAddress) {}

  private CompletionStage<HttpResponse> list(RequestContext ctx, String serverId) {
    access.policy().enforce(ctx, "os_compute_api:os-attach-interfaces:list");
    return access.visible().apply(ctx, serverId).thenCompose(view -> {
      List<java.util.concurrent.CompletableFuture<Attachment>> each = view.ports().stream()
          .map(p -> attachment(p).toCompletableFuture()).toList();
      return java.util.concurrent.CompletableFuture.allOf(each.toArray(java.util.concurrent.CompletableFuture[]::new))
          .thenApply(all -> Json.response(200, Map.of("interfaceAttachments",
              each.stream().map(java.util.concurrent.CompletableFuture::join).toList())));
    });
  }

  private CompletionStage<HttpResponse> show(RequestContext ctx, String serverId, String portId) {
    access.policy().enforce(ctx, "os_compute_api:os-attach-interfaces:show");
    return access.visible().apply(ctx, serverId).thenCompose(view -> attachment(portOf(view, portId)))
        .thenApply(a -> Json.response(200, Map.of("interfaceAttachment", a)));
  }

  private CompletionStage<HttpResponse> attach(RequestContext ctx, String requestId, String serverId, String body) {
    access.policy().enforce(ctx, "os_compute_api:os-attach-interfaces:create");
    JsonNode in = ATTACH.validate(Json.parseObject(body)).get("interfaceAttachment");
    Optional<String> portId = Fields.text(in, "port_id");
    Optional<String> netId = Fields.text(in, "net_id");
    JsonNode ips = in.get("fixed_ips");
    Optional<String> fixedIp = ips == null || ips.isEmpty() ? Optional.empty() : Fields.text(ips.get(0), "ip_address");
    if (portId.isPresent() && netId.isPresent()) throw ApiError.badRequest("Must not input both network_id and port_id");
    if (fixedIp.isPresent() && netId.isEmpty()) throw ApiError.badRequest("Must input network_id when request IP address");
    if (portId.isEmpty() && netId.isEmpty()) {
      throw ApiError.badRequest("Nimbus needs a net_id or a port_id to attach an interface");
    }
    NicRequest nic = portId.map(NicRequest::port).orElseGet(() -> NicRequest.onNetwork(netId.get(), fixedIp));
    String newPort = portId.orElseGet(() -> UUID.randomUUID().toString());
    return access.unlocked().apply(ctx, serverId)
        .thenCompose(view -> networks.check(ctx, nic, 404))
        .thenCompose(ok -> server(serverId).<Done>askWithStatus(r -> new ServerEntity.ForRequest(requestId, new ServerEntity.AttachNic(nic, newPort, r)), access.timeout()))
        .thenCompose(done -> server(serverId).<ServerView>askWithStatus(ServerEntity.Get::new, access.timeout()))
        .thenCompose(view -> attachment(portOf(view, newPort)))
        .thenApply(a -> Json.response(200, Map.of("interfaceAttachment", a)));
  }

  private CompletionStage<HttpResponse> detach(RequestContext ctx, String requestId, String serverId, String portId) {
    access.policy().enforce(ctx, "os_compute_api:os-attach-interfaces:delete");
    return access.unlocked().apply(ctx, serverId)
        .thenCompose(view -> server(serverId).<Done>askWithStatus(r -> new ServerEntity.ForRequest(requestId, new ServerEntity.DetachNic(portId, r)), access.timeout()))
        .thenApply(done -> HttpResponse.create().withStatus(202));
  }

  private static ServerPort portOf(ServerView view, String portId) {
    return view.ports().stream().filter(p -> p.portId().equals(portId)).findFirst()
        .orElseThrow(() -> ApiError.notFound("Port " + portId + " is not attached"));
  }

  /** The NIC with its port's state now (DOWN until its host plugged it). */
  private CompletionStage<Attachment> attachment(ServerPort p) {
    return access.sharding().entityRefFor(PortEntity.TYPE_KEY, p.portId()).<StatusReply<Port>>ask(PortEntity.Get::new, access.timeout())
        .thenApply(r -> new Attachment(r.isSuccess() ? r.getValue().status() : "DOWN",
            p.fixedIps().stream().map(f -> new FixedIp(f.subnetId(), f.ipAddress())).toList(), p.portId(),
            p.networkId(), p.macAddress()));
  }

  private org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef<ServerEntity.Command> server(String id) {
    return access.sharding().entityRefFor(ServerEntity.TYPE_KEY, id.toLowerCase());
  }
}
