package nimbus.edge;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import nimbus.network.Port;
import nimbus.network.PortEntity;

/**
 * A port as Neutron (Zed, ML2) shows it, with port-security, allowed-address-pairs and binding
 * (whose host and VIF only admins see, by policy); its attribute map, and its policy target.
 */
final class PortJson {
  private PortJson() {}

  static final NeutronAttributes ATTRIBUTES = NeutronAttributes.of("port", "ports")
      .add("id", "FS", NeutronAttributes.Kind.STRING)
      .add("name", "PUFS", NeutronAttributes.Kind.STRING)
      .add("network_id", "PRFS", NeutronAttributes.Kind.STRING)
      .add("admin_state_up", "PUFS", NeutronAttributes.Kind.BOOLEAN)
      .add("mac_address", "PUFS", NeutronAttributes.Kind.STRING)
      .add("fixed_ips", "PUF", NeutronAttributes.Kind.OTHER)
      .add("device_id", "PUFS", NeutronAttributes.Kind.STRING)
      .add("device_owner", "PUFS", NeutronAttributes.Kind.STRING)
      .standard()
      .add("status", "FS", NeutronAttributes.Kind.STRING)
      .add("port_security_enabled", "PU", NeutronAttributes.Kind.BOOLEAN)
      .add("allowed_address_pairs", "PU", NeutronAttributes.Kind.OTHER)
      .add("security_groups", "PUF", NeutronAttributes.Kind.OTHER)
      .add("binding:vnic_type", "PUF", NeutronAttributes.Kind.STRING)
      .add("binding:host_id", "PUF", NeutronAttributes.Kind.STRING)
      .add("binding:profile", "PU", NeutronAttributes.Kind.OTHER)
      .add("binding:vif_type", "", NeutronAttributes.Kind.STRING)
      .add("binding:vif_details", "", NeutronAttributes.Kind.OTHER)
      .build();

  record FixedIpView(@JsonProperty("subnet_id") String subnetId, @JsonProperty("ip_address") String ipAddress) {}

  record AddressPairView(@JsonProperty("ip_address") String ipAddress, @JsonProperty("mac_address") String macAddress) {}

  record View(String id, String name, @JsonProperty("network_id") String networkId,
      @JsonProperty("tenant_id") String tenantId, @JsonProperty("mac_address") String macAddress,
      @JsonProperty("admin_state_up") boolean adminStateUp, String status, @JsonProperty("device_id") String deviceId,
      @JsonProperty("device_owner") String deviceOwner, @JsonProperty("fixed_ips") List<FixedIpView> fixedIps,
      @JsonProperty("allowed_address_pairs") List<AddressPairView> allowedAddressPairs,
      String description, @JsonProperty("binding:vnic_type") String vnicType,
      @JsonProperty("binding:host_id") String hostId, @JsonProperty("binding:profile") Map<String, Object> profile,
      @JsonProperty("binding:vif_type") String vifType,
      @JsonProperty("binding:vif_details") Map<String, Object> vifDetails,
      @JsonProperty("port_security_enabled") boolean portSecurityEnabled,
      @JsonProperty("security_groups") List<String> securityGroups, List<String> tags,
      @JsonProperty("created_at") String createdAt, @JsonProperty("updated_at") String updatedAt,
      @JsonProperty("revision_number") int revisionNumber, @JsonProperty("project_id") String projectId) {}

  static ObjectNode view(Port p) {
    var a = p.attributes();
    return Json.MAPPER.valueToTree(new View(p.id(), a.name(), p.networkId(), p.projectId(), p.macAddress(),
        a.adminStateUp(), p.status(), a.deviceId(), a.deviceOwner(),
        p.fixedIps().stream().map(f -> new FixedIpView(f.subnetId(), f.ipAddress())).toList(),
        // a pair without a MAC is the port's own MAC, as Neutron fills it in
        a.allowedAddressPairs().stream().map(x -> new AddressPairView(x.ipAddress(),
            x.macAddress() == null || x.macAddress().isEmpty() ? p.macAddress() : x.macAddress())).toList(),
        a.description(), "normal", p.hostId().orElse(""), Map.of(),
        // Nimbus's hosts plug ports into Linux bridges, unless the host refused the port
        p.hostId().isEmpty() ? "unbound" : p.status().equals(PortEntity.BINDING_FAILED) ? "binding_failed" : "bridge",
        Map.of(), a.portSecurityEnabled(), a.securityGroups(), a.tags(),
        NetworkJson.time(p.createdAt()), NetworkJson.time(p.updatedAt()), p.revisionNumber(), p.projectId()));
  }

  /** The port's owner, its network's owner and sharing, and its device owner (network:* ones are the network owner's). */
  static Map<String, String> target(Port p, String networkOwner, boolean shared) {
    return Map.of("project_id", p.projectId(), "tenant_id", p.projectId(), "network:tenant_id", networkOwner,
        "shared", Boolean.toString(shared), "device_owner", p.attributes().deviceOwner());
  }
}
