package nimbus.edge;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import nimbus.network.FloatingIp;

/** A floating IP as Neutron (Zed) shows it; its attribute map, and the target its policy rules read. */
final class FloatingIpJson {
  private FloatingIpJson() {}

  static final NeutronAttributes ATTRIBUTES = NeutronAttributes.of("floatingip", "floatingips")
      .add("id", "FS", NeutronAttributes.Kind.STRING)
      .add("floating_ip_address", "PFS", NeutronAttributes.Kind.STRING)
      .add("subnet_id", "P", NeutronAttributes.Kind.STRING)
      .add("floating_network_id", "PRFS", NeutronAttributes.Kind.STRING)
      .add("router_id", "FS", NeutronAttributes.Kind.STRING)
      .add("port_id", "PUFS", NeutronAttributes.Kind.STRING)
      .add("fixed_ip_address", "PUFS", NeutronAttributes.Kind.STRING)
      .add("status", "FS", NeutronAttributes.Kind.STRING)
      .standard()
      .build();

  record View(String id, @JsonProperty("tenant_id") String tenantId, @JsonProperty("project_id") String projectId,
      @JsonProperty("floating_network_id") String floatingNetworkId,
      @JsonProperty("floating_ip_address") String floatingIpAddress, @JsonProperty("router_id") String routerId,
      @JsonProperty("port_id") String portId, @JsonProperty("fixed_ip_address") String fixedIpAddress, String status,
      String description, List<String> tags, @JsonProperty("created_at") String createdAt,
      @JsonProperty("updated_at") String updatedAt, @JsonProperty("revision_number") int revisionNumber) {}

  static ObjectNode view(FloatingIp f) {
    var a = f.association();
    return Json.MAPPER.valueToTree(new View(f.id(), f.projectId(), f.projectId(), f.floatingNetworkId(),
        f.floatingIpAddress(), a.map(FloatingIp.Association::routerId).orElse(null),
        a.map(FloatingIp.Association::portId).orElse(null), a.map(FloatingIp.Association::fixedIpAddress).orElse(null),
        f.status(), f.description(), List.of(), NetworkJson.time(f.createdAt()), NetworkJson.time(f.updatedAt()),
        f.revisionNumber()));
  }

  static Map<String, String> target(FloatingIp f) {
    return Map.of("project_id", f.projectId(), "tenant_id", f.projectId());
  }
}
