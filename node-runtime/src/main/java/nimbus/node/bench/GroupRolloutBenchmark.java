package nimbus.node.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import nimbus.node.agent.CommandRunner;
import nimbus.node.agent.ProcessRunner;
import nimbus.node.dataplane.TenantSegment;
import nimbus.storage.ImageSeeds;

/**
 * {@code nimbus bench group-rollout}: a security group change made through the HTTP API, timed
 * until it is in force on every host of a real cluster: this node (control only) and
 * {@code --hosts} namespace hosts ({@code scripts/namespace-hosts.sh}, each a network namespace
 * with its own compute node that joins over the underlay), {@code --ports} ports per host in one
 * group, on one VXLAN network. Each round creates a rule and then deletes it, and a port joins the
 * group and leaves it again (a remote-group set update); after each API answer every host's
 * kernel (nft, in its namespace) and a ping between two stand-in guests are polled until they
 * show the change. Needs root; the hosts' state is in {@code data/group-rollout-hosts}, and
 * everything it makes goes at the end, or at the next run if it was killed.
 *
 * <p>Why servers on {@code test:///default}: a port is plugged and filtered on a host only as a
 * server's port (the agent's spawn asks its tenant networks to plug it; no other path binds a
 * filtered port to a host), and TCG guests are too slow for hundreds. With the test hypervisor
 * and the linux dataplane ({@code --host-settings} of the script) the agent does all of a real
 * spawn's network work (bridge, VXLAN, DHCP, the ports' nft filter under their tap names); only
 * the taps, which libvirt would make, do not exist. For the ping two of them are made here: a
 * veth under the port's tap name in the network's bridge, its peer in a namespace of its own with
 * the port's MAC and address, as a guest's NIC would be. The pinging stand-in is on host 1 in an
 * egress-only group; the pinged one on the last host, in the group.
 */
final class GroupRolloutBenchmark {
  private static final String PREFIX = "nsgr-";
  private static final String CONTROL = "10.252.0.1";
  private static final String NET = "/network/v2.0";
  private static final String CIDR = "10.68.0.0/16";
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final Path STATE = Path.of("data", "group-rollout-hosts").toAbsolutePath();
  private static final CommandRunner ROOT = new ProcessRunner();

  private GroupRolloutBenchmark() {}

  static int run(Map<String, String> options) throws Exception {
    int hosts = Integer.parseInt(options.getOrDefault("hosts", "2"));
    int ports = Integer.parseInt(options.getOrDefault("ports", "100"));
    int rounds = Integer.parseInt(options.getOrDefault("rounds", "20"));
    Thread interrupted = new Thread(GroupRolloutBenchmark::cleanUp);
    Runtime.getRuntime().addShutdownHook(interrupted);
    try {
      cleanUp();
      script("underlay", "--control-address", CONTROL);
      Path tls = STATE.resolve("control-tls");
      Map<String, Object> settings = new HashMap<>(Map.of(
          "nimbus.roles", List.of("control"),
          "nimbus.cluster.hostname", CONTROL,
          "nimbus.cluster.tls-dir", tls.toString(),
          "nimbus.network.default-quota.port", -1));
      Map<String, String> harness = new HashMap<>(options);
      harness.remove("hosts"); // the harness's own simulated hosts: none here
      try (BenchHarness h = new BenchHarness(harness, settings)) {
        Path hostSettings = STATE.resolve("host-settings.conf");
        Files.writeString(hostSettings, """
            nimbus.host {
              hypervisor-uri = "test:///default"
              domain-type = test
              dataplane = linux
              cpu-allocation-ratio = 1000.0
              ram-allocation-ratio = 1000.0
              disk-allocation-ratio = 1000.0
            }
            """);
        script("up", String.valueOf(hosts), "--control-address", CONTROL, "--join", CONTROL + ":" + h.node.clusterPort(),
            "--certs", tls.toString(), "--host-settings", hostSettings.toString());
        h.awaitHosts(hosts);
        return new GroupRolloutBenchmark.Run(h, hosts, ports).measure(rounds, options.containsKey("trace"));
      }
    } finally {
      cleanUp();
      try {
        Runtime.getRuntime().removeShutdownHook(interrupted);
      } catch (IllegalStateException shuttingDown) {
        // the hook runs (or ran) anyway
      }
    }
  }

  /** One run's cloud: its network, the group, the ports and the stand-in guests. */
  private static final class Run {
    private final BenchHarness h;
    private final int hosts;
    private final int ports;
    private final ExecutorService pollers;
    private String network;
    private String group;
    private String outside;
    private String joiner;
    private String joinerIp;
    private String pinged;
    private String pingedIp;

