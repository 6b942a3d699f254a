package nimbus.edge;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import nimbus.network.SubnetPool;

/** A subnet pool as Neutron (Zed) shows it, its attribute map, and the target its policy rules read. */
final class SubnetPoolJson {
  private SubnetPoolJson() {}

  static final NeutronAttributes ATTRIBUTES = NeutronAttributes.of("subnetpool", "subnetpools")
      .add("id", "FS", NeutronAttributes.Kind.STRING)
      .add("name", "PUFS", NeutronAttributes.Kind.STRING)
      .add("prefixes", "PRU", NeutronAttributes.Kind.OTHER)
      .add("default_quota", "PUFS", NeutronAttributes.Kind.INTEGER)
      .add("ip_version", "FS", NeutronAttributes.Kind.INTEGER)
      .add("default_prefixlen", "PUFS", NeutronAttributes.Kind.INTEGER)
      .add("min_prefixlen", "PUFS", NeutronAttributes.Kind.INTEGER)
      .add("max_prefixlen", "PUFS", NeutronAttributes.Kind.INTEGER)
      .add("is_default", "PUFS", NeutronAttributes.Kind.BOOLEAN)
      .add("shared", "PFS", NeutronAttributes.Kind.BOOLEAN)
      .add("address_scope_id", "PUFS", NeutronAttributes.Kind.STRING)
      .standard()
      .build();

  record View(String id, String name, @JsonProperty("tenant_id") String tenantId, List<String> prefixes,
      @JsonProperty("default_quota") Integer defaultQuota, @JsonProperty("ip_version") int ipVersion,
      @JsonProperty("default_prefixlen") int defaultPrefixlen, @JsonProperty("min_prefixlen") int minPrefixlen,
      @JsonProperty("max_prefixlen") int maxPrefixlen, @JsonProperty("is_default") boolean isDefault,
      boolean shared, @JsonProperty("address_scope_id") String addressScopeId, String description, List<String> tags,
      @JsonProperty("created_at") String createdAt, @JsonProperty("updated_at") String updatedAt,
      @JsonProperty("revision_number") int revisionNumber, @JsonProperty("project_id") String projectId) {}

  static ObjectNode view(SubnetPool p) {
    return Json.MAPPER.valueToTree(new View(p.id(), p.name(), p.projectId(), p.prefixes(), p.defaultQuota().orElse(null),
        p.ipVersion(), p.defaultPrefixlen(), p.minPrefixlen(), p.maxPrefixlen(), p.isDefault(), p.shared(), null,
        p.description(), p.tags(), NetworkJson.time(p.createdAt()), NetworkJson.time(p.updatedAt()),
        p.revisionNumber(), p.projectId()));
  }

  static Map<String, String> target(SubnetPool p) {
    return Map.of("project_id", p.projectId(), "tenant_id", p.projectId(), "shared", Boolean.toString(p.shared()));
  }
}
