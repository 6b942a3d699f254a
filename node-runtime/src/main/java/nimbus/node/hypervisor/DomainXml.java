package nimbus.node.hypervisor;

import java.util.Optional;

/**
 * Builds libvirt domain XML from a {@link DomainSpec}: direct kernel boot when a kernel is
 * given, a virtio root disk when a disk is given (else the volume at {@code /dev/vda}, booted first), a read-only cdrom for a config drive, a virtio NIC (with its MAC, and on tenant
 * networks its MTU and tap name) on its bridge for each NIC given,
 * the serial console logged to a file by virtlogd (that file is what the console-output API reads), no graphics
 * (headless).
 */
public final class DomainXml {
  private DomainXml() {}

  public static String of(DomainSpec spec) {
    StringBuilder x = new StringBuilder();
    x.append("<domain type='").append(spec.domainType()).append("'>\n");
    x.append("  <name>").append(escape(spec.name())).append("</name>\n");
    x.append("  <uuid>").append(spec.uuid()).append("</uuid>\n");
    x.append("  <memory unit='MiB'>").append(spec.ramMb()).append("</memory>\n");
    x.append("  <vcpu>").append(spec.vcpus()).append("</vcpu>\n");
    x.append("  <os>\n");
    x.append("    <type arch='x86_64'").append(spec.domainType().equals("test") ? "" : " machine='pc'")
        .append(">hvm</type>\n");
    spec.kernel().ifPresent(k -> {
      x.append("    <kernel>").append(escape(k.toString())).append("</kernel>\n");
      spec.ramdisk().ifPresent(r -> x.append("    <initrd>").append(escape(r.toString())).append("</initrd>\n"));
      x.append("    <cmdline>").append(escape(spec.cmdline())).append("</cmdline>\n");
    });
    Optional<DomainSpec.Volume> bootVolume = bootVolume(spec);
    if (spec.kernel().isEmpty() && bootVolume.isEmpty()) x.append("    <boot dev='hd'/>\n");
    x.append("  </os>\n");
    // ACPI, as Nova's libvirt driver gives every guest: without it QEMU's PCI bus takes no
    // hot-plugged device, so no volume or NIC could be attached to a running guest
    if (!spec.domainType().equals("test")) x.append("  <features><acpi/><apic/></features>\n");
    x.append("  <on_poweroff>destroy</on_poweroff>\n");
    x.append("  <on_reboot>restart</on_reboot>\n");
    x.append("  <on_crash>destroy</on_crash>\n");
    x.append("  <devices>\n");
    // a server booted from a volume: the volume's file is its first disk, and the one it boots
    bootVolume.ifPresent(v -> x.append(volumeDisk(v.path(), v.device(), v.volumeId(), true)));
    spec.disk().ifPresent(d -> {
      x.append("    <disk type='file' device='disk'>\n");
      x.append("      <driver name='qemu' type='qcow2'/>\n");
      x.append("      <source file='").append(escape(d.toString())).append("'/>\n");
      x.append("      <target dev='vda' bus='virtio'/>\n");
      x.append("    </disk>\n");
    });
    // the config drive as Nova's libvirt driver attaches disk.config: a read-only IDE cdrom (the
    // guest finds it by its label, config-2, whatever its device)
    spec.configDrive().ifPresent(iso -> {
      x.append("    <disk type='file' device='cdrom'>\n");
      x.append("      <driver name='qemu' type='raw'/>\n");
      x.append("      <source file='").append(escape(iso.toString())).append("'/>\n");
      x.append("      <target dev='hdd' bus='ide'/>\n");
      x.append("      <readonly/>\n");
      x.append("    </disk>\n");
    });
    for (DomainSpec.Volume v : spec.volumes()) {
      if (bootVolume.filter(v::equals).isEmpty()) x.append(volumeDisk(v.path(), v.device(), v.volumeId()));
    }
    for (DomainSpec.Nic nic : spec.nics()) x.append(nic(nic));
    // the console's output goes through virtlogd, which rotates the file at its max_size (2 MiB
    // unless /etc/libvirt/virtlogd.conf says otherwise): a guest that writes without end cannot
    // fill the host's disk, as it could through a plain file
    x.append("    <serial type='pty'>\n");
    x.append("      <log file='").append(escape(spec.consoleLog().toString())).append("' append='on'/>\n");
    x.append("      <target port='0'/>\n");
    x.append("    </serial>\n");
    x.append("  </devices>\n");
    x.append("</domain>\n");
    return x.toString();
  }

