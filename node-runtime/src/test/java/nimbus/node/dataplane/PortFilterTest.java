package nimbus.node.dataplane;

import static nimbus.node.dataplane.PortFirewallTest.DB;
import static nimbus.node.dataplane.PortFirewallTest.DB_GROUP;
import static nimbus.node.dataplane.PortFirewallTest.DB_PORT;
import static nimbus.node.dataplane.PortFirewallTest.WEB;
import static nimbus.node.dataplane.PortFirewallTest.WEB_GROUP;
import static nimbus.node.dataplane.PortFirewallTest.WEB_PORT;
import static nimbus.node.dataplane.PortFirewallTest.group;
import static nimbus.node.dataplane.PortFirewallTest.rule;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import nimbus.network.SecurityGroup;
import nimbus.node.agent.CommandRunner;
import org.junit.jupiter.api.Test;

/**
 * Which transaction {@link PortFilter} writes for each kind of change, with a scripted runner
 * (the kernel's side is {@link PortFilterNamespaceTest}).
 */
class PortFilterTest {
  private final List<String> written = new ArrayList<>();
  private boolean failNext;
  private final CommandRunner run = (command, timeout) -> {
    if (command.get(0).equals("nft")) {
      try {
        written.add(Files.readString(Path.of(command.get(2))));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      if (failNext) {
        failNext = false;
        throw new IllegalStateException("nft: refused");
      }
    }
    return "";
  };
  private final PortFilter filter = new PortFilter(run);
  private final List<FilteredPort> ports = List.of(WEB_PORT, DB_PORT);

  private String last() {
    return written.get(written.size() - 1);
  }

  @Test
  void aRuleOrMemberChangeRefillsTheSetsThatChangedAndLettingLessIsANewGeneration() {
    filter.apply(ports, Map.of(WEB, WEB_GROUP, DB, DB_GROUP));
    assertTrue(last().contains("delete table inet nimbus-sg"), "the first call writes the whole ruleset: " + last());

    SecurityGroup db = group(DB, List.of(rule(DB, "ingress", "IPv4", "tcp", 5432, 5432, null, WEB)), DB_GROUP.members());
    filter.apply(ports, Map.of(WEB, WEB_GROUP, DB, db));
    assertTrue(last().startsWith("flush set inet nimbus-sg in4p-" + DB + "\nflush set inet nimbus-sg in4pp-" + DB
        + "\nadd element inet nimbus-sg in4pp-" + DB + " { 10.0.0.5 . 6 . 5432 }\nflush set inet nimbus-sg in4i-" + DB
        + "\nflush set inet nimbus-sg in6p-" + DB + "\nflush chain inet nimbus-sg allow\n"),
        "rules removed: the db group's sets that changed and a new generation: " + last());
    assertFalse(last().contains("table") || last().contains(WEB) || last().contains("ntp-"), last());

    SecurityGroup more = group(DB, List.of(db.rules().get(0), rule(DB, "ingress", "IPv4", "tcp", 5433, 5433, null, WEB)),
        DB_GROUP.members());
    filter.apply(ports, Map.of(WEB, WEB_GROUP, DB, more));
    assertEquals("flush set inet nimbus-sg in4pp-" + DB + "\nadd element inet nimbus-sg in4pp-" + DB
        + " { 10.0.0.5 . 6 . 5432-5433 }\n", last(), "a rule added: its set, no new generation");

    Map<String, List<String>> members = new java.util.HashMap<>(DB_GROUP.members());
    members.put("db-3", List.of("10.0.0.7"));
    SecurityGroup joined = group(DB, more.rules(), members);
    filter.apply(ports, Map.of(WEB, WEB_GROUP, DB, joined));
    assertEquals("flush set inet nimbus-sg in4p-" + WEB + "\nadd element inet nimbus-sg in4p-" + WEB
        + " { 10.0.0.6/31 . 0-255, 10.0.1.0/28 . 0-255 }\n", last(),
        "a member joining: the set of the group naming its group, nothing else");

    int count = written.size();
    filter.apply(ports, Map.of(WEB, WEB_GROUP, DB, joined));
    assertEquals(count, written.size(), "no change, no transaction");

    filter.apply(ports, Map.of(WEB, WEB_GROUP, DB, more));
    assertTrue(last().startsWith("flush set inet nimbus-sg in4p-" + WEB + "\nadd element inet nimbus-sg in4p-" + WEB
        + " { 10.0.0.6 . 0-255, 10.0.1.0/28 . 0-255 }\nflush chain inet nimbus-sg allow\n"),
        "a member leaving: the set and a new generation: " + last());
    assertFalse(last().contains("chain inet nimbus-sg ingress-"), last());
  }

  @Test
  void aPortsChangeOrAFailedTransactionMakesTheNextOneTheWholeRuleset() {
    Map<String, SecurityGroup> groups = Map.of(WEB, WEB_GROUP, DB, DB_GROUP);
    filter.apply(ports, groups);
    filter.apply(List.of(WEB_PORT), groups);
    assertTrue(last().contains("delete table inet nimbus-sg") && !last().contains(DB_PORT.tap())
        && !last().contains("chain ingress-" + DB), "a port gone: a new ruleset without it or its group: " + last());

    failNext = true;
    SecurityGroup web = group(WEB, List.of(), WEB_GROUP.members());
    assertThrows(IllegalStateException.class, () -> filter.apply(List.of(WEB_PORT), Map.of(WEB, web)));
    filter.apply(List.of(WEB_PORT), Map.of(WEB, web));
    assertTrue(last().contains("delete table inet nimbus-sg"), "after a failure the whole ruleset again: " + last());
  }
}
