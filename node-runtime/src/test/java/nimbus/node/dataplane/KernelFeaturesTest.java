package nimbus.node.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import nimbus.node.agent.CommandRunner;
import nimbus.node.agent.ProcessRunner;
import org.junit.jupiter.api.Test;

/**
 * The probe against a scripted kernel (which commands, what a failure means) and against this
 * machine's real one, checked by making the same kinds of link another way.
 */
class KernelFeaturesTest {

  /** Records every command and fails those that make a link of one of the {@code missing} kinds. */
  private static final class ScriptedKernel implements CommandRunner {
    final List<String> missing;
    final List<List<String>> calls = new ArrayList<>();

    ScriptedKernel(String... missing) {
      this.missing = List.of(missing);
    }

    @Override
    public String run(List<String> command, Duration timeout) {
      calls.add(command);
      if (command.contains("type") && missing.contains(command.get(command.indexOf("type") + 1))) {
        throw new IllegalStateException(String.join(" ", command.subList(0, 3)) + " failed: Error: Unknown device type.");
      }
      return "";
    }
  }

  private static List<String> cmd(String line) {
    return List.of(line.split(" "));
  }

  @Test
  void makesOneLinkOfEachKindInAThrowawayNamespaceAndRemovesIt() {
    ScriptedKernel kernel = new ScriptedKernel("vlan", "gretap");
    assertEquals(EnumSet.of(NetworkType.LOCAL, NetworkType.FLAT, NetworkType.VXLAN),
        new KernelFeatures(kernel, "nimbus-probe-t").probe());
    assertEquals(List.of(
        cmd("ip netns add nimbus-probe-t"),
        cmd("ip -n nimbus-probe-t link add p0 type bridge"),
        cmd("ip -n nimbus-probe-t link add p1 type vxlan id 1 dstport 4789"),
        cmd("ip -n nimbus-probe-t link add p2 link p0 type vlan id 1"),
        cmd("ip -n nimbus-probe-t link add p3 type gretap remote 192.0.2.1 local 192.0.2.2"),
        cmd("ip netns delete nimbus-probe-t")), kernel.calls);
  }

  @Test
  void aKernelWithEverythingCarriesEveryType() {
    assertEquals(EnumSet.allOf(NetworkType.class), new KernelFeatures(new ScriptedKernel()).probe());
  }

  @Test
  void withoutBridgesNoNetworkAtAll() {
    ScriptedKernel kernel = new ScriptedKernel("bridge");
    assertEquals(Set.of(), new KernelFeatures(kernel, "nimbus-probe-t").probe());
    assertEquals(cmd("ip netns delete nimbus-probe-t"), kernel.calls.get(kernel.calls.size() - 1));
  }

  @Test
  void aHostWhereNoNamespaceCanBeMadeFailsTheProbeLoudly() {
    CommandRunner notRoot = (command, timeout) -> {
      throw new IllegalStateException("ip netns add failed: mkdir /run/netns failed: Permission denied");
    };
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> new KernelFeatures(notRoot).probe());
    assertTrue(e.getMessage().contains("Permission denied"), e.getMessage());
  }

  /** This machine's kernel (as root): the probe must say what making the links another way says. */
  @Test
  void theRealProbeAgreesWithThisKernel() {
    Set<NetworkType> probed = new KernelFeatures(new ProcessRunner()).probe();
    assertEquals(independently(), probed);
    assertTrue(probed.contains(NetworkType.VXLAN), "every kernel Nimbus runs on has VXLAN: " + probed);
    assertFalse(Shell.namespaces().stream().anyMatch(n -> n.startsWith("nimbus-probe-")),
        "the probe leaves no namespace behind: " + Shell.namespaces());
  }

  /**
   * The same question asked differently: other names, a veth (not a bridge) as the VLAN's
   * parent, other gretap addresses, links brought up; the answer read from exit codes.
   */
  private static Set<NetworkType> independently() {
    String ns = "ntdp-check-" + UUID.randomUUID().toString().substring(0, 8);
    assertTrue(Shell.run(List.of("ip", "netns", "add", ns)).ok());
    try {
      Set<NetworkType> types = EnumSet.noneOf(NetworkType.class);
      if (!makes(ns, "chk-br type bridge")) return types;
      types.addAll(List.of(NetworkType.LOCAL, NetworkType.FLAT));
      if (makes(ns, "chk-vx type vxlan id 4242 dstport 4789 nolearning")) types.add(NetworkType.VXLAN);
      assertTrue(makes(ns, "chk-v0 type veth peer name chk-v1"), "veth, the parent for the VLAN check");
      if (makes(ns, "link chk-v0 name chk-vl type vlan id 42")) types.add(NetworkType.VLAN);
      if (makes(ns, "chk-gt type gretap remote 198.51.100.1 local 198.51.100.2 key 42")) types.add(NetworkType.GRE);
      return types;
    } finally {
      Shell.run(List.of("ip", "netns", "delete", ns));
    }
  }

  private static boolean makes(String ns, String link) {
    List<String> add = new ArrayList<>(List.of("ip", "-n", ns, "link", "add"));
    add.addAll(cmd(link));
    if (!Shell.run(add).ok()) return false;
    String name = link.startsWith("link ") ? link.split(" ")[3] : link.split(" ")[0];
    Shell.Result up = Shell.run(List.of("ip", "-n", ns, "link", "set", "dev", name, "up"));
    assertTrue(up.ok(), "a link the kernel made comes up: " + up.output());
    return true;
  }
}
