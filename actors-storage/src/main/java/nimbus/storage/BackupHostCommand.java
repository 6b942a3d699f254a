package nimbus.storage;

import java.util.List;
import java.util.Optional;
import nimbus.cluster.CborSerializable;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.pattern.StatusReply;

/**
 * What a backup's steps ask of the backup agent of the storage host that holds the volume: it
 * registers under {@link #of} its host's name. Every command is idempotent by backup; one the agent
 * is busy with goes unanswered, and the step asks again.
 */
public sealed interface BackupHostCommand extends CborSerializable {

  /** The size of a backup's chunks: a manifest names one per 4 MiB of the volume. */
  int CHUNK_BYTES = 4 * 1024 * 1024;

  static ServiceKey<BackupHostCommand> of(String host) {
    return ServiceKey.create(BackupHostCommand.class, "backup-host:" + host);
  }

  /**
   * A backup's chunks: {@code chunks} the SHA-512 (hex) of each chunk of the volume in order, empty
   * for a chunk of zeros; {@code bytesWritten} what its create wrote (chunks stored already cost nothing).
   */
  record Manifest(List<String> chunks, long bytesWritten) implements CborSerializable {
    public Manifest {
      chunks = List.copyOf(chunks);
    }
  }

  /**
   * Reads the volume's file (or, given {@code snapshotId}, that snapshot's file of it) as raw bytes
   * and stores its chunks for backup {@code backupId}.
   */
  record StoreChunks(String backupId, String volumeId, Optional<String> snapshotId,
      ActorRef<StatusReply<Manifest>> replyTo) implements BackupHostCommand {
    public StoreChunks {
      if (snapshotId == null) snapshotId = Optional.empty();
    }
  }

  /**
   * Makes backup {@code backupId} (an imported record's) name {@code chunks}, which the host's
   * store must hold already; refused for any name that is not a chunk it holds.
   */
  record AdoptChunks(String backupId, List<String> chunks, ActorRef<StatusReply<Done>> replyTo)
      implements BackupHostCommand {
    public AdoptChunks {
      chunks = List.copyOf(chunks);
    }
  }

  /**
   * Writes the chunks into the volume's storage, each verified against its hash as it is read: the
   * host's own, or given {@code rbdImage} ({@link RbdSource#uri}) the volume's RBD image that another
   * host serves, written with this host's own Ceph client.
   */
  record RestoreChunks(String backupId, String volumeId, List<String> chunks, Optional<String> rbdImage,
      ActorRef<StatusReply<Done>> replyTo) implements BackupHostCommand {
    public RestoreChunks {
      chunks = List.copyOf(chunks);
      if (rbdImage == null) rbdImage = Optional.empty();
    }
  }

  /** Forgets the backup: its manifest, and every chunk of it no other backup names (answered also when there is none). */
  record RemoveChunks(String backupId, ActorRef<StatusReply<Done>> replyTo) implements BackupHostCommand {}
}
