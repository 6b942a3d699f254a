package nimbus.storage;

import java.util.Optional;
import nimbus.cluster.CborSerializable;

/**
 * A backup's restore while it runs: into volume {@code volumeId} (named {@code volumeName}),
 * an existing one or one the restore creates ({@code create}, as requested), whether that volume
 * exists yet ({@code volumeCreated}; an existing one does from the start), whether it is held
 * {@code restoring-backup} ({@code volumeHeld}), whether its bytes are written ({@code written})
 * and why not ({@code failure}).
 */
public record BackupRestore(String volumeId, String volumeName, Optional<Volume> create, boolean volumeCreated,
    boolean volumeHeld, boolean written, Optional<String> failure) implements CborSerializable {

  /** A restore into the existing volume {@code volumeId}. */
  public static BackupRestore into(String volumeId, String volumeName) {
    return new BackupRestore(volumeId, volumeName, Optional.empty(), true, false, false, Optional.empty());
  }

  /** A restore into a new volume, created as {@code volume} ({@link Volume#requested}). */
  public static BackupRestore intoNew(Volume volume) {
    return new BackupRestore(volume.id(), volume.name(), Optional.of(volume), false, false, false, Optional.empty());
  }

  BackupRestore created() {
    return new BackupRestore(volumeId, volumeName, create, true, volumeHeld, written, failure);
  }

  BackupRestore held() {
    return new BackupRestore(volumeId, volumeName, create, volumeCreated, true, written, failure);
  }

  BackupRestore written(Optional<String> why) {
    return new BackupRestore(volumeId, volumeName, create, volumeCreated, volumeHeld, true, why);
  }
}
