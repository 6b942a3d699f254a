package nimbus.config;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The image service's file store on control nodes: where image files live (named by their
 * SHA-512), the largest file an upload may bring, how long one upload may take, and how often
 * files no image holds are removed, once they are older than {@code keepUnreferenced}.
 */
public record ImageStoreSettings(Path dir, long maxImageBytes, Duration uploadTimeout, Duration sweepInterval,
    Duration keepUnreferenced, Quota quota) {

  /** Each project's limits: its images' bytes, its images (snapshots included), its uploads at once. */
  public record Quota(long imageSizeTotalBytes, int imageCountTotal, int imageCountUploading) {}

  static ImageStoreSettings from(Config c, Path dataDir) {
    String dir = c.getString("dir");
    long max = c.getBytes("max-image-size");
    if (max < 1) {
      throw new SettingsException("nimbus.image-store.max-image-size", "must be positive",
          "give a size such as 100GiB");
    }
    return new ImageStoreSettings(dir.isBlank() ? dataDir.resolve("images") : Path.of(dir).toAbsolutePath().normalize(),
        max, c.getDuration("upload-timeout"), c.getDuration("sweep-interval"), c.getDuration("keep-unreferenced"),
        new Quota(atLeastZero(c.getBytes("quota.image-size-total"), "image-size-total"),
            (int) atLeastZero(c.getInt("quota.image-count-total"), "image-count-total"),
            (int) atLeastZero(c.getInt("quota.image-count-uploading"), "image-count-uploading")));
  }

  private static long atLeastZero(long value, String key) {
    if (value < 0) throw new SettingsException("nimbus.image-store.quota." + key, "must not be negative", "give 0 or more");
    return value;
  }
}
