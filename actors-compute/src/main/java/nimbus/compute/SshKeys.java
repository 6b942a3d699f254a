package nimbus.compute;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.interfaces.RSAPublicKey;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;

/** OpenSSH public keys: check one, fingerprint it (Nova's MD5 form), or make a new pair. */
public final class SshKeys {
  private static final Set<String> TYPES = Set.of("ssh-rsa", "ssh-ed25519", "ssh-dss",
      "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521");

  /** A generated pair: the OpenSSH public key and the PEM (PKCS#8) private key. */
  public record Generated(String publicKey, String privateKey) {}

  private SshKeys() {}

  /** The MD5 fingerprint (aa:bb:...) of a well-formed OpenSSH public key; empty otherwise. */
  public static Optional<String> fingerprint(String publicKey) {
    String[] parts = publicKey.trim().split("\\s+");
    if (parts.length < 2 || !TYPES.contains(parts[0])) return Optional.empty();
    byte[] blob;
    try {
      blob = Base64.getDecoder().decode(parts[1]);
      ByteBuffer buf = ByteBuffer.wrap(blob);
      int length = buf.getInt();
      if (length <= 0 || length > blob.length - 4) return Optional.empty();
      byte[] type = new byte[length];
      buf.get(type);
      if (!new String(type, StandardCharsets.US_ASCII).equals(parts[0])) return Optional.empty();
      byte[] md5 = MessageDigest.getInstance("MD5").digest(blob);
      return Optional.of(HexFormat.ofDelimiter(":").formatHex(md5));
    } catch (IllegalArgumentException | java.nio.BufferUnderflowException | GeneralSecurityException e) {
      return Optional.empty();
    }
  }

  public static Generated generate(String comment) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      java.security.KeyPair pair = generator.generateKeyPair();
      RSAPublicKey pub = (RSAPublicKey) pair.getPublic();
      ByteArrayOutputStream blob = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(blob);
      writeBytes(out, "ssh-rsa".getBytes(StandardCharsets.US_ASCII));
      writeBytes(out, pub.getPublicExponent().toByteArray());
      writeBytes(out, pub.getModulus().toByteArray());
      String publicKey = "ssh-rsa " + Base64.getEncoder().encodeToString(blob.toByteArray()) + " " + comment;
      String pem = "-----BEGIN PRIVATE KEY-----\n"
          + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(pair.getPrivate().getEncoded())
          + "\n-----END PRIVATE KEY-----\n";
      return new Generated(publicKey, pem);
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot generate a key pair", e);
    }
  }

  private static void writeBytes(DataOutputStream out, byte[] bytes) throws IOException {
    out.writeInt(bytes.length);
    out.write(bytes);
  }
}
