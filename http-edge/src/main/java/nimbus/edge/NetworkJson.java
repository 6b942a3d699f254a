package nimbus.edge;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import nimbus.network.Network;
import nimbus.network.NetworkAttributes;
import nimbus.network.Subnet;

/**
 * A network as Neutron (Zed, ML2) shows it, with the extensions Nimbus advertises: provider
 * (admins only, by policy), external-net, net-mtu, port-security, availability zones,
 * l2_adjacency and the standard attributes. Also the network's attribute map and the target its
 * policy rules read.
 */
final class NetworkJson {
  private NetworkJson() {}

  /** neutron-lib's network map with the advertised extensions (P: post, U: put, R: required, F: filter, S: sort). */
  static final NeutronAttributes ATTRIBUTES = NeutronAttributes.of("network", "networks")
      .add("id", "FS", NeutronAttributes.Kind.STRING)
      .add("name", "PUFS", NeutronAttributes.Kind.STRING)
      .add("subnets", "", NeutronAttributes.Kind.OTHER)
      .add("admin_state_up", "PUFS", NeutronAttributes.Kind.BOOLEAN)
      .add("status", "FS", NeutronAttributes.Kind.STRING)
      .standard()
      .add("shared", "PUF", NeutronAttributes.Kind.BOOLEAN)
      .add("router:external", "PUF", NeutronAttributes.Kind.BOOLEAN)
      .add("port_security_enabled", "PU", NeutronAttributes.Kind.BOOLEAN)
      .add("provider:network_type", "PUF", NeutronAttributes.Kind.STRING)
      .add("provider:physical_network", "PUF", NeutronAttributes.Kind.STRING)
      .add("provider:segmentation_id", "PUF", NeutronAttributes.Kind.INTEGER)
      .add("mtu", "FS", NeutronAttributes.Kind.INTEGER)
      .add("availability_zone_hints", "PS", NeutronAttributes.Kind.OTHER)
      .add("availability_zones", "", NeutronAttributes.Kind.OTHER)
      .add("ipv4_address_scope", "", NeutronAttributes.Kind.OTHER)
      .add("ipv6_address_scope", "", NeutronAttributes.Kind.OTHER)
      .add("l2_adjacency", "", NeutronAttributes.Kind.BOOLEAN)
      .build();

  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'")
      .withZone(ZoneOffset.UTC);

  /** Neutron's timestamps: seconds, UTC, a Z. */
  static String time(Instant at) {
    return TIME.format(at);
  }

  record View(String id, String name, @JsonProperty("tenant_id") String tenantId,
      @JsonProperty("admin_state_up") boolean adminStateUp, int mtu, String status, List<String> subnets,
      boolean shared, @JsonProperty("availability_zone_hints") List<String> availabilityZoneHints,
      @JsonProperty("availability_zones") List<String> availabilityZones,
      @JsonProperty("ipv4_address_scope") String ipv4AddressScope,
      @JsonProperty("ipv6_address_scope") String ipv6AddressScope,
      @JsonProperty("router:external") boolean external,
      @JsonProperty("port_security_enabled") boolean portSecurityEnabled, String description, List<String> tags,
      @JsonProperty("created_at") String createdAt, @JsonProperty("updated_at") String updatedAt,
      @JsonProperty("revision_number") int revisionNumber, @JsonProperty("project_id") String projectId,
      @JsonProperty("provider:network_type") String networkType,
      @JsonProperty("provider:physical_network") String physicalNetwork,
      @JsonProperty("provider:segmentation_id") Integer segmentationId,
      @JsonProperty("l2_adjacency") boolean l2Adjacency) {}

  /** Every attribute; the routes leave out what the caller's policy hides. */
  static ObjectNode view(Network n) {
    NetworkAttributes a = n.attributes();
    return Json.MAPPER.valueToTree(new View(n.id(), a.name(), n.projectId(), a.adminStateUp(), n.mtu(), n.status(),
        n.subnets().stream().map(Subnet::id).toList(), a.shared(), a.availabilityZoneHints(),
        // no DHCP agent hosts a network yet: no zone has it
        List.of(), null, null, a.external(), a.portSecurityEnabled(), a.description(), a.tags(),
        time(n.createdAt()), time(n.updatedAt()), n.revisionNumber(), n.projectId(), n.segment().type().apiName(),
        n.segment().physicalNetwork().orElse(null),
        n.segment().type().segmented() ? n.segment().segmentationId().orElse(null) : null, true));
  }

  /** What the network's policy rules read: its owner and whether it is shared or external. */
  static Map<String, String> target(Network n) {
    return Map.of("project_id", n.projectId(), "tenant_id", n.projectId(), "network:tenant_id", n.projectId(),
        "shared", Boolean.toString(n.attributes().shared()), "router:external",
        Boolean.toString(n.attributes().external()));
  }
}