    Run(BenchHarness h, int hosts, int ports) {
      this.h = h;
      this.hosts = hosts;
      this.ports = ports;
      this.pollers = Executors.newFixedThreadPool(hosts + 1);
    }

    /** {@code trace}: each change's wall-clock time and its hosts' times, to set beside their logs. */
    int measure(int rounds, boolean trace) throws Exception {
      try {
        long t = System.nanoTime();
        build();
        System.out.printf("%d hosts, %d ports each in one group, all plugged and filtered in %.1f s%n", hosts, ports,
            (System.nanoTime() - t) / 1e9);
        awaitFiltered();
        Samples created = new Samples("rule created", trace);
        Samples deleted = new Samples("rule deleted", trace);
        Samples joined = new Samples("port joined the group", trace);
        Samples left = new Samples("port left the group", trace);
        for (int r = 0; r < rounds; r++) {
          long request = System.nanoTime();
          HttpResponse<String> answer = h.http.send(h.post(NET + "/security-group-rules", """
              {"security_group_rule": {"security_group_id": "%s", "direction": "ingress", "ethertype": "IPv4",
               "protocol": "icmp", "remote_ip_prefix": "%s"}}""".formatted(group, CIDR)), HttpResponse.BodyHandlers.ofString());
          long answered = System.nanoTime();
          String rule = expect(answer, 201).path("security_group_rule").path("id").asText();
          created.add(request, answered, await(this::hasRule, true));
          request = System.nanoTime();
          answer = h.http.send(h.delete(NET + "/security-group-rules/" + rule), HttpResponse.BodyHandlers.ofString());
          answered = System.nanoTime();
          expect(answer, 204);
          deleted.add(request, answered, await(this::hasRule, false));
          request = System.nanoTime();
          answered = setGroups(List.of(outside, group));
          joined.add(request, answered, await(this::hasMember, true));
          request = System.nanoTime();
          answered = setGroups(List.of(outside));
          left.add(request, answered, await(this::hasMember, false));
        }
        for (Samples s : List.of(created, deleted, joined, left)) s.print();
        return 0;
      } finally {
        pollers.shutdownNow();
      }
    }

    /** The network, the groups, the ports and their servers, and the stand-ins for two guests. */
    private void build() throws Exception {
      network = create("/networks", "network", "{\"network\": {\"name\": \"" + PREFIX + "net\"}}");
      create("/subnets", "subnet", "{\"subnet\": {\"network_id\": \"" + network + "\", \"ip_version\": 4, \"cidr\": \""
          + CIDR + "\", \"name\": \"" + PREFIX + "subnet\"}}");
      group = create("/security-groups", "security_group", "{\"security_group\": {\"name\": \"" + PREFIX + "group\"}}");
      outside = create("/security-groups", "security_group", "{\"security_group\": {\"name\": \"" + PREFIX + "outside\"}}");
      // the members ping each other: the set the joining port's address enters
      create("/security-group-rules", "security_group_rule", """
          {"security_group_rule": {"security_group_id": "%s", "direction": "ingress", "ethertype": "IPv4",
           "protocol": "icmp", "remote_group_id": "%s"}}""".formatted(group, group));
      List<String[]> all = new ArrayList<>(); // port id, zone
      for (int k = 1; k <= hosts; k++) {
        for (int i = 0; i < ports; i++) {
          boolean first = k == 1 && i == 0;
          String port = create("/ports", "port", "{\"port\": {\"network_id\": \"" + network + "\", \"name\": \"" + PREFIX
              + "h" + k + "-" + i + "\", \"security_groups\": [\"" + (first ? outside : group) + "\"]}}");
          all.add(new String[] {port, "host" + k});
        }
      }
      joiner = all.get(0)[0];
      pinged = all.get((hosts - 1) * ports + (hosts == 1 ? 1 : 0))[0];
      BenchHarness.runConcurrently(all.size(), 8, i -> h.http.sendAsync(h.post("/compute/v2.1/servers",
          "{\"server\": {\"name\": \"" + PREFIX + i + "\", \"imageRef\": \"" + ImageSeeds.idOf("nimbus-test-guest")
              + "\", \"flavorRef\": \"42\", \"availability_zone\": \"" + all.get(i)[1] + "\", \"networks\": [{\"port\": \""
              + all.get(i)[0] + "\"}]}}"), HttpResponse.BodyHandlers.ofString()).thenAccept(r -> {
                if (r.statusCode() != 202) throw new IllegalStateException("server: " + r.statusCode() + " " + r.body());
              }));
      awaitActive(all.size());
      joinerIp = standIn(1, joiner, 1);
      pingedIp = standIn(2, pinged, hosts);
    }

