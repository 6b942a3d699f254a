package nimbus.network;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import nimbus.cluster.CborSerializable;

/**
 * A security group as its entity keeps it and publishes it to hosts ({@link SecurityGroupChanged}):
 * what the API shows (name, description, rules) and its members, by port id, with the addresses
 * each member sends from (its fixed IPs and allowed address pairs, addresses or prefixes); rules of
 * other groups naming this one as {@code remote_group_id} match those addresses. {@code deleted}:
 * the group is gone (published once more so hosts drop it).
 */
public record SecurityGroup(String id, String projectId, String name, String description, boolean stateful,
    List<SecurityGroupRule> rules, Map<String, List<String>> members, List<String> tags, Instant createdAt,
    Instant updatedAt, int revisionNumber, boolean deleted) implements CborSerializable {

  public SecurityGroup {
    rules = rules == null ? List.of() : List.copyOf(rules);
    members = members == null ? Map.of() : Map.copyOf(members);
    tags = tags == null ? List.of() : List.copyOf(tags);
  }
}
