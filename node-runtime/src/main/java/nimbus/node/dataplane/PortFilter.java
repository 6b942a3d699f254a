package nimbus.node.dataplane;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import nimbus.network.SecurityGroup;
import nimbus.node.agent.CommandRunner;

/**
 * Applies {@link PortFirewall}'s rules on this host, each change as small as what changed: a new
 * ruleset when the ports changed (their addresses, groups, the ports themselves: so a group no
 * longer used leaves no chain); a change of a group's rules, or of the members of a remote group
 * its rules name, is a refill of that group's sets alone (its chains never change); when a set
 * lets less than before (a rule removed, a member gone) under a new generation, so the flows it let
 * in are re-checked and stop, as Neutron clears their conntrack entries; a rule added or a member
 * joining re-checks no flow. Bridges with filtered
 * ports hand their IP traffic to the inet hooks (br_netfilter). The first call after a start, and
 * the first after a failed one, writes the whole ruleset, so what an earlier agent left (chains
 * and sets of groups no longer used too) is replaced. Blocking; one call at a time.
 */
public final class PortFilter {
  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  private final CommandRunner run;
  /** The ports' part of the ruleset last applied (empty: unknown, the next call writes it whole). */
  private Optional<String> shape = Optional.empty();
  private Map<String, List<List<RuleSpace.Range>>> sets = Map.of();
  /** Seconds since the epoch at start: an agent that restarts never reuses an earlier generation. */
  private int generation = (int) (System.currentTimeMillis() / 1000 & 0x3fffffff);

  public PortFilter(CommandRunner run) {
    this.run = run;
  }

  /** Filters {@code ports} with {@code groups}' rules (a group not there allows nothing). */
  public synchronized void apply(List<FilteredPort> ports, Map<String, SecurityGroup> groups) {
    for (String bridge : new TreeSet<>(ports.stream().map(FilteredPort::bridge).toList())) {
      run.run(List.of("ip", "link", "set", "dev", bridge, "type", "bridge", "nf_call_iptables", "1",
          "nf_call_ip6tables", "1"), TIMEOUT);
    }
    String newShape = ports.isEmpty() ? PortFirewall.removal() : PortFirewall.ruleset(ports, 0);
    Map<String, List<List<RuleSpace.Range>>> newSets = PortFirewall.elements(ports, groups);
    Map<String, List<List<RuleSpace.Range>>> changed = new LinkedHashMap<>();
    newSets.forEach((set, elements) -> {
      if (!elements.equals(sets.get(set))) changed.put(set, elements);
    });
    // a set that lets less than before (a rule removed, a member gone): its flows are checked again
    boolean lost = changed.keySet().stream().anyMatch(set -> !RuleSpace.covers(newSets.get(set), sets.getOrDefault(set, List.of())));
    String transaction;
    if (!shape.equals(Optional.of(newShape))) {
      generation++;
      transaction = ports.isEmpty() ? newShape : PortFirewall.ruleset(ports, generation) + PortFirewall.fill(newSets);
    } else if (lost) {
      generation++;
      transaction = PortFirewall.fill(changed) + PortFirewall.regeneration(generation);
    } else {
      transaction = PortFirewall.fill(changed);
    }
    // until it is known to be in force, nothing is: a failed call leaves the next one to write it whole
    shape = Optional.empty();
    if (!transaction.isEmpty()) nft(transaction);
    shape = Optional.of(newShape);
    sets = newSets;
  }

  private void nft(String rules) {
    Path file = null;
    try {
      file = Files.writeString(Files.createTempFile("nimbus-sg", ".rules"), rules);
      run.run(List.of("nft", "-f", file.toString()), TIMEOUT);
    } catch (IOException e) {
      throw new IllegalStateException("cannot write the security group rules: " + e.getMessage(), e);
    } finally {
      if (file != null) file.toFile().delete();
    }
  }
}