  /** The volume a domain without root disk or kernel boots: the one at its first virtio disk. */
  private static Optional<DomainSpec.Volume> bootVolume(DomainSpec spec) {
    if (spec.disk().isPresent() || spec.kernel().isPresent()) return Optional.empty();
    return spec.volumes().stream().filter(v -> targetOf(v.device()).equals("vda")).findFirst();
  }

  static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace("'", "&apos;").replace("\"", "&quot;");
  }

  /** One NIC's {@code <interface>} element, as the domain has it and as it is hot-plugged. */
  public static String nic(DomainSpec.Nic nic) {
    StringBuilder x = new StringBuilder();
    x.append("    <interface type='bridge'>\n");
    x.append("      <mac address='").append(escape(nic.mac())).append("'/>\n");
    x.append("      <source bridge='").append(escape(nic.bridge())).append("'/>\n");
    nic.tap().ifPresent(tap -> x.append("      <target dev='").append(escape(tap)).append("'/>\n"));
    x.append("      <model type='virtio'/>\n");
    // the guest learns the MTU from virtio and libvirt makes the tap at it, so a guest on an
    // overlay never sends frames the tunnel must drop
    nic.mtu().ifPresent(mtu -> x.append("      <mtu size='").append(mtu).append("'/>\n"));
    x.append("    </interface>\n");
    return x.toString();
  }

  /** Whether a definition (libvirt's own XML) has a NIC of this MAC. */
  public static boolean hasNic(String definition, String mac) {
    return definition.contains("<mac address='" + mac.toLowerCase() + "'/>");
  }

  /** The definition with the NIC added (for a driver that cannot hot-plug into a definition). */
  public static String withNic(String definition, DomainSpec.Nic nic) {
    if (hasNic(definition, nic.mac())) return definition;
    int end = definition.lastIndexOf("</devices>");
    return definition.substring(0, end) + nic(nic) + "  " + definition.substring(end);
  }

  /** The definition without the NIC of that MAC. */
  public static String withoutNic(String definition, String mac) {
    return definition.replaceAll("(?s)\\s*<interface\\b(?:(?!</interface>).)*?<mac address='"
        + java.util.regex.Pattern.quote(mac.toLowerCase()) + "'/>(?:(?!</interface>).)*?</interface>", "");
  }

  /**
   * A volume's {@code <disk>} as virtio disk {@code device} ({@code /dev/vdb} → {@code vdb}), with
   * the volume's id as its serial, as Nova sets it (the guest finds it under
   * {@code /dev/disk/by-id}): its raw file when {@code exported} is the storage host's path (this
   * host is the storage host), else the storage host's NBD export ({@link nimbus.storage.NbdExport}'s
   * URI, refused unless exactly of its form), which QEMU's own NBD client opens.
   */
  public static String volumeDisk(String exported, String device, String volumeId) {
    return volumeDisk(exported, device, volumeId, false);
  }

  /** A volume's {@code <disk>}, the one the domain boots first when {@code boot}. */
  private static String volumeDisk(String exported, String device, String volumeId, boolean boot) {
    if (!nimbus.storage.NbdExport.isNbd(exported) && !nimbus.storage.RbdSource.isRbd(exported) && !exported.startsWith("/")) {
      throw new IllegalArgumentException("neither a file's path, an NBD export nor an RBD image: " + exported);
    }
    return (nimbus.storage.NbdExport.isNbd(exported) ? nbdSource(nimbus.storage.NbdExport.parse(exported))
            : nimbus.storage.RbdSource.isRbd(exported) ? rbdSource(nimbus.storage.RbdSource.parse(exported), volumeId)
            : "    <disk type='file' device='disk'>\n"
                + "      <driver name='qemu' type='raw' cache='none'/>\n"
                + "      <source file='" + escape(exported) + "'/>\n")
        + "      <target dev='" + escape(targetOf(device)) + "' bus='virtio'/>\n"
        + "      <serial>" + escape(volumeId) + "</serial>\n"
        + (boot ? "      <boot order='1'/>\n" : "")
        + "    </disk>\n";
  }

  /**
   * An NBD export's disk and source. When the connection breaks (the storage host's daemon started
   * again by its agent), QEMU's client connects again at the guest's next request; the request that
   * found it broken fails (libvirt 9.0 has no {@code <reconnect>} for NBD disks to make it wait).
   */
  private static String nbdSource(nimbus.storage.NbdExport export) {
    return "    <disk type='network' device='disk'>\n"
        + "      <driver name='qemu' type='raw' cache='none'/>\n"
        + "      <source protocol='nbd' name='" + escape(export.name()) + "'>\n"
        + "        <host name='" + escape(export.address()) + "' port='" + export.port() + "'/>\n"
        + "      </source>\n";
  }

  /**
   * An RBD image's disk and source, opened by QEMU's librbd as the source's user with the key in
   * libvirt's secret {@link #cephSecretUuid}. The image is the volume's own, named from its id
   * (anything else is refused), so no answer can attach another image of the pool.
   */
  private static String rbdSource(nimbus.storage.RbdSource source, String volumeId) {
    if (!source.image().equals(nimbus.node.storage.LibvirtPoolBackend.PREFIX + volumeId)) {
      throw new IllegalArgumentException("RBD image " + source.image() + " is not volume " + volumeId + "'s");
    }
    StringBuilder x = new StringBuilder()
        .append("    <disk type='network' device='disk'>\n")
        .append("      <driver name='qemu' type='raw' cache='none'/>\n")
        .append("      <auth username='").append(escape(source.user())).append("'>\n")
        .append("        <secret type='ceph' uuid='").append(cephSecretUuid(source.user())).append("'/>\n")
        .append("      </auth>\n")
        .append("      <source protocol='rbd' name='").append(escape(source.pool() + "/" + source.image())).append("'>\n");
    for (nimbus.storage.RbdSource.Monitor m : source.monitors()) {
      x.append("        <host name='").append(escape(m.address())).append("' port='").append(m.port()).append("'/>\n");
    }
    return x.append("      </source>\n").toString();
  }

  /**
   * The UUID of the libvirt secret that holds Ceph client {@code user}'s key on every host: the
   * same everywhere, so a domain's definition moves between hosts unchanged.
   */
  public static java.util.UUID cephSecretUuid(String user) {
    return java.util.UUID.nameUUIDFromBytes(("nimbus ceph client." + user).getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /** The target name libvirt gives a device path: {@code /dev/vdb} → {@code vdb}. */
  static String targetOf(String device) {
    return device.startsWith("/dev/") ? device.substring("/dev/".length()) : device;
  }

  /** Whether a definition (libvirt's own XML) has a disk at {@code device}. */
  public static boolean hasDisk(String definition, String device) {
    return definition.contains("<target dev='" + targetOf(device) + "'");
  }

  /** The definition with the disk added (unless one is at its device already). */
  public static String withDisk(String definition, String device, String disk) {
    if (hasDisk(definition, device)) return definition;
    int end = definition.lastIndexOf("</devices>");
    return definition.substring(0, end) + disk + "  " + definition.substring(end);
  }

  /** The {@code <disk>} element at {@code device} of a definition (what a live detach names). */
  public static String diskOf(String definition, String device) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?s)<disk\\b(?:(?!</disk>).)*?<target dev='"
        + java.util.regex.Pattern.quote(targetOf(device)) + "'(?:(?!</disk>).)*?</disk>").matcher(definition);
    if (!m.find()) throw new IllegalArgumentException("no disk at " + device);
    return m.group();
  }

  /** The definition without the disk at {@code device}. */
  public static String withoutDisk(String definition, String device) {
    return definition.replaceAll("(?s)\\s*<disk\\b(?:(?!</disk>).)*?<target dev='"
        + java.util.regex.Pattern.quote(targetOf(device)) + "'(?:(?!</disk>).)*?</disk>", "");
  }
}
