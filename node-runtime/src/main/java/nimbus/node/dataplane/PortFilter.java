package nimbus.node.dataplane;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import nimbus.network.SecurityGroup;
import nimbus.node.agent.CommandRunner;

/**
 * Applies {@link PortFirewall}'s rules on this host, each change as small as what changed: a new
 * ruleset when the ports changed (their addresses, groups, the ports themselves: so a group no
 * longer used leaves no chain); a change of a group's rules replaces that group's chains alone,
 * under a new generation; a member leaving a remote group is a set update under a new generation
 * (so the flows it was let in for are re-checked and stop, as Neutron clears their conntrack
 * entries); a member joining is only a set update, which re-checks no flow. Bridges with filtered
 * ports hand their IP traffic to the inet hooks (br_netfilter). The first call after a start, and
 * the first after a failed one, writes the whole ruleset, so what an earlier agent left (chains
 * and sets of groups no longer used too) is replaced. Blocking; one call at a time.
 */
public final class PortFilter {
  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  private final CommandRunner run;
  /** The ports' part of the ruleset last applied (empty: unknown, the next call writes it whole). */
  private Optional<String> shape = Optional.empty();
  private Map<String, Map<String, List<String>>> chains = Map.of();
  private List<String> remote = List.of();
  private Map<String, Set<String>> memberSets = Map.of();
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
    String newShape = ports.isEmpty() ? PortFirewall.removal() : PortFirewall.ruleset(ports, Map.of(), 0);
    Map<String, Map<String, List<String>>> newChains = new LinkedHashMap<>();
    PortFirewall.usedGroups(ports).forEach(id -> newChains.put(id, PortFirewall.groupChains(id, groups)));
    List<String> newRemote = PortFirewall.remoteGroups(PortFirewall.usedGroups(ports), groups);
    Map<String, Set<String>> newMemberSets = PortFirewall.memberSets(ports, groups);
    Map<String, Set<String>> changedSets = new LinkedHashMap<>();
    newMemberSets.forEach((set, addresses) -> {
      if (!addresses.equals(memberSets.get(set))) changedSets.put(set, addresses);
    });
    boolean left = memberSets.entrySet().stream()
        .anyMatch(set -> newMemberSets.containsKey(set.getKey()) && !newMemberSets.get(set.getKey()).containsAll(set.getValue()));
    List<String> changedGroups = newChains.keySet().stream()
        .filter(id -> !Objects.equals(newChains.get(id), chains.get(id))).toList();
    String transaction;
    if (!shape.equals(Optional.of(newShape))) {
      generation++;
      transaction = ports.isEmpty() ? newShape
          : PortFirewall.ruleset(ports, groups, generation) + PortFirewall.members(newMemberSets);
    } else if (!changedGroups.isEmpty()) {
      generation++;
      transaction = PortFirewall.ruleChange(changedGroups, groups, remote, newRemote, changedSets, generation);
    } else if (left) {
      generation++;
      transaction = PortFirewall.members(changedSets) + PortFirewall.regeneration(generation);
    } else {
      transaction = PortFirewall.members(changedSets);
    }
    // until it is known to be in force, nothing is: a failed call leaves the next one to write it whole
    shape = Optional.empty();
    if (!transaction.isEmpty()) nft(transaction);
    shape = Optional.of(newShape);
    chains = newChains;
    remote = newRemote;
    memberSets = newMemberSets;
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
