package nimbus.storage;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A volume exported over NBD by its storage host, as {@link StorageHostCommand.ExportVolume}
 * answers a compute host other than the storage host: the storage host's own address (never one a
 * tenant gave), the port of its {@code qemu-storage-daemon}, and the export's unguessable name.
 * Written as {@link #uri()} ({@code nbd://ADDRESS:PORT/NAME}) where the answer is a file's path
 * for the storage host itself.
 */
public record NbdExport(String address, int port, String name) {
  public static final String SCHEME = "nbd://";
  private static final String IPV4 = "(?:\\d{1,3}\\.){3}\\d{1,3}";
  private static final String IPV6 = "\\[[0-9a-fA-F:.]+\\]";
  private static final Pattern NAME = Pattern.compile("[0-9a-f]{32,64}");
  private static final Pattern URI = Pattern.compile(Pattern.quote(SCHEME) + "(" + IPV4 + "|" + IPV6 + "):(\\d{1,5})/("
      + NAME.pattern() + ")");

  public NbdExport {
    if (!(address.matches(IPV4) || ("[" + address + "]").matches(IPV6))) {
      throw new IllegalArgumentException("not an IP address: " + address);
    }
    if (port < 1 || port > 65535) throw new IllegalArgumentException("not a port: " + port);
    if (!NAME.matcher(name).matches()) throw new IllegalArgumentException("not an export name of Nimbus's: " + name);
  }

  /** {@code nbd://ADDRESS:PORT/NAME} (an IPv6 address in brackets). */
  public String uri() {
    return SCHEME + (address.contains(":") ? "[" + address + "]" : address) + ":" + port + "/" + name;
  }

  /** Whether an export's answer names an NBD export (else it is the storage host's own file). */
  public static boolean isNbd(String exported) {
    return exported.startsWith(SCHEME);
  }

  /** The export {@code uri} names; refused unless it is exactly of {@link #uri()}'s form. */
  public static NbdExport parse(String uri) {
    Matcher m = URI.matcher(uri);
    if (!m.matches()) throw new IllegalArgumentException("not an NBD export of Nimbus's: " + uri);
    String address = m.group(1).startsWith("[") ? m.group(1).substring(1, m.group(1).length() - 1) : m.group(1);
    return new NbdExport(address, Integer.parseInt(m.group(2)), m.group(3));
  }
}
