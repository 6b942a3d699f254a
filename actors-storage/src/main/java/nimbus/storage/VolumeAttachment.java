package nimbus.storage;

import java.time.Instant;
import java.util.Optional;
import nimbus.cluster.CborSerializable;

/**
 * A volume's attachment to a server, as Cinder's volume view lists it: {@code id} is the
 * attachment's id, {@code device} and {@code hostName} are known once the server's host has the
 * disk ({@code attachedAt}). {@code declared}: only recorded through Cinder's API (its
 * {@code os-reserve} and {@code os-attach} actions, or its attachments API) by whoever connects the
 * disk themselves; no host of this cloud holds it, so Cinder's API may end it (one made through the
 * compute API only the server ends).
 *
 * <p>{@code status} is the attachment's own, as Cinder's attachments API shows it ({@code reserved},
 * {@code attaching}, {@code attached}); {@code mode} its {@code rw} or {@code ro}; {@code connector}
 * the connector its consumer gave (JSON text), once given; {@code createdAt} when it was made
 * through the attachments API; {@code transport} how the server's host opens the disk
 * ({@link #FILE}, {@link #RBD} or {@link #NBD}), once a server of this cloud has it (empty for
 * declared attachments and those recorded before it was kept).
 */
public record VolumeAttachment(String id, String serverId, Optional<String> device, Optional<String> hostName,
    Optional<Instant> attachedAt, boolean declared, String status, String mode, Optional<String> connector,
    Optional<Instant> createdAt, Optional<String> transport) implements CborSerializable {

  public static final String RESERVED = "reserved";
  public static final String ATTACHING = "attaching";
  public static final String ATTACHED = "attached";
  /** The storage host's own file, opened by a guest of that host. */
  public static final String FILE = "file";
  /** An RBD image every host opens through librbd. */
  public static final String RBD = "rbd";
  /** An NBD export of the storage host, opened over the network by another host. */
  public static final String NBD = "nbd";

  public VolumeAttachment {
    // absent in attachments recorded before the attachments API
    if (status == null) status = device != null && device.isPresent() ? ATTACHED : ATTACHING;
    if (mode == null) mode = "rw";
    if (connector == null) connector = Optional.empty();
    if (createdAt == null) createdAt = Optional.empty();
    if (transport == null) transport = Optional.empty();
  }

  /** How a host opens the disk at {@code path} (as a storage host's export answers it). */
  public static String transportOf(String path) {
    return NbdExport.isNbd(path) ? NBD : RbdSource.isRbd(path) ? RBD : FILE;
  }

  /** Reserved for the server, before its host has the disk. */
  public static VolumeAttachment reserved(String id, String serverId) {
    return new VolumeAttachment(id, serverId, Optional.empty(), Optional.empty(), Optional.empty(), false, ATTACHING,
        "rw", Optional.empty(), Optional.empty(), Optional.empty());
  }

  /** Declared through Cinder's actions: reserved (no server yet), or in use by {@code serverId} at {@code device}. */
  static VolumeAttachment declared(String id, String serverId, Optional<String> device, Optional<String> hostName,
      Optional<Instant> at) {
    return new VolumeAttachment(id, serverId, device, hostName, at, true, device.isPresent() ? ATTACHED : RESERVED, "rw",
        Optional.empty(), Optional.empty(), Optional.empty());
  }

  /**
   * Made through Cinder's attachments API for {@code serverId} (empty: none named): reserved, or with
   * a connector {@code attaching} at the connector's {@code mountpoint} on its {@code host}.
   */
  static VolumeAttachment created(String id, String serverId, String mode, Optional<Connector> connector, Instant at) {
    VolumeAttachment reserved = new VolumeAttachment(id, serverId, Optional.empty(), Optional.empty(), Optional.empty(),
        true, RESERVED, mode, Optional.empty(), Optional.of(at), Optional.empty());
    return connector.map(reserved::connected).orElse(reserved);
  }

  /** Its consumer gave its connector: {@code attaching}, where the connector says. */
  VolumeAttachment connected(Connector c) {
    return new VolumeAttachment(id, serverId, Optional.of(c.mountpoint()), Optional.of(c.host()), Optional.empty(),
        declared, ATTACHING, mode.equals("null") ? c.mode() : mode, Optional.of(c.json()), createdAt, transport);
  }

  /** Its consumer has the disk since {@code at} (only then is {@code attachedAt} known, as for every attachment). */
  VolumeAttachment completed(Instant at) {
    return new VolumeAttachment(id, serverId, device, hostName, Optional.of(at), declared, ATTACHED, mode, connector, createdAt, transport);
  }

  VolumeAttachment attached(String dev, String host, Optional<String> how, Instant at) {
    return new VolumeAttachment(id, serverId, Optional.of(dev), Optional.of(host), Optional.of(at), declared, ATTACHED,
        mode, connector, createdAt, how);
  }

  /**
   * A consumer's connector as Cinder records it: its {@code host}, its {@code mountpoint}
   * ({@code na} when not given, as Cinder writes it), the {@code mode} it asks ({@code rw} unless
   * given; an attachment already read-only stays so) and the whole connector as JSON text.
   */
  public record Connector(String host, String mountpoint, String mode, String json) implements CborSerializable {}
}
