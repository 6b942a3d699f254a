package nimbus.node.storage;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.libvirt.Connect;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.LibvirtException;
import org.libvirt.StoragePool;
import org.libvirt.StorageVol;

/**
 * Volumes as raw files in a libvirt storage pool, through libvirt's storage API. With a directory,
 * the pool is a transient {@code dir} pool there, started on first use if libvirt lacks it and
 * stopped on {@link #close} (the files stay; nothing is left in libvirt's configuration); without,
 * the pool must exist (as {@code test:///default}'s {@code default-pool} does). Its files are
 * named {@link #PREFIX} and the volume id, so it knows its own from anything else in the pool.
 */
public final class LibvirtPoolBackend implements StorageBackend {
  public static final String PREFIX = "nimbus-volume-";
  /** Snapshots' files: not volumes, so the reconciliation of volumes leaves them alone. */
  public static final String SNAPSHOT_PREFIX = "nimbus-snapshot-";
  // held for the life of the process: libvirt calls it from native code
  private static final org.libvirt.ErrorCallback SILENT_ERRORS = new org.libvirt.ErrorCallback();

  private final Connect connect;
  private final String poolName;
  private final Optional<Path> dir;
  /** Whether this backend started the pool (and so stops it on close). */
  private volatile boolean started;
  private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

  public LibvirtPoolBackend(String uri, String poolName, Optional<Path> dir) {
    this.poolName = poolName;
    this.dir = dir;
    try {
      // errors reach us as exceptions; libvirt's default handler would also print them to stderr
      Connect.setErrorCallback(SILENT_ERRORS);
      this.connect = new Connect(uri, false);
    } catch (LibvirtException e) {
      throw new StorageException("cannot connect to " + uri + ": " + e.getMessage(), e);
    }
  }

  /** A pool name of its own for each directory, so nodes on one libvirtd never share a pool. */
  public static String poolNameFor(Path dir) {
    return "nimbus-volumes-" + Integer.toHexString(dir.toAbsolutePath().normalize().toString().hashCode());
  }

  /** The {@code dir} pool's libvirt definition. */
  static String poolXml(String name, Path dir) {
    return "<pool type='dir'><name>" + name + "</name><target><path>" + dir.toAbsolutePath() + "</path></target></pool>";
  }

  /** The raw volume's libvirt definition. */
  static String volumeXml(String volumeId, long bytes) {
    return rawXml(PREFIX + volumeId, bytes);
  }

  /** A raw file's libvirt definition. */
  static String rawXml(String name, long bytes) {
    return "<volume><name>" + name + "</name><capacity unit='bytes'>" + bytes
        + "</capacity><allocation unit='bytes'>0</allocation><target><format type='raw'/></target></volume>";
  }

  /** The pool, started here in its directory if libvirt lacks it and this backend has one. */
  private synchronized StoragePool pool() throws LibvirtException {
    Optional<StoragePool> found = lookupPool();
    if (found.isPresent() || dir.isEmpty()) {
      return found.orElseThrow(() -> new StorageException("no storage pool " + poolName, null));
    }
    try {
      java.nio.file.Files.createDirectories(dir.get());
    } catch (java.io.IOException e) {
      throw new StorageException("cannot make " + dir.get() + ": " + e.getMessage(), e);
    }
    StoragePool pool = connect.storagePoolCreateXML(poolXml(poolName, dir.get()), 0);
    started = true;
    return pool;
  }

  @Override
  public Map<String, Long> volumes() {
    // no directory yet: no volume was ever made here, and listing starts no pool
    if (dir.isPresent() && !java.nio.file.Files.isDirectory(dir.get()) && !poolExists()) return Map.of();
    return withPool(pool -> {
      pool.refresh(0);
      Map<String, Long> out = new HashMap<>();
      for (String name : pool.listVolumes()) {
        if (!name.startsWith(PREFIX)) continue;
        Optional<StorageVol> v = lookup(pool, name);
        if (v.isEmpty()) continue; // removed between the listing and this look
        try {
          out.put(name.substring(PREFIX.length()), v.get().getInfo().capacity);
        } finally {
          v.get().free();
        }
      }
      return out;
    });
  }

  @Override
  public void create(String volumeId, long bytes) {
    withPool(pool -> {
      Optional<StorageVol> existing = lookup(pool, PREFIX + volumeId);
      if (existing.isPresent()) {
        existing.get().free();
        return null;
      }
      try {
        pool.storageVolCreateXML(volumeXml(volumeId, bytes), 0).free();
      } catch (LibvirtException e) {
        // a file half made (the pool filled up) must not stay as if it were the volume
        lookup(pool, PREFIX + volumeId).ifPresent(this::deleteQuietly);
        throw e;
      }
      return null;
    });
  }

