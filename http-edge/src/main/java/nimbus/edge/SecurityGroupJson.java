package nimbus.edge;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import nimbus.network.SecurityGroup;
import nimbus.network.SecurityGroupRule;

/**
 * Security groups and their rules as Neutron (Zed) shows them (security-group, standard attributes;
 * {@code stateful} always true), their attribute maps and the targets their policy rules read.
 */
final class SecurityGroupJson {
  private SecurityGroupJson() {}

  static final NeutronAttributes GROUPS = NeutronAttributes.of("security_group", "security_groups")
      .add("id", "FS", NeutronAttributes.Kind.STRING)
      .add("name", "PUFS", NeutronAttributes.Kind.STRING)
      .add("security_group_rules", "", NeutronAttributes.Kind.OTHER)
      .add("stateful", "PFS", NeutronAttributes.Kind.BOOLEAN)
      .standard()
      .build();

  static final NeutronAttributes RULES = NeutronAttributes.of("security_group_rule", "security_group_rules")
      .add("id", "FS", NeutronAttributes.Kind.STRING)
      .add("security_group_id", "PRFS", NeutronAttributes.Kind.STRING)
      .add("remote_group_id", "PFS", NeutronAttributes.Kind.STRING)
      .add("direction", "PRFS", NeutronAttributes.Kind.STRING)
      .add("protocol", "PFS", NeutronAttributes.Kind.STRING)
      .add("port_range_min", "PFS", NeutronAttributes.Kind.INTEGER)
      .add("port_range_max", "PFS", NeutronAttributes.Kind.INTEGER)
      .add("ethertype", "PFS", NeutronAttributes.Kind.STRING)
      .add("remote_ip_prefix", "PFS", NeutronAttributes.Kind.STRING)
      .add("remote_address_group_id", "PFS", NeutronAttributes.Kind.STRING)
      .add("normalized_cidr", "FS", NeutronAttributes.Kind.STRING)
      .add("tenant_id", "PFS", NeutronAttributes.Kind.STRING)
      .add("project_id", "PFS", NeutronAttributes.Kind.STRING)
      .add("description", "PFS", NeutronAttributes.Kind.STRING)
      .add("created_at", "FS", NeutronAttributes.Kind.STRING)
      .add("updated_at", "FS", NeutronAttributes.Kind.STRING)
      .add("revision_number", "FS", NeutronAttributes.Kind.INTEGER)
      .build();

  record GroupView(String id, String name, @JsonProperty("tenant_id") String tenantId, String description,
      @JsonProperty("security_group_rules") List<RuleView> rules, boolean stateful, List<String> tags,
      @JsonProperty("created_at") String createdAt, @JsonProperty("updated_at") String updatedAt,
      @JsonProperty("revision_number") int revisionNumber, @JsonProperty("project_id") String projectId) {}

  record RuleView(String id, @JsonProperty("tenant_id") String tenantId,
      @JsonProperty("security_group_id") String securityGroupId, String ethertype, String direction, String protocol,
      @JsonProperty("port_range_min") Integer portRangeMin, @JsonProperty("port_range_max") Integer portRangeMax,
      @JsonProperty("remote_ip_prefix") String remoteIpPrefix,
      @JsonProperty("remote_address_group_id") String remoteAddressGroupId,
      @JsonProperty("normalized_cidr") String normalizedCidr, @JsonProperty("remote_group_id") String remoteGroupId,
      String description, @JsonProperty("created_at") String createdAt, @JsonProperty("updated_at") String updatedAt,
      @JsonProperty("revision_number") int revisionNumber, @JsonProperty("project_id") String projectId) {}

  static ObjectNode view(SecurityGroup g) {
    return Json.MAPPER.valueToTree(new GroupView(g.id(), g.name(), g.projectId(), g.description(),
        g.rules().stream().map(SecurityGroupJson::ruleView).toList(), g.stateful(), g.tags(),
        NetworkJson.time(g.createdAt()), NetworkJson.time(g.updatedAt()), g.revisionNumber(), g.projectId()));
  }

  static ObjectNode rule(SecurityGroupRule r) {
    return Json.MAPPER.valueToTree(ruleView(r));
  }

  private static RuleView ruleView(SecurityGroupRule r) {
    return new RuleView(r.id(), r.projectId(), r.securityGroupId(), r.ethertype(), r.direction(),
        r.protocol().orElse(null), r.portRangeMin().orElse(null), r.portRangeMax().orElse(null),
        r.remoteIpPrefix().orElse(null), null, r.remoteIpPrefix().map(SecurityGroupJson::network).orElse(null),
        r.remoteGroupId().orElse(null), r.description(), NetworkJson.time(r.createdAt()),
        NetworkJson.time(r.updatedAt()), r.revisionNumber(), r.projectId());
  }

  /** The prefix's network (its host bits cleared), as Neutron's {@code normalized_cidr}. */
  private static String network(String prefix) {
    int slash = prefix.indexOf('/');
    int length = Integer.parseInt(prefix.substring(slash + 1));
    var address = nimbus.network.IpNet.Address.parse(prefix.substring(0, slash)).orElseThrow();
    java.math.BigInteger mask = java.math.BigInteger.ONE.shiftLeft(address.bits()).subtract(java.math.BigInteger.ONE)
        .xor(java.math.BigInteger.ONE.shiftLeft(address.bits() - length).subtract(java.math.BigInteger.ONE));
    return new nimbus.network.IpNet.Address(address.version(), address.value().and(mask)) + "/" + length;
  }

  static Map<String, String> target(SecurityGroup g) {
    return Map.of("project_id", g.projectId(), "tenant_id", g.projectId());
  }
}
