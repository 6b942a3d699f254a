package nimbus.node.metadata;

import java.nio.file.Path;
import java.util.List;

/**
 * How a config drive image is made: {@code genisoimage} over a directory holding
 * {@link MetadataDocuments#configDriveFiles}, with the options Nova's {@code configdrive.py} gives
 * it (Rock Ridge and Joliet names, so the guest sees the files' real names; the volume label
 * {@code config-2}, by which cloud-init finds the drive).
 */
public final class ConfigDriveImage {
  /** The label cloud-init looks for. */
  public static final String LABEL = "config-2";
  /** Nova's name of the image, beside the server's disk. */
  public static final String FILE_NAME = "disk.config";

  private ConfigDriveImage() {}

  /** The command that writes the ISO {@code iso} of the files under {@code tree}. */
  public static List<String> genisoimage(Path tree, Path iso) {
    return List.of("genisoimage", "-o", iso.toString(), "-ldots", "-allow-lowercase", "-allow-multidot", "-l",
        "-publisher", "Nimbus", "-quiet", "-J", "-r", "-V", LABEL, tree.toString());
  }
}