  @Override
  public void resize(String volumeId, long bytes) {
    withPool(pool -> {
      StorageVol v = lookup(pool, PREFIX + volumeId)
          .orElseThrow(() -> new StorageException("no storage for volume " + volumeId, null));
      try {
        if (v.getInfo().capacity < bytes) v.resize(bytes, 0);
      } finally {
        v.free();
      }
      return null;
    });
  }

  @Override
  public String path(String volumeId) {
    return withPool(pool -> {
      StorageVol v = lookup(pool, PREFIX + volumeId)
          .orElseThrow(() -> new StorageException("no storage for volume " + volumeId, null));
      try {
        return v.getPath();
      } finally {
        v.free();
      }
    });
  }

  @Override
  public void remove(String volumeId) {
    withPool(pool -> {
      Optional<StorageVol> v = lookup(pool, PREFIX + volumeId);
      if (v.isPresent()) {
        try {
          v.get().delete(0);
        } finally {
          v.get().free();
        }
      }
      return null;
    });
  }

  @Override
  public void snapshot(String volumeId, String snapshotId) {
    copy(PREFIX + volumeId, SNAPSHOT_PREFIX + snapshotId, 0);
  }

  @Override
  public void removeSnapshot(String snapshotId) {
    withPool(pool -> {
      Optional<StorageVol> v = lookup(pool, SNAPSHOT_PREFIX + snapshotId);
      if (v.isPresent()) {
        try {
          v.get().delete(0);
        } finally {
          v.get().free();
        }
      }
      return null;
    });
  }

  @Override
  public void createFrom(String volumeId, String snapshotId, long bytes) {
    copy(SNAPSHOT_PREFIX + snapshotId, PREFIX + volumeId, bytes);
  }

  @Override
  public void cloneVolume(String volumeId, String sourceId, long bytes) {
    copy(PREFIX + sourceId, PREFIX + volumeId, bytes);
  }

  /**
   * Makes {@code target} a full copy of {@code source} inside the pool (libvirt copies the data),
   * of {@code bytes} if that is larger than the source; nothing if {@code target} exists.
   */
  private void copy(String source, String target, long bytes) {
    withPool(pool -> {
      Optional<StorageVol> existing = lookup(pool, target);
      if (existing.isPresent()) {
        existing.get().free();
        return null;
      }
      StorageVol from = lookup(pool, source).orElseThrow(() -> new StorageException("no storage " + source, null));
      try {
        // libvirt sizes the new file as its definition says, then copies the source's bytes into it
        long capacity = Math.max(bytes, from.getInfo().capacity);
        pool.storageVolCreateXMLFrom(rawXml(target, capacity), from, 0).free();
      } catch (LibvirtException e) {
        // a copy half made must not stay as if it were whole
        lookup(pool, target).ifPresent(this::deleteQuietly);
        throw e;
      } finally {
        from.free();
      }
      return null;
    });
  }

  private void deleteQuietly(StorageVol v) {
    try {
      v.delete(0);
    } catch (LibvirtException e) {
      // the reconciliation removes it later: it is named as ours
    } finally {
      try {
        v.free();
      } catch (LibvirtException e) {
        // nothing more to free
      }
    }
  }

  private boolean poolExists() {
    return call(() -> {
      Optional<StoragePool> pool = lookupPool();
      if (pool.isPresent()) pool.get().free();
      return pool.isPresent();
    });
  }

  private Optional<StoragePool> lookupPool() throws LibvirtException {
    try {
      return Optional.of(connect.storagePoolLookupByName(poolName));
    } catch (LibvirtException e) {
      if (e.getError().getCode() == ErrorNumber.VIR_ERR_NO_STORAGE_POOL) return Optional.empty();
      throw e;
    }
  }

  private static Optional<StorageVol> lookup(StoragePool pool, String name) throws LibvirtException {
    try {
      return Optional.of(pool.storageVolLookupByName(name));
    } catch (LibvirtException e) {
      if (e.getError().getCode() == ErrorNumber.VIR_ERR_NO_STORAGE_VOL) return Optional.empty();
      throw e;
    }
  }

  private interface PoolCall<T> {
    T apply(StoragePool pool) throws LibvirtException;
  }

  private interface Call<T> {
    T get() throws LibvirtException;
  }

  private <T> T withPool(PoolCall<T> body) {
    return call(() -> {
      StoragePool pool = pool();
      try {
        return body.apply(pool);
      } finally {
        pool.free();
      }
    });
  }

  private static <T> T call(Call<T> body) {
    try {
      return body.get();
    } catch (LibvirtException e) {
      throw new StorageException(e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) return; // libvirt's connection must be closed once only
    try {
      if (started) {
        StoragePool pool = connect.storagePoolLookupByName(poolName);
        try {
          pool.destroy();
        } finally {
          pool.free();
        }
      }
    } catch (LibvirtException e) {
      // libvirtd forgets a transient pool when it restarts anyway
    }
    try {
      connect.close();
    } catch (LibvirtException e) {
      // closing regardless
    }
  }
}
