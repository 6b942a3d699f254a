package nimbus.storage;

import nimbus.cluster.CborSerializable;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.pattern.StatusReply;

/**
 * What a volume's steps ask of a storage host's agent. Agents register with the receptionist under
 * {@link #ANY} and under {@link #of} their host's name. Every command is idempotent; one the agent
 * is busy with for the same volume goes unanswered, and the step asks again.
 */
public sealed interface StorageHostCommand extends CborSerializable {

  /** Every storage host: a new volume goes to one of them. */
  ServiceKey<StorageHostCommand> ANY = ServiceKey.create(StorageHostCommand.class, "storage-hosts");

  /** The storage host named {@code host}: the one that holds a volume's file. */
  static ServiceKey<StorageHostCommand> of(String host) {
    return ServiceKey.create(StorageHostCommand.class, "storage-host:" + host);
  }

  /** The storage hosts of backend {@code name} (a volume type's {@code volume_backend_name} chooses one). */
  static ServiceKey<StorageHostCommand> backend(String name) {
    return ServiceKey.create(StorageHostCommand.class, "storage-backend:" + name);
  }

  /** Makes the volume's file of {@code gigabytes} GiB; answered with the host's name. */
  record CreateVolume(String volumeId, int gigabytes, ActorRef<StatusReply<String>> replyTo)
      implements StorageHostCommand {}

  /** Grows the volume's file to {@code gigabytes} GiB. */
  record ResizeVolume(String volumeId, int gigabytes, ActorRef<StatusReply<Done>> replyTo)
      implements StorageHostCommand {}

  /** Removes the volume's file (answered also when there is none). */
  record RemoveVolume(String volumeId, ActorRef<StatusReply<Done>> replyTo) implements StorageHostCommand {}

  /**
   * Makes the volume's file reachable from compute host {@code toHost}; answered with what its
   * guest opens: the file's path for the storage host itself, else the URI of an NBD export
   * ({@link NbdExport#uri}) served on the storage host's own address (409 where the storage host
   * keeps no files, as under libvirt's test driver).
   */
  record ExportVolume(String volumeId, String toHost, ActorRef<StatusReply<String>> replyTo)
      implements StorageHostCommand {}

  /**
   * The volume's attachment is over: a storage host that serves it over NBD stops unless the volume
   * (read again) is attached to another host by now; any other ignores it. Told to every storage
   * host, not answered: the agent's reconciliation does the same later if this is lost.
   */
  record CheckExport(String volumeId) implements StorageHostCommand {}

  /** Makes snapshot {@code snapshotId}'s file, a full copy of the volume's (idempotent). */
  record SnapshotVolume(String volumeId, String snapshotId, ActorRef<StatusReply<Done>> replyTo)
      implements StorageHostCommand {}

  /** Removes the snapshot's file (answered also when there is none). */
  record RemoveSnapshot(String snapshotId, ActorRef<StatusReply<Done>> replyTo) implements StorageHostCommand {}

  /** Makes the volume's file of {@code gigabytes} GiB as a copy of volume {@code sourceId}'s; answered with the host's name. */
  record CloneVolume(String volumeId, String sourceId, int gigabytes, ActorRef<StatusReply<String>> replyTo)
      implements StorageHostCommand {}

  /** Makes the volume's file of {@code gigabytes} GiB as a copy of the snapshot's; answered with the host's name. */
  record CreateVolumeFrom(String volumeId, String snapshotId, int gigabytes, ActorRef<StatusReply<String>> replyTo)
      implements StorageHostCommand {}

  /**
   * Makes the volume's file of {@code gigabytes} GiB from the image file {@code file} (as
   * {@link VolumeImage#file}), inspected as {@code diskFormat} and converted to raw; refused when
   * the bytes fail the inspection or their virtual size exceeds the volume. Answered with the host's name.
   */
  record CreateVolumeFromImage(String volumeId, String file, String diskFormat, int gigabytes,
      ActorRef<StatusReply<String>> replyTo) implements StorageHostCommand {}

  /**
   * Converts the volume's file to {@code diskFormat} ({@code qemu-img convert -f raw -O FMT}) and
   * uploads it through the image store as the data of the queued image {@code imageId}; answered
   * once the image is active (also when it was already).
   */
  record UploadToImage(String volumeId, String imageId, String diskFormat, ActorRef<StatusReply<Done>> replyTo)
      implements StorageHostCommand {}

  /**
   * A host of a volume's new backend, as a retype's migration finds it: its name, and for a backend
   * every host opens (RBD) where the volume's storage is to be written ({@link RbdSource#uri}).
   */
  record Receiver(String host, java.util.Optional<String> rbd) implements CborSerializable {}

  /** Answers this host as a {@link Receiver} of the volume's bytes. */
  record ReceiverOf(String volumeId, ActorRef<StatusReply<Receiver>> replyTo) implements StorageHostCommand {}

  /** Where the volume's bytes are read from by another host: its RBD source ({@link RbdSource#uri}); 409 for a file. */
  record SourceOf(String volumeId, ActorRef<StatusReply<String>> replyTo) implements StorageHostCommand {}

  /**
   * Makes the volume's storage of {@code gigabytes} GiB as a raw copy of the RBD image {@code source}
   * ({@link RbdSource#uri}, read with this host's own Ceph client; never probed for a format), unless
   * it has it; answered with the host's name.
   */
  record ReceiveVolume(String volumeId, String source, int gigabytes, ActorRef<StatusReply<String>> replyTo)
      implements StorageHostCommand {}

  /**
   * Writes the volume's bytes, raw, as the RBD image {@code target} ({@link RbdSource#uri}, a
   * {@link Receiver}'s, written with this host's own Ceph client) of {@code gigabytes} GiB, unless it is there.
   */
  record SendVolume(String volumeId, String target, int gigabytes, ActorRef<StatusReply<Done>> replyTo)
      implements StorageHostCommand {}
}
