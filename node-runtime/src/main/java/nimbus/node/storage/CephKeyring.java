package nimbus.node.storage;

import java.util.Base64;

/** A client's key in a Ceph keyring file ({@code [client.USER]} then {@code key = BASE64}). */
public final class CephKeyring {
  private CephKeyring() {}

  /** Client {@code user}'s key, its bytes decoded (as a libvirt secret holds it); no message ever holds a key. */
  public static byte[] key(String keyring, String user) {
    String section = "";
    for (String raw : keyring.split("\n")) {
      String line = raw.strip();
      if (line.startsWith("[") && line.endsWith("]")) {
        section = line.substring(1, line.length() - 1).strip();
      } else if (section.equals("client." + user) && line.matches("key\\s*=.*")) {
        try {
          return Base64.getDecoder().decode(line.substring(line.indexOf('=') + 1).strip());
        } catch (IllegalArgumentException e) {
          throw new IllegalStateException("the Ceph keyring's key of client." + user + " is not base64");
        }
      }
    }
    throw new IllegalStateException("the Ceph keyring holds no key of client." + user);
  }
}
