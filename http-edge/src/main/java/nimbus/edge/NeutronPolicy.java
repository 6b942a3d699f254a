package nimbus.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Neutron's way of asking the {@link Policy}: an action ({@code create_port}) and, for every
 * attribute the request sets, that attribute's rule ({@code create_port:mac_address}) and the rules
 * of the keys of its entries ({@code create_port:fixed_ips:ip_address}), where such rules exist.
 * A refusal is Neutron's 403 naming the whole check as oslo.policy prints it, or, for a change to
 * something the caller may not even see, the 404 that hides it. What a caller may not see of a
 * resource ({@code provider:*} of a network, {@code binding:host_id} of a port) is left out of
 * its view.
 */
final class NeutronPolicy {
  private final Policy policy;

  NeutronPolicy(Policy policy) {
    this.policy = policy;
  }

  /** Refuses a create unless the caller passes {@code action} and the rules of the {@code set} attributes. */
  void enforceCreate(RequestContext ctx, String action, Map<String, String> target, JsonNode set, List<String> order) {
    Check check = check(action, set, order);
    if (!passes(ctx, check, target)) throw denied(check.text());
  }

  /**
   * Refuses a change ({@code update_port}, {@code delete_port}); one the caller may see the
   * resource for is a 403, otherwise the resource is as good as absent (404), as in Neutron.
   */
  void enforceChange(RequestContext ctx, String action, String getAction, Map<String, String> target, JsonNode set,
      List<String> order, String notFound) {
    Check check = check(action, set, order);
    if (passes(ctx, check, target)) return;
    if (!policy.allows(ctx, getAction, target)) throw new ApiError(404, notFound);
    throw denied(check.text());
  }

  boolean allows(RequestContext ctx, String rule, Map<String, String> target) {
    return policy.allows(ctx, rule, target);
  }

  /** Refuses unless the caller passes {@code rule} alone. */
  void enforce(RequestContext ctx, String rule, Map<String, String> target) {
    if (!policy.allows(ctx, rule, target)) throw denied("rule:" + rule);
  }

  /** Removes from {@code view} the attributes whose {@code get_RESOURCE:ATTR} rule the caller fails. */
  ObjectNode visible(RequestContext ctx, String resource, ObjectNode view, Map<String, String> target) {
    List<String> hidden = new ArrayList<>();
    for (Iterator<String> names = view.fieldNames(); names.hasNext(); ) {
      String rule = "get_" + resource + ":" + names.next();
      if (policy.knows(rule) && !policy.allows(ctx, rule, target)) hidden.add(rule.substring(rule.indexOf(':') + 1));
    }
    view.remove(hidden);
    return view;
  }

  static ApiError denied(String check) {
    return NeutronErrors.error(403, "PolicyNotAuthorized", check + " is disallowed by policy");
  }

  /** The rules one request must pass, and how oslo.policy prints them: nested {@code (a and b)}. */
  private record Check(List<String> rules, String text) {}

  private boolean passes(RequestContext ctx, Check check, Map<String, String> target) {
    return check.rules().stream().allMatch(rule -> policy.allows(ctx, rule, target));
  }

  private Check check(String action, JsonNode set, List<String> order) {
    List<String> rules = new ArrayList<>(List.of(action));
    String text = "rule:" + action;
    for (String attr : order) {
      if (!set.has(attr)) continue;
      String rule = action + ":" + attr;
      if (!policy.knows(rule)) continue;
      rules.add(rule);
      String attrText = "rule:" + rule;
      Set<String> keys = new LinkedHashSet<>();
      // entries of a list of objects (fixed_ips, allowed_address_pairs): each key's rule too
      if (set.get(attr).isArray()) set.get(attr).forEach(e -> e.fieldNames().forEachRemaining(keys::add));
      List<String> sub = new ArrayList<>();
      for (String key : keys) {
        if (policy.knows(rule + ":" + key)) sub.add(rule + ":" + key);
      }
      if (!sub.isEmpty()) {
        rules.addAll(sub);
        attrText = "(" + attrText + " and (" + String.join(" and ", sub.stream().map(x -> "rule:" + x).toList()) + "))";
      }
      text = "(" + text + " and " + attrText + ")";
    }
    return new Check(List.copyOf(rules), text);
  }
}
