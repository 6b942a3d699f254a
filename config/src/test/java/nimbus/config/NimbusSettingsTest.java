package nimbus.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Settings are typed and checked; a bad one is one line that names it and the fix. */
class NimbusSettingsTest {
  @TempDir
  Path dir;

  private static NimbusSettings load(Map<String, Object> overrides) {
    return NimbusSettings.load(Optional.empty(), ConfigFactory.parseMap(overrides));
  }

  @Test
  void defaultsDescribeAnAllInOneNodeOnTheEmbeddedDatabase() {
    NimbusSettings s = load(Map.of());
    assertTrue(s.has(Role.CONTROL) && s.has(Role.COMPUTE));
    assertEquals(DatabaseSettings.Kind.H2, s.database().kind());
    assertTrue(s.database().url().startsWith("jdbc:h2:file:" + s.dataDir()));
    assertEquals("test:///default", s.host().hypervisorUri());
    assertEquals("test", s.host().domainType());
    assertEquals(8774, s.api().port());
    assertTrue(s.cluster().seedNodes().isEmpty());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "nimbus.roles          | [storage]             | nimbus.roles: unknown role 'storage'",
      "nimbus.cluster.seed-nodes | [\"10.0.0.1\"]    | nimbus.cluster.seed-nodes: '10.0.0.1' is not HOST:PORT",
      "nimbus.cluster.seed-nodes | [\"h:99999\"]     | nimbus.cluster.seed-nodes: 99999 is not a TCP port",
      "nimbus.host.hypervisor-uri | \"vmware://x\"   | nimbus.host.hypervisor-uri: 'vmware://x' is not a libvirt URI",
      "nimbus.host.hypervisor-uri | \"::\"           | nimbus.host.hypervisor-uri: '::' is not a libvirt URI",
      "nimbus.database.kind  | mysql                 | nimbus.database.kind: unknown database 'mysql'",
      "nimbus.api.port       | 70000                 | nimbus.api.port: 70000 is not a TCP port",
      "nimbus.compute.weigher | random               | nimbus.compute.weigher: unknown weigher 'random'",
      "nimbus.host.availability-zone | \"a:b\"      | nimbus.host.availability-zone: 'a:b' is not a zone name",
      "nimbus.image-store.max-image-size | 0         | nimbus.image-store.max-image-size: must be positive",
      "nimbus.image-store.quota.image-count-total | -1 | nimbus.image-store.quota.image-count-total: must not be negative",
      "nimbus.host.disk-gb   | 0                     | nimbus.host.disk-gb: '0' is neither auto nor a positive number",
      "nimbus.host.disk-gb   | lots                  | nimbus.host.disk-gb: 'lots' is neither auto nor a positive number",
      "nimbus.host.underlay-address | \"host1.example\" | nimbus.host.underlay-address: 'host1.example' is not a host's IP address",
      "nimbus.host.underlay-address | \"10.0.0.256\"  | nimbus.host.underlay-address: '10.0.0.256' is not a host's IP address",
      "nimbus.host.underlay-address | \"0.0.0.0\"     | nimbus.host.underlay-address: '0.0.0.0' is not a host's IP address",
      "nimbus.host.underlay-address | \"fd00::1::2\"  | nimbus.host.underlay-address: 'fd00::1::2' is not a host's IP address",
      "nimbus.host.physical-interfaces | {physnet1 = \"eth 1\"} | nimbus.host.physical-interfaces.physnet1: 'eth 1' is not an interface name",
      "nimbus.host.physical-interfaces | {physnet1 = [eth1]} | nimbus.host.physical-interfaces.physnet1: '[eth1]' is not an interface name",
      "nimbus.api.policy-file | \"/no/such/policy.json\" | nimbus.api.policy-file: cannot read /no/such/policy.json"})
  void badSettingsStopStartupWithOneClearLine(String key, String value, String message) {
    SettingsException e = assertThrows(SettingsException.class, () -> NimbusSettings.load(
        Optional.empty(), ConfigFactory.parseString(key + " = " + value)));
    assertTrue(e.getMessage().startsWith(message), e.getMessage());
    assertTrue(e.getMessage().contains("; "), "names a fix: " + e.getMessage());
    assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
  }

  @Test
  void physicalInterfacesMapPhysicalNetworksToThisHostsInterfaces() {
    assertEquals(Map.of(), load(Map.of()).host().physicalInterfaces(), "none by default");
    NimbusSettings s = NimbusSettings.load(Optional.empty(),
        ConfigFactory.parseString("nimbus.host.physical-interfaces { physnet1 = eth1, provider = \"bond0.7\" }"));
    assertEquals(Map.of("physnet1", "eth1", "provider", "bond0.7"), s.host().physicalInterfaces());
  }

  @Test
  void theUnderlayAddressIsALiteralOrAnAddressOtherHostsCanReach() throws java.net.SocketException {
    assertEquals("192.0.2.10", load(Map.of("nimbus.host.underlay-address", "192.0.2.10")).host().underlayAddress());
    assertEquals("fd00::10", load(Map.of("nimbus.host.underlay-address", "fd00::10")).host().underlayAddress());
    // "localhost" resolves to loopback only: the default is then an address of one of this machine's own interfaces
    String byDefault = load(Map.of("nimbus.host.name", "localhost")).host().underlayAddress();
    List<String> own = new java.util.ArrayList<>();
    for (var i : java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
      if (!i.isUp() || i.isLoopback() || i.getName().equals("nimbus0") || i.getName().startsWith("nbr-")) continue;
      i.inetAddresses().filter(a -> !a.isLinkLocalAddress()).forEach(a -> own.add(a.getHostAddress()));
    }
    if (own.isEmpty()) {
      assertEquals("127.0.0.1", byDefault, "a machine with no other address");
    } else {
      assertTrue(own.contains(byDefault), byDefault + " is one of " + own);
    }
  }

  @Test
  void aPortInUseIsNamed() throws IOException {
    try (ServerSocket busy = new ServerSocket(0)) {
      SettingsException e = assertThrows(SettingsException.class,
          () -> Ports.requireFree("nimbus.api.port", "127.0.0.1", busy.getLocalPort()));
      assertTrue(e.getMessage().startsWith("nimbus.api.port: 127.0.0.1:" + busy.getLocalPort() + " is already in use"));
    }
  }

  @Test
  void aConfigFileOverridesDefaultsAndTheCommandLineOverridesTheFile() throws IOException {
    Path file = Files.writeString(dir.resolve("n.conf"),
        "nimbus { api.port = 9000, cluster.port = 2600, database { kind = postgresql, url = \"jdbc:postgresql://db/n\" } }");
    NimbusSettings s = NimbusSettings.load(Optional.of(file), ConfigFactory.parseString("nimbus.api.port = 9100"));
    assertEquals(9100, s.api().port());
    assertEquals(2600, s.cluster().port());
    assertEquals(DatabaseSettings.Kind.POSTGRESQL, s.database().kind());
    assertTrue(!s.database().toString().contains("nimbus\"") && !s.database().toString().contains("password="),
        "no password in toString: " + s.database());
  }

  @Test
  void everyPathFollowsTheDataDirOfAConfigFileAndIsAbsolute() throws IOException {
    Path file = Files.writeString(dir.resolve("n.conf"), "nimbus.data-dir = \"relative/data\"");
    NimbusSettings s = NimbusSettings.load(Optional.of(file), ConfigFactory.empty());
    Path data = Path.of("relative/data").toAbsolutePath().normalize();
    assertEquals(data, s.dataDir());
    ImageSeed guest = s.images().get(0);
    assertEquals(data.resolve("guest/vmlinuz").toString(), guest.kernel());
    assertEquals(data.resolve("guest/initrd.img").toString(), guest.ramdisk());
    assertEquals("", guest.disk());
    assertEquals(data.resolve("instances"), s.host().instancesDir());
    assertEquals(data.resolve("images"), s.imageStore().dir());
    assertTrue(s.database().url().startsWith("jdbc:h2:file:" + data.resolve("db/nimbus") + ";"), s.database().url());
    assertEquals(List.of(data.resolve("guest/vmlinuz"), data.resolve("guest/initrd.img")), guest.missingFiles());
  }

  @Test
  void nimbusDataDirInTheEnvironmentMovesEveryPath() throws Exception {
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), SettingsProbe.class.getName()).directory(dir.toFile());
    pb.environment().put("NIMBUS_DATA_DIR", "var/nimbus");
    Process p = pb.redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.waitFor(), out);
    Path data = dir.toRealPath().resolve("var/nimbus");
    assertEquals(List.of(data.toString(), data.resolve("guest/vmlinuz").toString(), data.resolve("instances").toString(),
        data.resolve("images").toString()), out.lines().toList());
  }

  @Test
  void relativeSeedPathsAreTakenFromTheWorkingDirectory() {
    NimbusSettings s = load(Map.of("nimbus.images", List.of(Map.of("name", "x", "kernel", "k/vmlinuz",
        "ramdisk", "", "disk", "./d.qcow2", "disk-format", "qcow2"))));
    Path cwd = Path.of("").toAbsolutePath();
    assertEquals(cwd.resolve("k/vmlinuz").toString(), s.images().get(0).kernel());
    assertEquals(cwd.resolve("d.qcow2").toString(), s.images().get(0).disk());
    assertEquals(Path.of("data").toAbsolutePath(), load(Map.of()).dataDir());
  }

  @Test
  void anUnreadableOrBrokenFileIsNamed() throws IOException {
    SettingsException missing = assertThrows(SettingsException.class,
        () -> NimbusSettings.load(Optional.of(dir.resolve("nope.conf")), ConfigFactory.empty()));
    assertTrue(missing.getMessage().startsWith("--config: cannot read"));
    Path broken = Files.writeString(dir.resolve("broken.conf"), "nimbus { api.port = ");
    SettingsException syntax = assertThrows(SettingsException.class,
        () -> NimbusSettings.load(Optional.of(broken), ConfigFactory.empty()));
    assertTrue(syntax.getMessage().startsWith("--config:"), syntax.getMessage());
  }

  @Test
  void joinAddressesParse() {
    assertEquals(new HostPort("10.1.2.3", 2551), HostPort.parse("--join", "10.1.2.3:2551"));
    assertEquals(new HostPort("::1", 2551), HostPort.parse("--join", "[::1]:2551"));
    assertEquals("[::1]:2551", HostPort.parse("--join", "[::1]:2551").toString());
  }
}
