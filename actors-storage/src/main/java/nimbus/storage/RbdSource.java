package nimbus.storage;

import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A volume stored as a Ceph RBD image, as {@link StorageHostCommand.ExportVolume} answers every
 * compute host when the storage host's backend is RBD: the cluster's monitors and the client user
 * from the storage host's configuration (never from a tenant), the pool, and the image. Any host
 * opens it directly through QEMU's librbd, with the user's key from its own configuration. Written
 * as {@link #uri()}: {@code rbd://USER@HOST:PORT,HOST:PORT/POOL/IMAGE}.
 */
public record RbdSource(String user, List<Monitor> monitors, String pool, String image) {
  public static final String SCHEME = "rbd://";
  private static final String NAME = "[A-Za-z0-9_.-]{1,64}";
  private static final String IPV4 = "(?:\\d{1,3}\\.){3}\\d{1,3}";
  private static final String IPV6 = "\\[[0-9a-fA-F:.]+\\]";
  private static final String MONITOR = "(?:" + IPV4 + "|" + IPV6 + "):\\d{1,5}";
  private static final Pattern URI = Pattern.compile(Pattern.quote(SCHEME) + "(" + NAME + ")@(" + MONITOR + "(?:,"
      + MONITOR + ")*)/(" + NAME + ")/(" + NAME + ")");

  /** A monitor's address (an IP address, never a name to resolve) and port. */
  public record Monitor(String address, int port) {
    public Monitor {
      if (!(address.matches(IPV4) || ("[" + address + "]").matches(IPV6))) {
        throw new IllegalArgumentException("not an IP address: " + address);
      }
      if (port < 1 || port > 65535) throw new IllegalArgumentException("not a port: " + port);
    }

    @Override
    public String toString() {
      return (address.contains(":") ? "[" + address + "]" : address) + ":" + port;
    }

    static Monitor parse(String text) {
      int colon = text.lastIndexOf(':');
      String address = text.substring(0, colon);
      if (address.startsWith("[")) address = address.substring(1, address.length() - 1);
      return new Monitor(address, Integer.parseInt(text.substring(colon + 1)));
    }
  }

  public RbdSource {
    monitors = List.copyOf(monitors);
    if (monitors.isEmpty()) throw new IllegalArgumentException("an RBD source needs a monitor");
    for (String name : List.of(user, pool, image)) {
      if (!name.matches(NAME)) throw new IllegalArgumentException("not a Ceph name: " + name);
    }
  }

  public String uri() {
    return SCHEME + user + "@" + String.join(",", monitors.stream().map(Monitor::toString).toList()) + "/" + pool + "/" + image;
  }

  /** Whether an export's answer names an RBD image. */
  public static boolean isRbd(String exported) {
    return exported.startsWith(SCHEME);
  }

  /** The source {@code uri} names; refused unless it is exactly of {@link #uri()}'s form. */
  public static RbdSource parse(String uri) {
    Matcher m = URI.matcher(uri);
    if (!m.matches()) throw new IllegalArgumentException("not an RBD source of Nimbus's: " + uri);
    return new RbdSource(m.group(1), Arrays.stream(m.group(2).split(",")).map(Monitor::parse).toList(), m.group(3),
        m.group(4));
  }
}
