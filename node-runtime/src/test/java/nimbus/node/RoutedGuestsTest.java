package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Routers, SNAT, floating IPs and security groups with real TCG guests on three hosts, end to end
 * through the Neutron and Nova APIs only: what issue 11 says a user must see.
 *
 * <p>Three subnets (net1, net2, net3) and an external flat network ({@code router:external}, on
 * the hosts' eth1 through a provider switch where a namespace stands for the outside world, at
 * the external subnet's gateway address). A router joins net1 and net2 and has its gateway on the
 * external network; the scheduler places it on a host, called R here (host1: no host has a router
 * yet, ties go by name), which runs no guest, so that R can reboot without taking guests with it;
 * the guests run on O and G. Guest A (net1, on O, the default group) listens on TCP 8080 and 8081;
 * B (net2, on G, default group) and A ping each other through the router; A reaches the outside
 * through SNAT (the outside has no route to the tenant subnets, so its replies reach A only if A's
 * packets left from the router's address); B reads its host name and key from the metadata
 * service, its network routed as it is. D (net1, on G, groups "others" and "clients") is of
 * another group: it cannot ping A until an ICMP rule lets it, then again not once the rule is
 * removed; it forges its source IP and its MAC in every round and is never let through so. A
 * floating IP of A (on O, not the router's host) is reached from the outside while a rule allows
 * ICMP, and no more once disassociated. Before that, while the outside pings A's floating address,
 * R's agent is killed and started again, then R itself is powered off and boots
 * ({@link #agentOfRouterHostKilledAndRestarted}, {@link #routerHostRebooted}). A TCP rule for port
 * 8080 lets D to 8080 only; a rule for 8081 from the group "clients" lets D in while D is a
 * member, and C, a guest that comes later on net3 in "clients", once net3 is attached to the
 * router (before that, net3 is reached by nobody); D leaving the group and C's server and port
 * going remove them from what A's host allows. Deleting everything leaves every host as it was.
 *
 * <p>The guests say what they see on their consoles (scripts/build-test-guest.sh); how fast a
 * rule takes effect is measured with a ping from the outside namespace to A's floating address,
 * which runs every 0.1 s and timestamps each reply.
 */
class RoutedGuestsTest {
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final Duration BOOT = Duration.ofSeconds(180);
  private static final String V2 = GuestCloud.V2;
  private static final String SWITCH = "nrg-sw";
  private static final String OUTSIDE_NETNS = "nrg-outside";
  private static final String OUTSIDE = "172.31.250.1";
  private static final String A = "10.81.1.10";
  private static final String D = "10.81.1.20";
  private static final String FORGED = "10.81.1.99";
  private static final String B = "10.81.2.10";
  private static final String C = "10.81.3.30";
  private static final String WEB = A + ":8080";
  private static final String WEB_CLIENTS = A + ":8081";
  private static GuestCloud cloud;
  private static Api api;

  @BeforeAll
  static void startTheCloudAndTheOutside() throws Exception {
    removeOutside();
    cloud = GuestCloud.start("nimbus-routed-guests", 3, Optional.of(SWITCH),
        Map.of("nimbus.network.flat-networks", List.of("physnet1")));
    api = cloud.api;
    GuestCloud.run("ip", "netns", "add", OUTSIDE_NETNS);
    GuestCloud.run("ip", "link", "add", "nrg-out", "type", "veth", "peer", "name", "eth0", "netns", OUTSIDE_NETNS);
    GuestCloud.run("ip", "link", "set", "dev", "nrg-out", "master", SWITCH, "up");
    GuestCloud.run("ip", "-n", OUTSIDE_NETNS, "addr", "add", OUTSIDE + "/24", "dev", "eth0");
    GuestCloud.run("ip", "-n", OUTSIDE_NETNS, "link", "set", "dev", "eth0", "up");
    GuestCloud.run("ip", "-n", OUTSIDE_NETNS, "link", "set", "dev", "lo", "up");
  }

  @AfterAll
  static void stopEverything() throws Exception {
    try {
      removeOutside();
    } finally {
      if (cloud != null) cloud.close();
    }
  }

  private static void removeOutside() throws Exception {
    if (Files.exists(Path.of("/run/netns", OUTSIDE_NETNS))) GuestCloud.run("ip", "netns", "delete", OUTSIDE_NETNS);
  }

  @Test
  void routersFloatingIpsAndSecurityGroupsForRealGuests() throws Exception {
    Map<String, List<String>> before = new HashMap<>();
    Map<String, Set<String>> namespacesBefore = new HashMap<>();
    for (String host : cloud.hosts.names()) {
      before.put(host, NimbusTraces.of(cloud.hosts, host));
      namespacesBefore.put(host, namespaces(host));
    }

    String publicNet = cloud.create("networks", "network", "{\"network\": {\"name\": \"public\", \"router:external\": true,"
        + " \"provider:network_type\": \"flat\", \"provider:physical_network\": \"physnet1\"}}");
    cloud.create("subnets", "subnet", "{\"subnet\": {\"network_id\": \"" + publicNet + "\", \"ip_version\": 4,"
        + " \"cidr\": \"172.31.250.0/24\", \"gateway_ip\": \"" + OUTSIDE + "\", \"enable_dhcp\": false,"
        + " \"allocation_pools\": [{\"start\": \"172.31.250.10\", \"end\": \"172.31.250.99\"}]}}");
    String net1 = cloud.create("networks", "network", "{\"network\": {\"name\": \"net1\"}}");
    String subnet1 = subnet(net1, "10.81.1");
    String net2 = cloud.create("networks", "network", "{\"network\": {\"name\": \"net2\"}}");
    String subnet2 = subnet(net2, "10.81.2");
    String net3 = cloud.create("networks", "network", "{\"network\": {\"name\": \"net3\"}}");
    String subnet3 = subnet(net3, "10.81.3");

    // the router, with its gateway on the external network: where it runs decides where the guests go
    String router = cloud.create("routers", "router", "{\"router\": {\"name\": \"r1\", \"external_gateway_info\": "
        + "{\"network_id\": \"" + publicNet + "\"}}}");
    for (String subnet : List.of(subnet1, subnet2)) {
      cloud.update("/routers/" + router + "/add_router_interface", "{\"subnet_id\": \"" + subnet + "\"}");
    }
    String routerHost = routerHost(namespacesBefore);
    List<String> guestHosts = cloud.hosts.names().stream().filter(h -> !h.equals(routerHost)).toList();
    String otherHost = guestHosts.get(0); // A's
    String guestHost = guestHosts.get(1); // B's, C's and D's

    // security groups: A and B in the project's default group, D in two others
    String defaultGroup = Eventually.await(WAIT, () -> { // made on the first list, listed once the read side has it
      JsonNode found = api.get(V2 + "/security-groups?name=default").body().path("security_groups");
      return found.size() == 1 ? found.get(0).path("id").asText() : null;
    });
    String others = cloud.create("security-groups", "security_group", "{\"security_group\": {\"name\": \"others\"}}");
    String clients = cloud.create("security-groups", "security_group", "{\"security_group\": {\"name\": \"clients\"}}");
    rule(clients, "\"protocol\": \"icmp\""); // so that A can ping C, a client
    String portA = port(net1, subnet1, A, Optional.empty());
    assertEquals(defaultGroup, api.get(V2 + "/ports/" + portA).body().path("port").path("security_groups").path(0).asText(),
        "a port made with no groups is in its project's default group");
    String portB = port(net2, subnet2, B, Optional.empty());
    String portD = port(net1, subnet1, D, Optional.of(List.of(others, clients)));

    cloud.commandLine("console=ttyS0 nimbus.listen=8080,8081 nimbus.ping=" + B + "," + C + "," + OUTSIDE
        + " nimbus.pingwait=600 nimbus.pingloop=1");
    String a = cloud.server("a", otherHost, onPort(portA));
    String keyB = cloud.keypair("key-b", 'b');
    cloud.commandLine("console=ttyS0 nimbus.metadata=1 nimbus.ping=" + A + " nimbus.pingwait=600 nimbus.pingloop=1");
    String b = cloud.server("b", guestHost, onPort(portB), Optional.of("key-b"));
    cloud.commandLine("console=ttyS0 nimbus.ping=" + A + " nimbus.spoof=" + FORGED + " nimbus.pingloop=1 nimbus.tcp="
        + WEB + "," + WEB_CLIENTS);
    String d = cloud.server("d", guestHost, onPort(portD));
    Map<String, String> hostOf = Map.of(a, otherHost, b, guestHost, d, guestHost);
    Map<String, String> gatewayOf = Map.of(a, "10.81.1.1", b, "10.81.2.1", d, "10.81.1.1");
    Map<String, String> addressOf = Map.of(a, A, b, B, d, D);
    for (String id : List.of(a, b, d)) {
      assertEquals(hostOf.get(id), api.awaitStatus(id, "ACTIVE", WAIT).path("OS-EXT-SRV-ATTR:host").asText());
    }
    for (String id : List.of(a, b, d)) {
      String console = cloud.awaitConsole(id, BOOT, c -> c.contains("GUEST-READY"));
      assertTrue(console.contains("GUEST-IP " + addressOf.get(id) + "/24"), "the guest has its port's address: " + console);
      assertTrue(console.contains("GUEST-GATEWAY " + gatewayOf.get(id) + "\n"),
          "its default route is its subnet's gateway, the router's (a test guest older than scripts/build-test-guest.sh"
              + " prints none): " + console);
    }

    // metadata on a network with a router: B's DHCP lease routes 169.254.169.254 on-link, and its
    // own host answers there (as Neutron's force_metadata does), the router has no part in it
    String meta = cloud.awaitConsole(b, BOOT, c -> c.contains("META-KEY") || c.contains("META-FAIL"));
    assertTrue(meta.contains("META-HOSTNAME b\n") && meta.contains("META-KEY " + keyB + "\n"),
        "B reads its own host name and key from the metadata service: " + meta);

    // routing across hosts and subnets, and SNAT to the outside
    cloud.awaitConsole(a, BOOT, c -> c.contains("PING-OK " + B));
    cloud.awaitConsole(b, BOOT, c -> c.contains("PING-OK " + A));
    cloud.awaitConsole(a, WAIT, c -> c.contains("PING-OK " + OUTSIDE));
    // D, of other groups, reaches A neither by ping nor by TCP
    String refused = cloud.awaitConsole(d, WAIT, c -> GuestCloud.count(c, "PING-LOST " + A) >= 3
        && GuestCloud.count(c, "TCP-FAIL " + WEB) >= 2 && GuestCloud.count(c, "TCP-FAIL " + WEB_CLIENTS) >= 2);
    assertFalse(refused.contains("PING-OK " + A) || refused.contains("TCP-OK") || refused.contains("SPOOF-IP-OK")
        || refused.contains("SPOOF-MAC-OK"), "the default group lets no guest of another group in: " + refused);

    // A's floating IP, on another host than the router's, from the outside
    assertNotEquals(routerHost, hostOf.get(a));
    JsonNode fip = cloud.createdBody("floatingips", "floatingip", "{\"floatingip\": {\"floating_network_id\": \""
        + publicNet + "\", \"port_id\": \"" + portA + "\"}}");
    String fipId = fip.path("id").asText();
    String floating = fip.path("floating_ip_address").asText();
    assertEquals(A, fip.path("fixed_ip_address").asText(), fip.toString());
    Eventually.until(WAIT, () -> api.get(V2 + "/floatingips/" + fipId).body().path("floatingip").path("status").asText()
        .equals("ACTIVE"));
    try (OutsidePing outside = OutsidePing.start(floating)) {
      outside.awaitSilence(Duration.ofSeconds(2), "the default group lets nothing from outside in");
      assertEquals(0, outside.replies().size(), "the default group lets nothing from outside in");

      // an ICMP rule lets the outside and D in, within a second
      int dBefore = cloud.console(d).length();
      long added = System.currentTimeMillis();
      String icmp = rule(defaultGroup, "\"protocol\": \"icmp\"");
      double firstReply = outside.awaitReplyAfter(added, WAIT);
      System.out.printf("ICMP rule created -> first reply from the outside through A's floating IP: %.3f s%n",
          firstReply - added / 1000.0);
      String dConsole = cloud.awaitConsole(d, WAIT, c -> c.substring(dBefore).contains("PING-OK " + A));
      System.out.printf("ICMP rule created -> D's console shows PING-OK (its loop tries every ~1-6 s): %.1f s%n",
          (System.currentTimeMillis() - added) / 1000.0);
      assertTrue(firstReply - added / 1000.0 < 1.0, "the rule is in force on A's host within one second");

      // D forges its source address and its MAC in every round: never let through
      int sinceRule = dConsole.indexOf("PING-OK " + A, dBefore);
      String spoofing = cloud.awaitConsole(d, WAIT, c -> GuestCloud.count(c.substring(sinceRule), "SPOOF-IP-LOST " + A) >= 3
          && GuestCloud.count(c.substring(sinceRule), "SPOOF-MAC-LOST " + A) >= 3).substring(sinceRule);
      assertTrue(GuestCloud.count(spoofing, "PING-OK " + A) >= 3, "D reaches A from its own addresses: " + spoofing);
      assertFalse(spoofing.contains("SPOOF-IP-OK") || spoofing.contains("SPOOF-MAC-OK"),
          "but not from a forged IP or MAC: " + spoofing);

      // the rule removed: the running ping (an established flow) and D are blocked again
      int dBeforeRemoval = cloud.console(d).length();
      long removed = System.currentTimeMillis();
      assertEquals(204, api.delete(V2 + "/security-group-rules/" + icmp).status());
      outside.awaitSilence(Duration.ofSeconds(3), "the ICMP rule removed stops the flow it let in");
      double last = outside.replies().get(outside.replies().size() - 1);
      System.out.printf("ICMP rule removed -> last reply to the running ping: %.3f s%n", last - removed / 1000.0);
      assertTrue(last - removed / 1000.0 < 1.0, "the established flow is cut within one second of the rule's removal");
      String blocked = cloud.awaitConsole(d, WAIT, c -> c.substring(dBeforeRemoval).lines()
          .filter(l -> l.startsWith("PING-")).skip(1).count() >= 3).substring(dBeforeRemoval);
      assertTrue(blocked.lines().filter(l -> l.startsWith("PING-")).skip(1).allMatch(l -> l.equals("PING-LOST " + A)),
          "D is blocked again: " + blocked);

      // again allowed: R's agent killed and started again, then R rebooted, while the outside pings
      long again = System.currentTimeMillis();
      rule(defaultGroup, "\"protocol\": \"icmp\"");
      outside.awaitReplyAfter(again, WAIT);
      agentOfRouterHostKilledAndRestarted(routerHost, outside, a, b, d);
      routerHostRebooted(routerHost, outside, a, b, d);

      // the floating IP disassociated (by R's agent, the one that booted): the outside no longer reaches A
      long disassociated = System.currentTimeMillis();
      cloud.update("/floatingips/" + fipId, "{\"floatingip\": {\"port_id\": null}}");
      outside.awaitSilence(Duration.ofSeconds(3), "a floating IP disassociated leads nowhere, a running flow neither");
      double lastMapped = outside.replies().get(outside.replies().size() - 1);
      System.out.printf("floating IP disassociated -> last reply: %.3f s%n", lastMapped - disassociated / 1000.0);
      assertTrue(lastMapped - disassociated / 1000.0 < 5.0, "the floating address leads nowhere once disassociated");
    }

    // a TCP rule for 8080 lets D in to 8080 only
    int beforeWeb = cloud.console(d).length();
    rule(defaultGroup, "\"protocol\": \"tcp\", \"port_range_min\": 8080, \"port_range_max\": 8080");
    String web = cloud.awaitConsole(d, WAIT, c -> GuestCloud.count(c.substring(beforeWeb), "TCP-OK " + WEB) >= 2)
        .substring(beforeWeb);
    assertTrue(web.contains("TCP-FAIL " + WEB_CLIENTS) && !web.contains("TCP-OK " + WEB_CLIENTS),
        "the rule lets TCP to its port only: " + web);

    // a rule for 8081 from the group "clients" lets its member D in
    int beforeClients = cloud.console(d).length();
    rule(defaultGroup, "\"protocol\": \"tcp\", \"port_range_min\": 8081, \"port_range_max\": 8081, \"remote_group_id\": \""
        + clients + "\"");
    cloud.awaitConsole(d, WAIT, c -> c.substring(beforeClients).contains("TCP-OK " + WEB_CLIENTS));

    // C comes, in "clients", on net3, which no router joins: nobody reaches it, it reaches nobody
    String portC = port(net3, subnet3, C, Optional.of(List.of(clients)));
    cloud.commandLine("console=ttyS0 nimbus.ping=" + A + " nimbus.pingwait=600 nimbus.pingloop=1 nimbus.tcp=" + WEB_CLIENTS);
    String c = cloud.server("c", guestHost, onPort(portC));
    api.awaitStatus(c, "ACTIVE", WAIT);
    String isolated = cloud.awaitConsole(c, BOOT, out -> GuestCloud.count(out, "TCP-FAIL " + WEB_CLIENTS) >= 3);
    assertTrue(isolated.contains("GUEST-IP " + C + "/24"), isolated);
    assertFalse(isolated.contains("PING-OK") || isolated.contains("TCP-OK"), "a subnet the router does not join reaches"
        + " nothing through it: " + isolated);
    assertFalse(cloud.console(a).contains("PING-OK " + C), "and is reached by nothing");
    assertTrue(GuestCloud.run("ip", "netns", "exec", otherHost, "nft", "list", "ruleset").contains(C),
        "A's host allows C, a member of clients, in already");
    // net3 joined to the router: C reaches A (ping, and 8081 as a client), A reaches C
    cloud.update("/routers/" + router + "/add_router_interface", "{\"subnet_id\": \"" + subnet3 + "\"}");
    cloud.awaitConsole(c, WAIT, out -> out.contains("PING-OK " + A) && out.contains("TCP-OK " + WEB_CLIENTS));
    cloud.awaitConsole(a, WAIT, out -> out.contains("PING-OK " + C));

    // D leaves "clients": 8081 is closed to it, 8080 not; C, still a member, gets in on
    int beforeLeaving = cloud.console(d).length();
    int cBeforeLeaving = cloud.console(c).length();
    cloud.update("/ports/" + portD, "{\"port\": {\"security_groups\": [\"" + others + "\"]}}");
    cloud.awaitConsole(d, WAIT, out -> {
      List<String> lines = out.substring(beforeLeaving).lines().toList();
      int lastOk = lines.lastIndexOf("TCP-OK " + WEB_CLIENTS);
      List<String> since = lines.subList(lastOk + 1, lines.size());
      return since.stream().filter(l -> l.equals("TCP-FAIL " + WEB_CLIENTS)).count() >= 3 && since.contains("TCP-OK " + WEB);
    });
    cloud.awaitConsole(c, WAIT, out -> GuestCloud.count(out.substring(cBeforeLeaving), "TCP-OK " + WEB_CLIENTS) >= 3);

    // C goes (its server and its port): A's host no longer knows its address
    assertEquals(204, api.delete("/compute/v2.1/servers/" + c).status());
    Eventually.until(WAIT, () -> api.get("/compute/v2.1/servers/" + c).status() == 404);
    assertEquals(204, api.delete(V2 + "/ports/" + portC).status());
    Eventually.until(WAIT, () -> !GuestCloud.run("ip", "netns", "exec", otherHost, "nft", "list", "ruleset").contains(C));

    // everything deleted: both hosts as before
    for (String id : List.of(a, b, d)) assertEquals(204, api.delete("/compute/v2.1/servers/" + id).status());
    for (String id : List.of(a, b, d)) {
      Eventually.until(WAIT, () -> api.get("/compute/v2.1/servers/" + id).status() == 404);
    }
    assertEquals(204, api.delete(V2 + "/floatingips/" + fipId).status());
    for (String port : List.of(portA, portB, portD)) assertEquals(204, api.delete(V2 + "/ports/" + port).status());
    for (String subnet : List.of(subnet1, subnet2, subnet3)) {
      cloud.update("/routers/" + router + "/remove_router_interface", "{\"subnet_id\": \"" + subnet + "\"}");
    }
    // the ports' departures are steps of their own: a router or group may be in use a moment longer
    Eventually.until(WAIT, () -> api.delete(V2 + "/routers/" + router).status() == 204);
    for (String group : List.of(others, clients)) {
      Eventually.until(WAIT, () -> api.delete(V2 + "/security-groups/" + group).status() == 204);
    }
    for (String id : List.of(net1, net2, net3, publicNet)) {
      Eventually.until(WAIT, () -> api.delete(V2 + "/networks/" + id).status() == 204);
    }
    for (String host : cloud.hosts.names()) {
      cloud.sameTraces(before.get(host), host, WAIT);
      assertEquals(List.of(), cloud.hosts.domains(host));
    }
  }

  /**
   * R's agent killed with SIGKILL while A and B ping each other through the router, A pings the
   * outside through its SNAT and the outside pings A's floating address: the kernel carries all of
   * it meanwhile. Left while it is down: a router namespace of R's (a veth leads to it) that no
   * router has, as a router deleted meanwhile would leave. Started again, the agent adopts the
   * router it built as it is (the same namespace and devices: nothing rebuilt, no flow cut) and
   * sweeps the orphan; R then has what it had, nothing twice. Security groups hold meanwhile: D
   * gets in neither with a forged address nor to a port no rule opens.
   */
  private static void agentOfRouterHostKilledAndRestarted(String routerHost, OutsidePing outside, String a, String b,
      String d) throws Exception {
    List<String> made = NimbusTraces.of(cloud.hosts, routerHost);
    String namespace = made.stream().filter(l -> l.startsWith("netns nqr-")).findFirst().orElseThrow().substring(6);
    String identity = routerIdentity(routerHost, namespace);
    int aSince = cloud.console(a).length();
    int bSince = cloud.console(b).length();
    int dSince = cloud.console(d).length();
    long killed = System.currentTimeMillis();
    cloud.hosts.killNode(routerHost);

    String orphan = "nqr-0bad0bad0ba";
    cloud.hosts.inHost(routerHost, "ip", "netns", "add", orphan);
    cloud.hosts.inHost(routerHost, "ip", "link", "add", "ntp-0bad0bad0ba", "type", "veth", "peer", "name", "qr-0bad0bad0ba",
        "netns", orphan);
    assertTrue(NimbusTraces.of(cloud.hosts, routerHost).contains("netns " + orphan));
    cloud.awaitConsole(a, WAIT, c -> GuestCloud.count(c.substring(aSince), "PING-OK " + B) >= 2
        && GuestCloud.count(c.substring(aSince), "PING-OK " + OUTSIDE) >= 2);
    cloud.awaitConsole(b, WAIT, c -> GuestCloud.count(c.substring(bSince), "PING-OK " + A) >= 2);
    outside.awaitReplyAfter(System.currentTimeMillis(), WAIT);

    long restart = System.currentTimeMillis();
    cloud.hosts.restartNodes();
    cloud.sameTraces(made, routerHost, WAIT); // the orphan swept: the agent has been through its routers
    System.out.printf("R's agent restarted -> its orphan router namespace swept: %.1f s%n",
        (System.currentTimeMillis() - restart) / 1000.0);
    assertEquals(identity, routerIdentity(routerHost, namespace), "the router's namespace and legs are the ones it had");
    int aNow = cloud.console(a).length();
    cloud.awaitConsole(a, WAIT, c -> c.substring(aNow).contains("PING-OK " + B) && c.substring(aNow).contains("PING-OK " + OUTSIDE));
    double longest = longestSilence(outside.replies(), killed);
    System.out.printf("R's agent killed and restarted -> longest silence of the outside's ping: %.3f s%n", longest);
    assertTrue(longest < 2.0, "the floating IP's flow ran on while R's agent died and came back: silent " + longest + " s");
    String aMeanwhile = cloud.console(a).substring(aSince);
    String bMeanwhile = cloud.console(b).substring(bSince);
    assertFalse(aMeanwhile.contains("PING-LOST") || bMeanwhile.contains("PING-LOST"),
        "no ping through the router or its SNAT was lost: " + aMeanwhile + bMeanwhile);
    assertSecurityGroupsHeld(cloud.console(d).substring(dSince));
  }

  /**
   * R reboots: powered off (every process of the host killed, its network namespace deleted with
   * the router's namespace, devices, rules and daemons in it; {@link NamespaceHosts#powerOff}), so
   * the router is gone: the outside's ping and A's to B go unanswered. R boots (the same state
   * directory: its disk, with its router's record) and its agent builds the router again, from its
   * record and the router's entity: routing, SNAT and the floating IP work again, and R has what it
   * had before, nothing more.
   */
  private static void routerHostRebooted(String routerHost, OutsidePing outside, String a, String b, String d)
      throws Exception {
    List<String> made = NimbusTraces.of(cloud.hosts, routerHost);
    int dSince = cloud.console(d).length();
    cloud.hosts.powerOff(routerHost);
    outside.awaitSilence(Duration.ofSeconds(2), "with the router's host off, A's floating address leads nowhere");
    int aOff = cloud.console(a).length();
    cloud.awaitConsole(a, WAIT, c -> c.substring(aOff).contains("PING-LOST " + B) && c.substring(aOff).contains("PING-LOST " + OUTSIDE));

    long boot = System.currentTimeMillis();
    cloud.hosts.restartNodes();
    double back = outside.awaitReplyAfter(boot, WAIT);
    System.out.printf("R booted -> the outside reaches A's floating IP again: %.1f s%n", back - boot / 1000.0);
    int aBack = cloud.console(a).length();
    int bBack = cloud.console(b).length();
    cloud.awaitConsole(a, WAIT, c -> c.substring(aBack).contains("PING-OK " + B) && c.substring(aBack).contains("PING-OK " + OUTSIDE));
    cloud.awaitConsole(b, WAIT, c -> c.substring(bBack).contains("PING-OK " + A));
    cloud.sameTraces(made, routerHost, WAIT);
    assertSecurityGroupsHeld(cloud.console(d).substring(dSince));
  }

  /** D, since some point: no forged packet and no TCP connection of it got through (no rule opens TCP yet). */
  private static void assertSecurityGroupsHeld(String dConsole) {
    assertFalse(dConsole.contains("SPOOF-IP-OK") || dConsole.contains("SPOOF-MAC-OK") || dConsole.contains("TCP-OK"),
        "the security groups held: " + dConsole);
    assertTrue(dConsole.contains("TCP-FAIL " + WEB), "D tried: " + dConsole);
  }

  /** The router namespace's inode and its devices with their indexes: what a namespace rebuilt would change. */
  private static String routerIdentity(String host, String namespace) throws Exception {
    return cloud.hosts.inHost(host, "stat", "-L", "-c", "%i", "/run/netns/" + namespace)
        + cloud.hosts.inHost(host, "ip", "-n", namespace, "-o", "link", "show").lines()
            .map(l -> l.split("\\s+")[0] + l.split("\\s+")[1]).toList();
  }

  /** The longest time with no reply, from {@code sinceMillis} (the epoch's) to the last reply. */
  private static double longestSilence(List<Double> replies, long sinceMillis) {
    double longest = 0;
    double previous = sinceMillis / 1000.0;
    for (double t : replies) {
      if (t < previous) continue;
      longest = Math.max(longest, t - previous);
      previous = t;
    }
    return longest;
  }

  // ------------------------------------------------------------------ helpers

  private static String subnet(String network, String prefix) {
    return cloud.create("subnets", "subnet", "{\"subnet\": {\"network_id\": \"" + network + "\", \"ip_version\": 4, "
        + "\"cidr\": \"" + prefix + ".0/24\"}}");
  }

  /** A port with this fixed address, in these groups (else in the project's default group). */
  private static String port(String network, String subnet, String address, Optional<List<String>> groups) {
    String inGroups = groups.map(g -> ", \"security_groups\": [\"" + String.join("\", \"", g) + "\"]").orElse("");
    return cloud.create("ports", "port", "{\"port\": {\"network_id\": \"" + network + "\", \"fixed_ips\": "
        + "[{\"subnet_id\": \"" + subnet + "\", \"ip_address\": \"" + address + "\"}]" + inGroups + "}}");
  }

  private static String onPort(String port) {
    return "[{\"port\": \"" + port + "\"}]";
  }

  /** An IPv4 ingress rule of the group, with these further attributes; answers its id. */
  private static String rule(String group, String attributes) {
    return cloud.create("security-group-rules", "security_group_rule", "{\"security_group_rule\": {\"security_group_id\": \""
        + group + "\", \"direction\": \"ingress\", \"ethertype\": \"IPv4\", " + attributes + "}}");
  }

  /** The host's own named network namespaces (its /run/netns: namespace-hosts.sh). */
  private static Set<String> namespaces(String host) throws IOException {
    try (var names = Files.list(cloud.hosts.dir(host).resolve("run-netns"))) {
      return new HashSet<>(names.map(p -> p.getFileName().toString()).toList());
    }
  }

  /**
   * The host the router was placed on: the one where a namespace appeared that is not a
   * network's metadata namespace ({@code nm-}).
   */
  private static String routerHost(Map<String, Set<String>> before) {
    try {
      return placedRouterHost(before);
    } catch (AssertionError e) {
      StringBuilder said = new StringBuilder(e.getMessage()).append("; what the hosts' router agents said:");
      for (String host : cloud.hosts.names()) {
        try (var lines = Files.lines(cloud.hosts.dir(host).resolve("node.log"))) {
          lines.filter(l -> l.contains("RouterAgent") || l.contains("LinuxRouters"))
              .forEach(l -> said.append('\n').append(host).append(": ").append(l));
        } catch (IOException unreadable) {
          said.append('\n').append(host).append(": ").append(unreadable);
        }
      }
      throw new AssertionError(said.toString(), e);
    }
  }

  private static String placedRouterHost(Map<String, Set<String>> before) {
    return Eventually.await(WAIT, () -> {
      List<String> found = new ArrayList<>();
      for (String host : cloud.hosts.names()) {
        Set<String> now = namespaces(host);
        now.removeAll(before.get(host));
        if (now.stream().anyMatch(n -> !n.startsWith("nm-"))) found.add(host);
      }
      if (found.size() > 1) throw new IllegalStateException("a router namespace on more than one host: " + found);
      return found.isEmpty() ? null : found.get(0);
    });
  }

  /**
   * {@code ping -D} from the outside namespace to an address every 0.1 s: the times of its
   * replies (seconds since the epoch, as the machine's clock gives them).
   */
  private static final class OutsidePing implements AutoCloseable {
    private final Process process;
    private final Path output;
    private final long started = System.currentTimeMillis();

    private OutsidePing(Process process, Path output) {
      this.process = process;
      this.output = output;
    }

    static OutsidePing start(String address) throws IOException {
      Path output = Files.createTempFile("nrg-ping", ".out");
      Process p = new ProcessBuilder("ip", "netns", "exec", OUTSIDE_NETNS, "ping", "-n", "-D", "-i", "0.1", address)
          .redirectErrorStream(true).redirectOutput(output.toFile()).start();
      p.getOutputStream().close();
      return new OutsidePing(p, output);
    }

    List<Double> replies() throws IOException {
      List<Double> times = new ArrayList<>();
      for (String line : Files.readAllLines(output)) {
        if (line.startsWith("[") && line.contains(" bytes from ")) times.add(Double.parseDouble(line.substring(1, line.indexOf(']'))));
      }
      return times;
    }

    /** Waits for a reply later than {@code millis} (the epoch's); answers its time. */
    double awaitReplyAfter(long millis, Duration timeout) {
      return Eventually.await(timeout, () -> replies().stream().filter(t -> t * 1000 > millis).findFirst().orElse(null));
    }

    /** Waits until no reply has come for {@code quiet}; fails saying {@code why} if replies go on. */
    void awaitSilence(Duration quiet, String why) {
      try {
        Eventually.until(Duration.ofSeconds(30), () -> {
          List<Double> times = replies();
          double lastTime = times.isEmpty() ? 0 : times.get(times.size() - 1);
          return System.currentTimeMillis() / 1000.0 - lastTime > quiet.toMillis() / 1000.0
              && System.currentTimeMillis() - started > quiet.toMillis();
        });
      } catch (AssertionError e) {
        throw new AssertionError(why + ": the outside's ping is still answered 30 s later", e);
      }
    }

    @Override
    public void close() throws Exception {
      process.destroy();
      process.waitFor(10, TimeUnit.SECONDS);
      Files.deleteIfExists(output);
    }
  }
}
