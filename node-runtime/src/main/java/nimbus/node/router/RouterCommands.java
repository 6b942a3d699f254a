package nimbus.node.router;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The iproute2 commands that make a router's namespace match its {@link RouterPlan}, given what
 * the namespace holds: the namespace with forwarding on, a veth per leg (MAC, MTU, the host end
 * on its network's bridge), the legs' addresses and the floating addresses on the gateway leg
 * (so the router answers ARP for them), the default and static routes. Pure.
 */
public final class RouterCommands {
  private static final String PREFIX = "nqr-";
  private static final Pattern NAMESPACE = Pattern.compile(PREFIX + "[0-9a-f]{11}");
  private static final Pattern LEG = Pattern.compile("q[rg]-[0-9a-f-]{11}");

  private final RouterPlan plan;
  private final String namespace;

  public RouterCommands(RouterPlan plan) {
    this.plan = plan;
    this.namespace = namespaceOf(plan.routerId());
  }

  /**
   * The router's namespace: Nimbus's prefix and 11 characters of its id, as its devices keep 11
   * of their ports' (short, and recognisable by {@link #isRouterNamespace}).
   */
  public static String namespaceOf(String routerId) {
    String hex = routerId.replace("-", "").toLowerCase();
    if (!hex.matches("[0-9a-f]{11,}")) throw new IllegalArgumentException("a router id is a UUID, not " + routerId);
    return PREFIX + hex.substring(0, 11);
  }

  /** Whether a namespace is a router's, which the sweep may remove. */
  public static boolean isRouterNamespace(String name) {
    return NAMESPACE.matcher(name).matches();
  }

  public String namespace() {
    return namespace;
  }

  /** The names in {@code ip netns list}'s output. */
  public static Set<String> namespaces(String ipNetnsListOutput) {
    Set<String> names = new LinkedHashSet<>();
    ipNetnsListOutput.lines().map(String::strip).filter(l -> !l.isEmpty()).forEach(l -> names.add(l.split(" ")[0]));
    return names;
  }

  /** This host's veths, whose peers tell which router namespaces are this host's ({@link #connected}). */
  public static List<String> listVeths() {
    return List.of("ip", "-o", "link", "show", "type", "veth");
  }

  /**
   * The router namespaces the host's veths lead to, in {@code ip -o link show type veth}'s output:
   * the routers of this host. Namespace names are the machine's, so on a machine carrying several
   * hosts (network namespaces of their own) the others' routers are not among them.
   */
  public static Set<String> connected(String ipLinkOutput) {
    Set<String> names = new LinkedHashSet<>();
    java.util.regex.Matcher m = Pattern.compile("link-netns (" + PREFIX + "[0-9a-f]{11})(\\s|$)").matcher(ipLinkOutput);
    while (m.find()) names.add(m.group(1));
    return names;
  }

  public List<String> listDevices() {
    return List.of("ip", "-n", namespace, "-o", "link", "show");
  }

  public List<String> listAddresses() {
    return List.of("ip", "-n", namespace, "-o", "addr", "show");
  }

  /** Nimbus's routes of one family ({@code -4} or {@code -6}): {@link #routes} reads both. */
  public List<String> listRoutes(String family) {
    return List.of("ip", family, "-n", namespace, "route", "show", "proto", "static");
  }

  /**
   * The namespace and its legs, given the namespaces on the host and the devices in the router's:
   * made where missing, their settings set again, and legs the plan no longer has deleted
   * (deleting a veth's end deletes its host end too).
   */
  public List<List<String>> links(Set<String> namespaces, Set<String> devices) {
    List<List<String>> plan = new ArrayList<>();
    if (!namespaces.contains(namespace)) plan.add(List.of("ip", "netns", "add", namespace));
    plan.add(List.of("ip", "netns", "exec", namespace, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"));
    plan.add(List.of("ip", "-n", namespace, "link", "set", "dev", "lo", "up"));
    Set<String> wanted = new HashSet<>();
    for (RouterPlan.Leg leg : this.plan.legs()) {
      wanted.add(leg.inside());
      String mtu = String.valueOf(leg.mtu());
      if (!devices.contains(leg.inside())) {
        plan.add(List.of("ip", "link", "add", leg.outside(), "mtu", mtu, "type", "veth", "peer", "name", leg.inside(),
            "netns", namespace));
      }
      plan.add(List.of("ip", "-n", namespace, "link", "set", "dev", leg.inside(), "address", leg.mac(), "mtu", mtu, "up"));
      plan.add(List.of("ip", "link", "set", "dev", leg.outside(), "mtu", mtu, "master", leg.bridge(), "up"));
    }
    for (String device : devices) {
      if (LEG.matcher(device).matches() && !wanted.contains(device)) {
        plan.add(List.of("ip", "-n", namespace, "link", "del", "dev", device));
      }
    }
    return plan;
  }

  /** The addresses by device in {@code ip -o addr show}'s output, link-local ones and loopback's left out. */
  public static Map<String, Set<String>> addresses(String ipAddrOutput) {
    Map<String, Set<String>> held = new LinkedHashMap<>();
    for (String line : ipAddrOutput.split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length < 4 || !(f[2].equals("inet") || f[2].equals("inet6"))) continue;
      if (f[1].equals("lo") || line.contains("scope link")) continue;
      held.computeIfAbsent(f[1], d -> new LinkedHashSet<>()).add(f[3]);
    }
    return held;
  }

  /**
   * The {@code ip -batch} text that turns the addresses {@code held} into the plan's: each leg's,
   * and each floating address as a /32 on the gateway leg. Empty if nothing changes.
   */
  public String addressBatch(Map<String, Set<String>> held) {
    StringBuilder batch = new StringBuilder();
    Map<String, Set<String>> wanted = wantedAddresses();
    held.forEach((device, addresses) -> {
      if (!LEG.matcher(device).matches() || !wanted.containsKey(device)) return;
      for (String a : addresses) {
        if (!wanted.get(device).contains(a)) batch.append("address del ").append(a).append(" dev ").append(device).append('\n');
      }
    });
    wanted.forEach((device, addresses) -> {
      Set<String> there = held.getOrDefault(device, Set.of());
      for (String a : addresses) {
        if (!there.contains(a)) batch.append("address add ").append(a).append(" dev ").append(device).append('\n');
      }
    });
    return batch.toString();
  }

  private Map<String, Set<String>> wantedAddresses() {
    Map<String, Set<String>> wanted = new LinkedHashMap<>();
    for (RouterPlan.Leg leg : plan.legs()) {
      Set<String> addresses = new LinkedHashSet<>(leg.addresses());
      if (leg.external()) plan.floatingIps().forEach(f -> addresses.add(f.floatingAddress() + "/32"));
      wanted.put(leg.inside(), addresses);
    }
    return wanted;
  }

  public List<String> applyBatch(String file) {
    return List.of("ip", "-n", namespace, "-batch", file);
  }

  /**
   * The routes, given {@code ip route show proto static}'s output of both families: the default route and the
   * static ones set (replace: idempotent), and those the plan no longer has deleted. Nimbus's
   * routes are {@code proto static}, so the connected ones of the legs are never touched.
   */
  public List<List<String>> routes(String heldRoutes) {
    Map<String, String> wanted = new LinkedHashMap<>();
    plan.defaultGateway().ifPresent(g -> wanted.put("default", g));
    plan.routes().forEach(r -> wanted.put(r.destination(), r.nexthop()));
    List<List<String>> commands = new ArrayList<>();
    for (String line : heldRoutes.split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length < 3 || !f[1].equals("via")) continue;
      if (!f[2].equals(wanted.get(f[0]))) commands.add(List.of("ip", "-n", namespace, "route", "del", f[0], "via", f[2]));
    }
    wanted.forEach((destination, nexthop) -> commands.add(List.of("ip", "-n", namespace, "route", "replace",
        destination, "via", nexthop, "proto", "static")));
    return commands;
  }

  /** Loads {@link RouterFirewall}'s rules (in {@code file}) in the router's namespace. */
  public List<String> applyFirewall(String file) {
    return List.of("ip", "netns", "exec", namespace, "nft", "-f", file);
  }

  /** Deletes a router's namespace: its legs, and with them their host ends, go with it. */
  public static List<String> remove(String namespace) {
    return List.of("ip", "netns", "delete", namespace);
  }
}
