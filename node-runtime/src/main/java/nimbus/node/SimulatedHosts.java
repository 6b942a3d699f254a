package nimbus.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import nimbus.config.HostSettings;
import nimbus.edge.ApiServer;
import nimbus.node.agent.HostAgent;
import nimbus.node.agent.ImageCache;
import nimbus.node.agent.ImageStoreClient;
import nimbus.node.agent.ProcessRunner;
import nimbus.node.agent.ServerOperations;
import nimbus.node.dataplane.LocalNetwork;
import nimbus.node.dataplane.RecordingDataplane;
import nimbus.node.dataplane.RecordingTenantHost;
import nimbus.node.hypervisor.Hypervisor;
import nimbus.node.hypervisor.LibvirtHypervisor;
import org.apache.pekko.actor.typed.Props;

/**
 * Many hypervisor hosts in one node, for scale tests and benchmarks: each is a real host agent
 * with a libvirt test driver of its own (a private in-process hypervisor described by a small
 * XML file), and recording dataplanes (host-local and tenant networks). To the cluster they are hosts like any other.
 */
public final class SimulatedHosts implements AutoCloseable {
  private final List<Hypervisor> hypervisors = new ArrayList<>();
  private final List<String> names = new ArrayList<>();

  /** Starts {@code count} hosts named {@code prefix-0...}, each with these CPUs and this RAM. */
  public SimulatedHosts(Node node, String prefix, int count, int cpus, int ramMb) throws IOException {
    Path dir = Files.createDirectories(node.settings().dataDir().resolve("simulated-hosts"));
    HostSettings base = node.settings().host();
    ImageStoreClient store = new ImageStoreClient(node.system(), Duration.ofMinutes(5));
    for (int i = 0; i < count; i++) {
      String name = prefix + "-" + i;
      Path driver = Files.writeString(dir.resolve(name + ".xml"), """
          <node>
            <cpu><mhz>2000</mhz><nodes>1</nodes><sockets>1</sockets><cores>%d</cores><threads>1</threads></cpu>
            <memory>%d</memory>
          </node>
          """.formatted(cpus, ramMb * 1024L));
      HostSettings settings = new HostSettings(name, "test://" + driver, "test", base.instancesDir().resolve(name),
          base.heartbeatInterval(), base.reconcileInterval(), base.gracefulShutdownTimeout(),
          base.cpuAllocationRatio(), base.ramAllocationRatio(), base.diskAllocationRatio(), base.diskGb(),
          "recording", base.bridge(), base.cidr(), base.dhcpDir(), base.availabilityZone(), base.imageCacheKeep(), base.underlayAddress(),
          base.physicalInterfaces());
      Hypervisor hypervisor = new LibvirtHypervisor(settings.hypervisorUri());
      hypervisors.add(hypervisor);
      names.add(name);
      ServerOperations operations = new ServerOperations(hypervisor, settings, new ProcessRunner(),
          new RecordingDataplane(new LocalNetwork(settings.bridge(), settings.cidr())),
          new ImageCache(settings.instancesDir().resolve("_base"), store), store);
      node.system().systemActorOf(HostAgent.create(settings, hypervisor, operations, new RecordingTenantHost(),
          ApiServer.blockingExecutor(node.system())), "simulated-" + name, Props.empty());
    }
  }

  public List<String> names() {
    return List.copyOf(names);
  }

  public Hypervisor hypervisor(int index) {
    return hypervisors.get(index);
  }

  @Override
  public void close() {
    hypervisors.forEach(Hypervisor::close);
  }
}
