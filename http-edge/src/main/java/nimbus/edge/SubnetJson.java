package nimbus.edge;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import nimbus.network.Network;
import nimbus.network.Subnet;

/** A subnet as Neutron (Zed) shows it, its attribute map, and the target its policy rules read. */
final class SubnetJson {
  private SubnetJson() {}

  static final NeutronAttributes ATTRIBUTES = NeutronAttributes.of("subnet", "subnets")
      .add("id", "FS", NeutronAttributes.Kind.STRING)
      .add("name", "PUFS", NeutronAttributes.Kind.STRING)
      .add("ip_version", "PRFS", NeutronAttributes.Kind.INTEGER)
      .add("network_id", "PRFS", NeutronAttributes.Kind.STRING)
      .add("subnetpool_id", "PFS", NeutronAttributes.Kind.STRING)
      .add("prefixlen", "P", NeutronAttributes.Kind.INTEGER)
      .add("use_default_subnetpool", "P", NeutronAttributes.Kind.BOOLEAN)
      .add("cidr", "PFS", NeutronAttributes.Kind.STRING)
      .add("gateway_ip", "PUFS", NeutronAttributes.Kind.STRING)
      .add("allocation_pools", "PU", NeutronAttributes.Kind.OTHER)
      .add("dns_nameservers", "PU", NeutronAttributes.Kind.OTHER)
      .add("host_routes", "PU", NeutronAttributes.Kind.OTHER)
      .add("enable_dhcp", "PUFS", NeutronAttributes.Kind.BOOLEAN)
      .add("ipv6_ra_mode", "PFS", NeutronAttributes.Kind.STRING)
      .add("ipv6_address_mode", "PFS", NeutronAttributes.Kind.STRING)
      .standard()
      .build();

  record Pool(String start, String end) {}

  record Route(String destination, String nexthop) {}

  record View(String id, String name, @JsonProperty("tenant_id") String tenantId,
      @JsonProperty("network_id") String networkId, @JsonProperty("ip_version") int ipVersion,
      @JsonProperty("subnetpool_id") String subnetpoolId, @JsonProperty("enable_dhcp") boolean enableDhcp,
      @JsonProperty("ipv6_ra_mode") String ipv6RaMode, @JsonProperty("ipv6_address_mode") String ipv6AddressMode,
      @JsonProperty("gateway_ip") String gatewayIp, String cidr,
      @JsonProperty("allocation_pools") List<Pool> allocationPools, @JsonProperty("host_routes") List<Route> hostRoutes,
      @JsonProperty("dns_nameservers") List<String> dnsNameservers, String description, List<String> tags,
      @JsonProperty("created_at") String createdAt, @JsonProperty("updated_at") String updatedAt,
      @JsonProperty("revision_number") int revisionNumber, @JsonProperty("project_id") String projectId) {}

  static ObjectNode view(Subnet s) {
    return Json.MAPPER.valueToTree(new View(s.id(), s.name(), s.projectId(), s.networkId(), s.ipVersion(),
        s.subnetpoolId().orElse(null), s.enableDhcp(), s.ipv6RaMode().orElse(null), s.ipv6AddressMode().orElse(null),
        s.gatewayIp().orElse(null), s.cidr(),
        s.allocationPools().stream().map(p -> new Pool(p.start(), p.end())).toList(),
        s.hostRoutes().stream().map(r -> new Route(r.destination(), r.nexthop())).toList(), s.dnsNameservers(),
        s.description(), s.tags(), NetworkJson.time(s.createdAt()), NetworkJson.time(s.updatedAt()),
        s.revisionNumber(), s.projectId()));
  }

  /** The subnet's owner, and its network's owner and sharing (a shared network's subnets are visible). */
  static Map<String, String> target(Subnet s, Network n) {
    return Map.of("project_id", s.projectId(), "tenant_id", s.projectId(), "network:tenant_id", n.projectId(),
        "shared", Boolean.toString(n.attributes().shared()), "router:external",
        Boolean.toString(n.attributes().external()));
  }
}
