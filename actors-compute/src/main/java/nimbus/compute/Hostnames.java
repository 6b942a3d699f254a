package nimbus.compute;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** Nova's hostname of a new server, made from its name (nova.utils.sanitize_hostname). */
final class Hostnames {
  private static final int MAX = 63; // dnsmasq's limit, the lowest of the resolvers'

  private Hostnames() {}

  /**
   * The hostname of server {@code index} (from 0) of {@code count} asked for as {@code name}:
   * the name's letters, digits, dots and dashes, in lower case; several servers get -1, -2, ...;
   * a name with none of them gives {@code Server-<id>}.
   */
  static String of(String name, String serverId, int count, int index) {
    String h = latin1(name);
    h = truncate(h).replaceAll("[ _.]", "-").replaceAll("[^\\w.-]+", "").toLowerCase(Locale.ROOT);
    h = h.replaceAll("^[.-]+|[.-]+$", "");
    if (h.isEmpty()) return "Server-" + serverId;
    return count > 1 ? h + "-" + (index + 1) : h;
  }

  /** Characters outside U+0000-U+00FF are dropped, as Nova's latin-1 round trip drops them. */
  private static String latin1(String name) {
    StringBuilder kept = new StringBuilder();
    name.codePoints().filter(c -> c <= 0xFF).forEach(kept::appendCodePoint);
    return new String(kept.toString().getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.ISO_8859_1);
  }

  private static String truncate(String h) {
    return h.length() > MAX ? h.substring(0, MAX) : h;
  }
}
