package nimbus.edge;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import nimbus.network.Router;

/**
 * A router as Neutron (Zed) shows it with the router, ext-gw-mode, extraroute, router availability
 * zone and standard attribute extensions; its attribute map, and the target its policy rules read.
 */
final class RouterJson {
  private RouterJson() {}

  static final NeutronAttributes ATTRIBUTES = NeutronAttributes.of("router", "routers")
      .add("id", "FS", NeutronAttributes.Kind.STRING)
      .add("name", "PUFS", NeutronAttributes.Kind.STRING)
      .add("admin_state_up", "PUFS", NeutronAttributes.Kind.BOOLEAN)
      .add("status", "FS", NeutronAttributes.Kind.STRING)
      .add("external_gateway_info", "PU", NeutronAttributes.Kind.OTHER)
      .add("routes", "PU", NeutronAttributes.Kind.OTHER)
      .standard()
      .add("availability_zone_hints", "P", NeutronAttributes.Kind.OTHER)
      .add("availability_zones", "", NeutronAttributes.Kind.OTHER)
      .build();

  record FixedIpView(@JsonProperty("subnet_id") String subnetId, @JsonProperty("ip_address") String ipAddress) {}

  record GatewayView(@JsonProperty("network_id") String networkId, @JsonProperty("enable_snat") boolean enableSnat,
      @JsonProperty("external_fixed_ips") List<FixedIpView> externalFixedIps) {}

  record RouteView(String destination, String nexthop) {}

  record View(String id, String name, @JsonProperty("tenant_id") String tenantId,
      @JsonProperty("admin_state_up") boolean adminStateUp, String status,
      @JsonProperty("external_gateway_info") GatewayView externalGatewayInfo, List<RouteView> routes,
      String description, List<String> tags, @JsonProperty("availability_zone_hints") List<String> hints,
      @JsonProperty("availability_zones") List<String> zones, @JsonProperty("created_at") String createdAt,
      @JsonProperty("updated_at") String updatedAt, @JsonProperty("revision_number") int revisionNumber,
      @JsonProperty("project_id") String projectId) {}

  /** The router with {@code availability_zones} the zone of the host it runs on ({@code zoneOf}), if placed. */
  static ObjectNode view(Router r, Function<String, Optional<String>> zoneOf) {
    GatewayView gateway = r.gateway().map(g -> new GatewayView(g.networkId(), g.enableSnat(),
        g.fixedIps().stream().map(f -> new FixedIpView(f.subnetId(), f.ipAddress())).toList())).orElse(null);
    return Json.MAPPER.valueToTree(new View(r.id(), r.name(), r.projectId(), r.adminStateUp(), r.status(), gateway,
        r.routes().stream().map(x -> new RouteView(x.destination(), x.nexthop())).toList(), r.description(), r.tags(),
        r.availabilityZoneHints(), r.host().flatMap(zoneOf).stream().toList(), NetworkJson.time(r.createdAt()), NetworkJson.time(r.updatedAt()),
        r.revisionNumber(), r.projectId()));
  }

  /** Neutron's answer to add/remove_router_interface. */
  static Map<String, Object> interfaceInfo(Router r, Router.Interface i) {
    return Map.of("id", r.id(), "tenant_id", r.projectId(), "project_id", r.projectId(), "port_id", i.portId(),
        "subnet_id", i.subnetId(), "subnet_ids", List.of(i.subnetId()), "network_id", i.networkId());
  }

  static Map<String, String> target(Router r) {
    return Map.of("project_id", r.projectId(), "tenant_id", r.projectId());
  }
}
