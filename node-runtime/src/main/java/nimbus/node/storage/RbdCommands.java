package nimbus.node.storage;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The {@code rbd} and {@code qemu-img} commands of a Ceph RBD pool, as client {@code user} of the
 * cluster that {@code conf} describes, with the key in {@code keyring}. Pure: {@link RbdBackend}
 * runs them. Every image name is one of Nimbus's, made from an id of the entities'.
 */
public record RbdCommands(Path conf, Path keyring, String user, String pool) {
  /** A Ceph pool's or user's name: nothing that could end a field of QEMU's {@code rbd:} string. */
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
  /** An entity's id: what follows an image's prefix. */
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9-]{0,63}");

  public RbdCommands {
    if (!NAME.matcher(user).matches()) throw new IllegalArgumentException("not a Ceph user name: " + user);
    if (!NAME.matcher(pool).matches()) throw new IllegalArgumentException("not a Ceph pool name: " + pool);
    for (Path p : List.of(conf, keyring)) {
      // QEMU's rbd: string separates its fields with ':'
      if (p.toString().contains(":") || p.toString().contains("\\")) {
        throw new IllegalArgumentException("a Ceph file's path may not hold ':' or '\\': " + p);
      }
    }
  }

  /** Refuses anything but an id of Nimbus's entities, so an image's name never leaves its pool. */
  public static String id(String id) {
    if (!ID.matcher(id).matches()) throw new IllegalArgumentException("not a volume or snapshot id: " + id);
    return id;
  }

  /** Every image and snapshot of the pool, as JSON (an array of {@code image}, {@code snapshot}, {@code size}). */
  public List<String> list() {
    return rbd("ls", "-l", "--format", "json", pool);
  }

  /** A new image of {@code bytes}. */
  public List<String> create(String image, long bytes) {
    return rbd("create", "--size", bytes + "B", spec(image));
  }

  /** Sets the image's size; a smaller size is refused by rbd itself (no {@code --allow-shrink}). */
  public List<String> resize(String image, long bytes) {
    return rbd("resize", "--no-progress", "--size", bytes + "B", spec(image));
  }

  public List<String> remove(String image) {
    return rbd("rm", "--no-progress", spec(image));
  }

  public List<String> rename(String from, String to) {
    return rbd("rename", spec(from), spec(to));
  }

  /** A full copy of the image, or of one of its snapshots when {@code snapshot} is given, as a new image. */
  public List<String> copy(String image, java.util.Optional<String> snapshot, String target) {
    return rbd("cp", "--no-progress", spec(image) + snapshot.map(s -> "@" + name(s)).orElse(""), spec(target));
  }

  /** Writes the raw bytes of the image, or of one of its snapshots, to standard output (a backup's read). */
  public List<String> export(String image, java.util.Optional<String> snapshot) {
    return rbd("export", "--no-progress", spec(image) + snapshot.map(s -> "@" + name(s)).orElse(""), "-");
  }

  /** Applies the {@code rbd diff v1} stream on standard input to the image ({@link RbdDiffWriter}: a restore's write). */
  public List<String> importDiff(String image) {
    return rbd("import-diff", "--no-progress", "-", spec(image));
  }

  public List<String> snapshot(String image, String snapshot) {
    return rbd("snap", "create", "--no-progress", spec(image) + "@" + name(snapshot));
  }

  public List<String> removeSnapshot(String image, String snapshot) {
    return rbd("snap", "rm", "--no-progress", spec(image) + "@" + name(snapshot));
  }

  /** Writes an image file of qemu-img format {@code format} (given, never probed) as the raw bytes of a new image. */
  public List<String> convertInto(String format, Path file, String image) {
    return List.of("qemu-img", "convert", "-q", "-f", format, "-O", "raw", file.toString(), qemu(image));
  }

  /** Reads the image's raw bytes into a new file of {@code diskFormat}. */
  public List<String> convertFrom(String image, String diskFormat, Path target) {
    return List.of("qemu-img", "convert", "-q", "-f", "raw", "-O", diskFormat, qemu(image), target.toString());
  }

  /** QEMU's name of the image: pool, image, user and the cluster's files (the key is read from the keyring). */
  public String qemu(String image) {
    return "rbd:" + spec(image) + ":id=" + user + ":conf=" + conf + ":keyring=" + keyring;
  }

  private String spec(String image) {
    return pool + "/" + name(image);
  }

  private static String name(String name) {
    if (!NAME.matcher(name).matches()) throw new IllegalArgumentException("not an image name: " + name);
    return name;
  }

  private List<String> rbd(String... args) {
    List<String> out = new ArrayList<>(List.of("rbd", "-c", conf.toString(), "--id", user, "--keyring", keyring.toString()));
    out.addAll(List.of(args));
    return out;
  }
}
