package nimbus.node.hypervisor;

import java.nio.file.Path;
import java.util.Optional;

/** Everything a domain definition needs, already resolved to paths on this host. */
public record DomainSpec(String name, String uuid, String domainType, int vcpus, int ramMb,
    Optional<Path> kernel, Optional<Path> ramdisk, String cmdline, Optional<Path> disk,
    Path consoleLog, Optional<Nic> nic) {

  /** A virtio NIC on a host bridge, with the MAC its DHCP lease is for. */
  public record Nic(String bridge, String mac) {}
}
