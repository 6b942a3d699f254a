package nimbus.node;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * One generated request to {@code route} (its method and path template): its path, headers and
 * body may hold target markers ({@code @{...}}), resolved when it is sent. {@code caller} says
 * whose token it carries.
 */
record FuzzRequest(String route, Caller caller, String method, String path, Map<String, String> headers, byte[] body) {
  enum Caller { FUZZER, ADMIN, NOBODY }

  /** The service a path belongs to, by its prefix: its errors come in that service's format. */
  enum Service { IDENTITY, COMPUTE, IMAGE, NETWORK, VOLUME, DASHBOARD }

  FuzzRequest {
    headers = new TreeMap<>(headers);
  }

  Service service() {
    if (path.startsWith("/identity")) return Service.IDENTITY;
    if (path.startsWith("/image")) return Service.IMAGE;
    if (path.startsWith("/compute")) return Service.COMPUTE;
    if (path.startsWith("/network")) return Service.NETWORK;
    if (path.startsWith("/volume")) return Service.VOLUME;
    // the edge answers the dashboard's errors as Nova's (its 401s as Keystone's)
    if (path.startsWith("/dashboard")) return Service.DASHBOARD;
    throw new IllegalStateException("no service for " + path);
  }

  FuzzRequest withHeader(String name, String value) {
    Map<String, String> more = new TreeMap<>(headers);
    more.put(name, value);
    return new FuzzRequest(route, caller, method, path, more, body);
  }

  /** The body with its markers resolved; its bytes stay as generated (they need not be UTF-8). */
  byte[] resolvedBody(FuzzTargets targets) {
    if (body == null) return null;
    return targets.resolve(new String(body, StandardCharsets.ISO_8859_1)).getBytes(StandardCharsets.ISO_8859_1);
  }

  /** For a failure message: the request, with a long body cut short and its odd characters escaped. */
  @Override
  public String toString() {
    String shown = body == null ? "(none)" : escaped(new String(body, StandardCharsets.UTF_8));
    return caller + " " + method + " " + shorten(path) + " headers=" + headers + " body[" + (body == null ? 0 : body.length)
        + " bytes]=" + shown;
  }

  private static String escaped(String s) {
    StringBuilder out = new StringBuilder();
    s.codePoints().limit(400).forEach(c -> {
      if (c < 0x20 || (c >= 0x7f && c < 0xa0) || Character.isSurrogate((char) c) || c == 0xfffd) {
        out.append(String.format("\\u%04x", c));
      } else {
        out.appendCodePoint(c);
      }
    });
    return s.length() > 400 ? out + "..." : out.toString();
  }

  private static String shorten(String s) {
    return s.length() > 400 ? s.substring(0, 400) + "...(" + s.length() + " chars)" : s;
  }
}
