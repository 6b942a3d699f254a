package nimbus.node.dataplane;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import nimbus.network.SecurityGroup;
import nimbus.node.agent.CommandRunner;

/**
 * Applies {@link PortFirewall}'s rules on this host: a new ruleset (under a new generation) when
 * the ports or the groups' rules changed, or when a member left a remote group (so the flows it
 * was let in for are re-checked and stop, as Neutron clears their conntrack entries); a member
 * joining is only a set update, which neither rebuilds the rules nor re-checks flows. Bridges with
 * filtered ports hand their IP traffic to the inet hooks (br_netfilter). The first call after a
 * start always writes the whole ruleset, so what an earlier agent left is replaced. Blocking;
 * one call at a time.
 */
public final class PortFilter {
  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  private final CommandRunner run;
  private Optional<String> shape = Optional.empty();
  private Optional<String> members = Optional.empty();
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
    String newShape = ports.isEmpty() ? PortFirewall.removal() : PortFirewall.ruleset(ports, groups, 0);
    Map<String, Set<String>> newMemberSets = PortFirewall.memberSets(ports, groups);
    String newMembers = ports.isEmpty() ? "" : PortFirewall.members(newMemberSets);
    boolean left = memberSets.entrySet().stream()
        .anyMatch(set -> !newMemberSets.getOrDefault(set.getKey(), Set.of()).containsAll(set.getValue()));
    memberSets = newMemberSets;
    if (shape.equals(Optional.of(newShape)) && !left) {
      if (!members.equals(Optional.of(newMembers)) && !newMembers.isEmpty()) nft(newMembers);
    } else {
      generation++;
      nft(ports.isEmpty() ? newShape : PortFirewall.ruleset(ports, groups, generation) + newMembers);
    }
    shape = Optional.of(newShape);
    members = Optional.of(newMembers);
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
