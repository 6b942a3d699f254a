package nimbus.node.dataplane;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Where a tenant network's guests find the metadata service on one host, as Neutron's isolated
 * metadata and OVN's {@code ovnmeta} namespaces do: a network namespace of the network's own
 * ({@code nm-} and 11 characters of its id), joined to the network's bridge by a veth, holding
 * {@value #ADDRESS} alone. Guests reach it on-link (DHCP tells them so), so it needs no address
 * of the network's subnets: two networks with the same CIDR never share an address anywhere,
 * and the network's DHCP server stays as it is. The proxy ({@link MetadataProxy}) listens inside
 * it, so what arrives there is known to come from this network. Pure: argument lists.
 */
public record MetadataNamespace(String networkId, int mtu) {
  /** The metadata service's address, as every cloud's guests know it. */
  public static final String ADDRESS = "169.254.169.254";
  private static final Pattern NAMESPACE = Pattern.compile("nm-[0-9a-f]{11}");

  public MetadataNamespace {
    TenantSegment.bridgeOf(networkId); // a UUID, or it fails here
  }

  private String shortId() {
    return TenantSegment.bridgeOf(networkId).substring("nbr-".length());
  }

  /** The network namespace. */
  public String name() {
    return nameOf(networkId);
  }

  /** The namespace of network {@code networkId}, whatever its MTU. */
  public static String nameOf(String networkId) {
    return "nm-" + TenantSegment.bridgeOf(networkId).substring("nbr-".length());
  }

  /** The veth's end on the host, a port of the network's bridge. */
  public String outside() {
    return "nmv-" + shortId();
  }

  /** The veth's end in the namespace, which holds {@value #ADDRESS}. */
  public String inside() {
    return "nmi-" + shortId();
  }

  /**
   * The MAC guests learn for {@value #ADDRESS}: the same on every host (made from the network's
   * id, locally administered), so a guest that moves keeps a right ARP entry.
   */
  public String mac() {
    byte[] h = sha256(networkId.toLowerCase());
    return String.format("fa:16:3f:%02x:%02x:%02x", h[0], h[1], h[2]);
  }

  /** Whether a network namespace is one of these (the sweep touches no other). */
  public static boolean isMetadataNamespace(String name) {
    return NAMESPACE.matcher(name).matches();
  }

  public static List<String> listNamespaces() {
    return List.of("ip", "netns", "list");
  }

  /** The names in {@code ip netns list}'s output ({@code NAME (id: N)} per line). */
  public static Set<String> namespaceNames(String output) {
    Set<String> names = new LinkedHashSet<>();
    output.lines().map(String::strip).filter(l -> !l.isEmpty()).forEach(l -> names.add(l.split("\\s+")[0]));
    return names;
  }

  /**
   * Makes the namespace and its veth on {@code bridge}, given what exists ({@code namespaces},
   * the host's {@code devices}); every other step may run again harmlessly. The namespace's
   * default route leads back out of the veth: replies to any guest address go back to the
   * network they came from.
   */
  public List<List<String>> ensure(Set<String> namespaces, Set<String> devices, String bridge) {
    List<List<String>> plan = new ArrayList<>();
    if (!namespaces.contains(name())) plan.add(List.of("ip", "netns", "add", name()));
    if (!namespaces.contains(name()) || !devices.contains(outside())) {
      plan.add(List.of("ip", "link", "add", outside(), "mtu", String.valueOf(mtu), "type", "veth", "peer", "name",
          inside(), "mtu", String.valueOf(mtu), "address", mac(), "netns", name()));
    }
    plan.add(List.of("ip", "link", "set", "dev", outside(), "mtu", String.valueOf(mtu), "master", bridge, "up"));
    plan.add(inNamespace("ip", "link", "set", "dev", "lo", "up"));
    plan.add(inNamespace("ip", "link", "set", "dev", inside(), "mtu", String.valueOf(mtu), "address", mac(), "up"));
    plan.add(inNamespace("ip", "addr", "replace", ADDRESS + "/32", "dev", inside()));
    plan.add(inNamespace("ip", "route", "replace", "default", "dev", inside()));
    return plan;
  }

  /** Removes the namespace; its veth goes with it, both ends. */
  public List<String> remove() {
    return List.of("ip", "netns", "delete", name());
  }

  private List<String> inNamespace(String... command) {
    List<String> out = new ArrayList<>(List.of("ip", "-n", name()));
    out.addAll(List.of(command).subList(1, command.length)); // "ip" given once
    return out;
  }

  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