    /**
     * Waits until every host filters with the group (a server is ACTIVE once its ports are
     * plugged; their filter may come a job later) and the stand-ins do not ping each other.
     */
    private void awaitFiltered() throws Exception {
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      while (true) {
        boolean all = true;
        for (int k = 1; k <= hosts; k++) {
          try {
            inHost(k, "nft", "list", "chain", "inet", "nimbus-sg", "ingress-" + group);
          } catch (IllegalStateException notYet) {
            all = false;
          }
        }
        if (all && !ping()) return;
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the stand-in guests still ping each other before any rule lets them");
        }
        Thread.sleep(100); // polling the hosts' kernels
      }
    }

    /** A guest's NIC for the port on host {@code k}: a veth under its tap name; answers its address. */
    private String standIn(int n, String portId, int k) throws Exception {
      JsonNode port = h.getJson(NET + "/ports/" + portId).path("port");
      String ip = port.path("fixed_ips").get(0).path("ip_address").asText();
      String tap = TenantSegment.tapDevice(portId);
      String guest = PREFIX + "g" + n;
      String veth = PREFIX + "v" + n;
      sh("ip netns add " + guest);
      sh("ip link add " + veth + " mtu 1450 type veth peer name eth0 mtu 1450 address " + port.path("mac_address").asText()
          + " netns " + guest);
      sh("ip link set dev " + veth + " netns host" + k);
      sh("ip -n host" + k + " link set dev " + veth + " name " + tap);
      sh("ip -n host" + k + " link set dev " + tap + " master " + TenantSegment.bridgeOf(network) + " up");
      sh("ip -n " + guest + " addr add " + ip + "/16 dev eth0");
      sh("ip -n " + guest + " link set dev eth0 up");
      return ip;
    }

    /** Sets the joining port's groups; answers when the API answered. */
    private long setGroups(List<String> groups) throws Exception {
      HttpResponse<String> answer = h.http.send(h.put(NET + "/ports/" + joiner, "{\"port\": {\"security_groups\": [\""
          + String.join("\", \"", groups) + "\"]}}"), HttpResponse.BodyHandlers.ofString());
      long answered = System.nanoTime();
      expect(answer, 200);
      return answered;
    }

    /**
     * Whether host {@code k}'s group lets ICMP in from the top of the subnet, which no port has:
     * only the round's rule (ICMP from the whole CIDR) puts it in the group's set.
     */
    private boolean hasRule(int k) {
      return letsIcmpFrom(k, "10.68.255.254");
    }

    /** Whether host {@code k}'s group lets ICMP in from the joining port (its members do). */
    private boolean hasMember(int k) {
      return letsIcmpFrom(k, joinerIp);
    }

    /** A lookup in the group's ingress set of addresses by protocol, as the kernel makes it for a packet. */
    private boolean letsIcmpFrom(int k, String address) {
      try {
        inHost(k, "nft", "get", "element", "inet", "nimbus-sg", "in4p-" + group, "{", address, ".", "1", "}");
        return true;
      } catch (IllegalStateException absent) {
        return false;
      }
    }

    private static String inHost(int k, String... command) {
      List<String> all = new ArrayList<>(List.of("nsenter", "--net=/run/netns/host" + k));
      all.addAll(List.of(command));
      return ROOT.run(all, TIMEOUT);
    }

    /** Whether the first stand-in gets an answer from the second. */
    private boolean ping() {
      try {
        ROOT.run(List.of("ip", "netns", "exec", PREFIX + "g1", "ping", "-n", "-q", "-c", "1", "-W", "0.2",
            pingedIp), TIMEOUT);
        return true;
      } catch (IllegalStateException noAnswer) {
        return false;
      }
    }

    interface HostCheck {
      boolean test(int k);
    }

    /**
     * Polls every host until {@code check} answers {@code wanted}, and the ping until it passes or
     * not as {@code wanted}; answers the nanoTime each was first seen, hosts first, the ping last.
     */
    private long[] await(HostCheck check, boolean wanted) throws Exception {
      List<CompletableFuture<Long>> seen = new ArrayList<>();
      for (int k = 1; k <= hosts; k++) {
        int host = k;
        seen.add(poll(() -> check.test(host) == wanted));
      }
      seen.add(poll(() -> ping() == wanted));
      long[] at = new long[seen.size()];
      for (int i = 0; i < at.length; i++) at[i] = seen.get(i).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      return at;
    }

