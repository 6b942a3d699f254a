package nimbus.compute;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;

/** OpenSSH public keys: check one, fingerprint it (Nova's MD5 form), or make a new pair. */
public final class SshKeys {
  private static final Set<String> TYPES = Set.of("ssh-rsa", "ssh-ed25519", "ssh-dss",
      "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521");

  /**
   * A generated pair: the OpenSSH public key and the PEM private key in PKCS#1 form
   * ({@code BEGIN RSA PRIVATE KEY}), as Nova gives it: the form paramiko (tempest) and every SSH
   * client read.
   */
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
      String pem = "-----BEGIN RSA PRIVATE KEY-----\n"
          + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
              .encodeToString(pkcs1((RSAPrivateCrtKey) pair.getPrivate()))
          + "\n-----END RSA PRIVATE KEY-----\n";
      return new Generated(publicKey, pem);
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot generate a key pair", e);
    }
  }

  /** PKCS#1's RSAPrivateKey (RFC 8017, A.1.2) in DER: version 0 and the key's eight numbers. */
  static byte[] pkcs1(RSAPrivateCrtKey key) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    for (BigInteger n : new BigInteger[] {BigInteger.ZERO, key.getModulus(), key.getPublicExponent(),
        key.getPrivateExponent(), key.getPrimeP(), key.getPrimeQ(), key.getPrimeExponentP(),
        key.getPrimeExponentQ(), key.getCrtCoefficient()}) {
      // two's complement, minimal, with a leading zero byte when the top bit is set: DER's INTEGER
      derElement(body, 0x02, n.toByteArray());
    }
    ByteArrayOutputStream sequence = new ByteArrayOutputStream();
    derElement(sequence, 0x30, body.toByteArray());
    return sequence.toByteArray();
  }

  private static void derElement(ByteArrayOutputStream out, int tag, byte[] content) {
    out.write(tag);
    int length = content.length;
    if (length < 0x80) {
      out.write(length);
    } else {
      int bytes = length < 0x100 ? 1 : length < 0x10000 ? 2 : 3;
      out.write(0x80 | bytes);
      for (int i = bytes - 1; i >= 0; i--) out.write(length >>> (8 * i));
    }
    out.write(content, 0, length);
  }

  private static void writeBytes(DataOutputStream out, byte[] bytes) throws IOException {
    out.writeInt(bytes.length);
    out.write(bytes);
  }
}
