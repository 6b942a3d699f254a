package nimbus.edge;

import java.util.Base64;

/**
 * Nova's check of a server's {@code user_data} (its schema's {@code base64} format): Python's
 * lenient {@code b64decode}, which skips characters outside the alphabet (line breaks, mostly)
 * but wants whole groups of four with correct padding.
 */
final class UserData {
  /** An echoed value is cut short: an error never repeats 64 KiB of user data. */
  private static final int MAX_ECHO = 64;

  private UserData() {}

  static boolean isBase64(String text) {
    StringBuilder kept = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      // Python refuses a str with anything but ASCII before it decodes
      if (c > 127) return false;
      if (Character.isLetterOrDigit(c) || c == '+' || c == '/' || c == '=') kept.append(c);
    }
    if (kept.length() % 4 != 0) return false;
    try {
      Base64.getDecoder().decode(kept.toString());
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** Nova's words for user data that is not base64. */
  static String notBase64(String text) {
    String echo = text.length() <= MAX_ECHO ? text : text.substring(0, MAX_ECHO) + "...";
    return "Invalid input for field/attribute user_data. Value: " + echo + ". '" + echo + "' is not a 'base64'";
  }
}
