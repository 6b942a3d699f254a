package nimbus.node.storage;

import java.util.Map;

/**
 * Where a storage host keeps its volumes. Every call blocks: call it on the blocking executor,
 * never on an actor thread. Every change is idempotent, so a step asked again changes nothing twice.
 */
public interface StorageBackend extends AutoCloseable {

  /** The volumes it holds that Nimbus made, by volume id, with their capacity in bytes. */
  Map<String, Long> volumes();

  /** The ids of the snapshots whose storage it holds. */
  java.util.Set<String> snapshots();

  /**
   * Its own leftovers: files of a create, copy or upload cut short (a crash), by name, each with
   * the id of the volume or snapshot it was written for. Never anything it did not make.
   */
  Map<String, String> leftovers();

  /** Removes one of its {@link #leftovers}; refuses any other name. */
  void removeLeftover(String name);

  /** Makes the volume's storage of {@code bytes} unless it has it; a half-made one is removed on failure. */
  void create(String volumeId, long bytes);

  /** Grows the volume's storage to {@code bytes} (no change if it is that large already). */
  void resize(String volumeId, long bytes);

  /**
   * The path of the volume's file, as a guest on this host opens it, or for a {@link #direct}
   * backend the network source any host opens (fails when there is none).
   */
  String path(String volumeId);

  /** Whether every compute host opens its volumes directly by {@link #path} (a network store), with no export. */
  default boolean direct() {
    return false;
  }

  /** Removes the volume's storage, if any. */
  void remove(String volumeId);

  /** Makes the snapshot's storage, a full copy of the volume's, unless it has it; a half-made copy is removed on failure. */
  void snapshot(String volumeId, String snapshotId);

  /** The path of the snapshot's file on this host, read as raw bytes by a backup of it (fails when there is none). */
  default String snapshotPath(String snapshotId) {
    throw new StorageException("This storage backend keeps no snapshot files to back up", null);
  }

  /**
   * Opens the volume's bytes, or given {@code snapshotId} that snapshot's of it, as raw bytes for a
   * backup (never probed for a format); the caller closes the channel, which then fails if the read
   * did. Files by default: {@link #path} and {@link #snapshotPath}.
   */
  default java.nio.channels.ReadableByteChannel openRaw(String volumeId, java.util.Optional<String> snapshotId)
      throws java.io.IOException {
    String file = snapshotId.isPresent() ? snapshotPath(snapshotId.get()) : path(volumeId);
    return java.nio.channels.FileChannel.open(java.nio.file.Path.of(file), java.nio.file.StandardOpenOption.READ);
  }

  /** A writer of the volume's raw bytes for a restore; the caller closes it. Files by default: {@link #path}. */
  default RawWriter rawWriter(String volumeId) throws java.io.IOException {
    return RawWriter.file(java.nio.file.Path.of(path(volumeId)));
  }

  /**
   * A writer of the volume's raw bytes into {@code rbdImage} ({@code RbdSource#uri}), the volume's own
   * RBD image that another host serves, with this host's own Ceph client; the caller closes it.
   */
  default RawWriter rawWriterOf(String volumeId, String rbdImage) throws java.io.IOException {
    throw new StorageException("This storage host has no Ceph client to write volume " + volumeId + " with.", null);
  }

  /** Removes the snapshot's storage, if any. */
  void removeSnapshot(String snapshotId);

  /**
   * Makes the volume's storage as a copy of the snapshot's, grown to {@code bytes} if that is
   * larger, unless it has it; a half-made one is removed on failure.
   */
  void createFrom(String volumeId, String snapshotId, long bytes);

  /** Makes the volume's storage as a copy of volume {@code sourceId}'s, grown to {@code bytes}, as {@link #createFrom}. */
  void cloneVolume(String volumeId, String sourceId, long bytes);

  /**
   * Makes the volume's storage of {@code bytes} from the image file {@code image}, unless it has it:
   * the file is inspected as {@code diskFormat} (the format is never probed), refused if it
   * references anything besides itself or its virtual size exceeds {@code bytes}, then converted
   * to raw. A half-made one is removed on failure.
   */
  void createFromImage(String volumeId, java.nio.file.Path image, String diskFormat, long bytes);

  /**
   * A new file of the volume's bytes as {@code diskFormat} ({@code raw} or {@code qcow2}), for an
   * upload into the image service; the caller removes it once it is uploaded.
   */
  java.nio.file.Path exportImage(String volumeId, String diskFormat);

  /**
   * For a backend every host opens (RBD): where the volume's storage is, or is to be written by
   * another host ({@code RbdSource#uri}); empty for a backend of files.
   */
  default java.util.Optional<String> rbdTarget(String volumeId) {
    return java.util.Optional.empty();
  }

  /**
   * Makes the volume's storage of {@code bytes} as a raw copy (never probed for a format) of the
   * RBD image {@code rbdSource} ({@code RbdSource#uri}), read with this host's own Ceph client,
   * unless it has it; a half-made one is removed on failure.
   */
  default void receive(String volumeId, String rbdSource, long bytes) {
    throw new StorageException("This storage host has no Ceph client to read volume " + volumeId + " from.", null);
  }

  /**
   * Writes the volume's bytes, raw, as the RBD image {@code rbdTarget} (the volume's own name in
   * another pool or cluster) of {@code bytes}, with this host's own Ceph client, unless it is there.
   */
  default void send(String volumeId, String rbdTarget, long bytes) {
    throw new StorageException("This storage host has no Ceph client to write volume " + volumeId + " with.", null);
  }

  @Override
  void close();
}