    private CompletableFuture<Long> poll(BooleanSupplier done) {
      return CompletableFuture.supplyAsync(() -> {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
          if (done.getAsBoolean()) return System.nanoTime();
          try {
            Thread.sleep(10); // a poll's pause: the hosts' agents share these 2 cores with the pollers
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
          }
        }
        throw new IllegalStateException("not in force within " + TIMEOUT);
      }, pollers);
    }

    private String create(String collection, String resource, String body) throws Exception {
      return expect(h.http.send(h.post(NET + collection, body), HttpResponse.BodyHandlers.ofString()), 201)
          .path(resource).path("id").asText();
    }

    private void awaitActive(int expected) throws Exception {
      long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
      while (System.nanoTime() < deadline) {
        JsonNode errors = h.getJson("/compute/v2.1/servers?status=ERROR&limit=1").path("servers");
        if (errors.size() > 0) {
          String id = errors.get(0).path("id").asText();
          throw new IllegalStateException("server " + id + " ended in ERROR: "
              + h.getJson("/compute/v2.1/servers/" + id).path("server").path("fault").path("message").asText());
        }
        if (h.getJson("/compute/v2.1/servers?status=ACTIVE&limit=10000").path("servers").size() == expected) return;
        Thread.sleep(500); // polling the API, as a client would
      }
      throw new IllegalStateException("servers still building after 10 minutes");
    }
  }

  private static JsonNode expect(HttpResponse<String> r, int status) {
    if (r.statusCode() != status) {
      throw new IllegalStateException(r.request().method() + " " + r.request().uri() + ": " + r.statusCode() + " " + r.body());
    }
    return r.body().isEmpty() ? BenchHarness.JSON.createObjectNode() : BenchHarness.read(r.body());
  }

  /** One kind of change: from the request and from the API's answer to each host and to the ping. */
  private static final class Samples {
    private final String what;
    private final List<Long> api = new ArrayList<>();
    private final List<Long> perHost = new ArrayList<>();
    private final List<Long> lastHost = new ArrayList<>();
    private final List<Long> requestToLastHost = new ArrayList<>();
    private final List<Long> ping = new ArrayList<>();
    private final boolean trace;

    Samples(String what, boolean trace) {
      this.what = what;
      this.trace = trace;
    }

    void add(long request, long answered, long[] seen) {
      long last = 0;
      for (int i = 0; i < seen.length - 1; i++) {
        perHost.add(seen[i] - answered);
        last = Math.max(last, seen[i]);
      }
      api.add(answered - request);
      lastHost.add(last - answered);
      requestToLastHost.add(last - request);
      ping.add(seen[seen.length - 1] - answered);
      if (trace) {
        StringBuilder line = new StringBuilder(java.time.LocalTime.now().minusNanos(System.nanoTime() - answered)
            + " " + what + ": answered " + (answered - request) / 1_000_000 + " ms after the request; then");
        for (int i = 0; i < seen.length - 1; i++) line.append(" host").append(i + 1).append(' ').append((seen[i] - answered) / 1_000_000);
        System.out.println(line.append(" ping ").append((seen[seen.length - 1] - answered) / 1_000_000).append(" ms"));
      }
    }

    void print() {
      System.out.println(what + ":");
      line("  request -> API answer", api);
      line("  API answer -> in force on each host", perHost);
      line("  API answer -> in force on the last host", lastHost);
      line("  request -> in force on the last host", requestToLastHost);
      line("  API answer -> ping shows it", ping);
    }

    private static void line(String name, List<Long> nanos) {
      System.out.printf("%-44s p50 %7.1f ms, p99 %7.1f ms, max %7.1f ms (%d)%n", name,
          BenchHarness.percentileMs(nanos, 50), BenchHarness.percentileMs(nanos, 99), BenchHarness.percentileMs(nanos, 100),
          nanos.size());
    }
  }

  private static void sh(String command) {
    ROOT.run(List.of(command.split(" ")), TIMEOUT);
  }

  private static void script(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(Path.of("scripts", "namespace-hosts.sh").toAbsolutePath().toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
    pb.environment().put("NIMBUS_HOSTS_DIR", STATE.toString());
    Process p = pb.start();
    if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IllegalStateException("namespace-hosts.sh " + String.join(" ", args) + " failed");
    }
  }

  /** The hosts (nodes, namespaces, bridge, cgroups), the stand-ins and the control node's credentials. */
  private static void cleanUp() {
    try {
      if (Files.isDirectory(STATE)) script("down");
      for (String guest : List.of(PREFIX + "g1", PREFIX + "g2")) {
        if (Files.exists(Path.of("/run/netns", guest))) sh("ip netns delete " + guest);
      }
      Path tls = STATE.resolve("control-tls");
      if (Files.isDirectory(tls)) {
        try (var files = Files.walk(tls)) {
          for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
      }
    } catch (IOException | InterruptedException | IllegalStateException e) {
      System.err.println("group-rollout: cleaning up failed: " + e.getMessage());
    }
  }
}
