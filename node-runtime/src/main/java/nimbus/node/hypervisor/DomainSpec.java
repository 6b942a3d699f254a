package nimbus.node.hypervisor;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Everything a domain definition needs, already resolved to paths on this host; {@code configDrive}:
 * the server's config drive image, if it has one; {@code volumes}: the volumes attached to it.
 */
public record DomainSpec(String name, String uuid, String domainType, int vcpus, int ramMb,
    Optional<Path> kernel, Optional<Path> ramdisk, String cmdline, Optional<Path> disk,
    Path consoleLog, List<Nic> nics, Optional<Path> configDrive, List<Volume> volumes) {

  public DomainSpec {
    nics = List.copyOf(nics);
    if (configDrive == null) configDrive = Optional.empty();
    volumes = volumes == null ? List.of() : List.copyOf(volumes);
  }

  /** A domain without a config drive or volumes. */
  public DomainSpec(String name, String uuid, String domainType, int vcpus, int ramMb, Optional<Path> kernel,
      Optional<Path> ramdisk, String cmdline, Optional<Path> disk, Path consoleLog, List<Nic> nics) {
    this(name, uuid, domainType, vcpus, ramMb, kernel, ramdisk, cmdline, disk, consoleLog, nics, Optional.empty(),
        List.of());
  }

  /** A volume's file, as virtio disk {@code device} (e.g. {@code /dev/vdb}) with the volume's id as its serial. */
  public record Volume(String path, String device, String volumeId) {}

  /**
   * A virtio NIC on a host bridge, with the MAC its DHCP lease is for; on a tenant network also
   * the network's MTU (the guest's NIC and its tap are made at it) and the tap's name (so the
   * agent knows which devices are its guests').
   */
  public record Nic(String bridge, String mac, Optional<Integer> mtu, Optional<String> tap) {

    /** A NIC on the host-local network: the bridge's MTU, a tap named by libvirt. */
    public static Nic local(String bridge, String mac) {
      return new Nic(bridge, mac, Optional.empty(), Optional.empty());
    }
  }
}
