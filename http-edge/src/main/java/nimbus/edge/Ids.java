package nimbus.edge;

import java.util.regex.Pattern;

/** Resource ids in URLs. */
final class Ids {
  private static final Pattern UUID =
      Pattern.compile("[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}");

  private Ids() {}

  static boolean isUuid(String id) {
    return UUID.matcher(id).matches();
  }

  /** The last path segment of a reference that may be a URL (Nova accepts both). */
  static String lastSegment(String ref) {
    String trimmed = ref.endsWith("/") ? ref.substring(0, ref.length() - 1) : ref;
    return trimmed.substring(trimmed.lastIndexOf('/') + 1);
  }
}
