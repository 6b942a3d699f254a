package nimbus.edge.identity;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Turns tokens into opaque strings and back, like Keystone's Fernet tokens: the payload is
 * encrypted and authenticated with AES-256-GCM under the primary key; any configured key opens
 * a token, so keys rotate without logging anyone out. A string that was altered, or made with
 * an unknown key, does not open.
 */
public final class TokenCodec {
  // 2: with revocation generations (tokens of version 1 are refused: their holders log in again)
  private static final byte VERSION = 2;
  private static final int NONCE_BYTES = 12;
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64D = Base64.getUrlDecoder();

  private final List<SecretKeySpec> keys;
  private final SecureRandom random = new SecureRandom();

  public TokenCodec(List<byte[]> keys) {
    if (keys.isEmpty()) throw new IllegalArgumentException("at least one token key is needed");
    this.keys = keys.stream().map(k -> new SecretKeySpec(k, "AES")).toList();
  }

  public String encode(Token token) {
    try {
      byte[] nonce = new byte[NONCE_BYTES];
      random.nextBytes(nonce);
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, keys.get(0), new GCMParameterSpec(128, nonce));
      cipher.updateAAD(new byte[] {VERSION});
      byte[] sealed = cipher.doFinal(payload(token));
      return B64.encodeToString(ByteBuffer.allocate(1 + NONCE_BYTES + sealed.length)
          .put(VERSION).put(nonce).put(sealed).array());
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot make a token", e);
    }
  }

  /** The token a string holds, if one of the keys made it; empty for anything else. */
  public Optional<Token> decode(String text) {
    byte[] raw;
    try {
      raw = B64D.decode(text);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    if (raw.length < 1 + NONCE_BYTES + 16 || raw[0] != VERSION) return Optional.empty();
    for (SecretKeySpec key : keys) {
      try {
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, raw, 1, NONCE_BYTES));
        cipher.updateAAD(new byte[] {VERSION});
        byte[] plain = cipher.doFinal(raw, 1 + NONCE_BYTES, raw.length - 1 - NONCE_BYTES);
        return Optional.of(read(plain));
      } catch (GeneralSecurityException | IOException e) {
        // not this key: try the next
      }
    }
    return Optional.empty();
  }

  private static byte[] payload(Token t) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeUTF(t.userId());
    out.writeUTF(t.projectId().orElse(""));
    out.writeByte(t.roles().size());
    for (String r : t.roles()) out.writeUTF(r);
    out.writeLong(t.issuedAt().toEpochMilli());
    out.writeLong(t.expiresAt().toEpochMilli());
    out.writeUTF(t.auditId());
    out.writeByte(t.methods().size());
    for (String m : t.methods()) out.writeUTF(m);
    out.writeInt(t.userGeneration());
    out.writeInt(t.projectGeneration());
    return bytes.toByteArray();
  }

  private static Token read(byte[] plain) throws IOException {
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(plain));
    String user = in.readUTF();
    String project = in.readUTF();
    List<String> roles = new ArrayList<>();
    for (int i = in.readByte(); i > 0; i--) roles.add(in.readUTF());
    Instant issued = Instant.ofEpochMilli(in.readLong());
    Instant expires = Instant.ofEpochMilli(in.readLong());
    String audit = in.readUTF();
    List<String> methods = new ArrayList<>();
    for (int i = in.readByte(); i > 0; i--) methods.add(in.readUTF());
    int userGeneration = in.readInt();
    int projectGeneration = in.readInt();
    return new Token(user, project.isEmpty() ? Optional.empty() : Optional.of(project),
        List.copyOf(roles), issued, expires, audit, List.copyOf(methods), userGeneration, projectGeneration);
  }
}
