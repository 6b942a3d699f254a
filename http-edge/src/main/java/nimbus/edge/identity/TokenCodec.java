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
import java.util.Arrays;
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
  private static final byte TICKET = 0x54;
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
      return seal(VERSION, payload(token));
    } catch (IOException e) {
      throw new IllegalStateException("cannot make a token", e);
    }
  }

  /** The token a string holds, if one of the keys made it; empty for anything else. */
  public Optional<Token> decode(String text) {
    return open(VERSION, text).flatMap(plain -> {
      try {
        return Optional.of(read(new DataInputStream(new ByteArrayInputStream(plain))));
      } catch (IOException e) {
        return Optional.empty();
      }
    });
  }

  /**
   * A ticket: {@code token} and the ticket's own expiry, sealed like a token under the same keys
   * but with another kind byte, which the seal covers: a ticket never opens as a token, nor a
   * token as a ticket. Every node with the cluster's token keys opens it.
   */
  public String encodeTicket(Token token, Instant expiresAt) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(160);
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeLong(expiresAt.toEpochMilli());
      out.write(payload(token));
      return seal(TICKET, bytes.toByteArray());
    } catch (IOException e) {
      throw new IllegalStateException("cannot make a ticket", e);
    }
  }

  /** What a ticket holds, if one of the keys made it as a ticket; {@code id} is unique to it (its nonce). */
  public Optional<Ticket> decodeTicket(String text) {
    return open(TICKET, text).flatMap(plain -> {
      try {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(plain));
        Instant expiresAt = Instant.ofEpochMilli(in.readLong());
        String id = B64.encodeToString(Arrays.copyOf(B64D.decode(text), 1 + NONCE_BYTES));
        return Optional.of(new Ticket(id, read(in), expiresAt));
      } catch (IOException e) {
        return Optional.empty();
      }
    });
  }

  /** A ticket opened: its id, the token it was bought with, and until when it opens a stream. */
  public record Ticket(String id, Token token, Instant expiresAt) {}

  private String seal(byte kind, byte[] plain) {
    try {
      byte[] nonce = new byte[NONCE_BYTES];
      random.nextBytes(nonce);
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, keys.get(0), new GCMParameterSpec(128, nonce));
      cipher.updateAAD(new byte[] {kind});
      byte[] sealed = cipher.doFinal(plain);
      return B64.encodeToString(ByteBuffer.allocate(1 + NONCE_BYTES + sealed.length)
          .put(kind).put(nonce).put(sealed).array());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot seal", e);
    }
  }

  private Optional<byte[]> open(byte kind, String text) {
    byte[] raw;
    try {
      raw = B64D.decode(text);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    // one string per sealed value: the last character's unused bits would make others that open alike
    if (!B64.encodeToString(raw).equals(text)) return Optional.empty();
    if (raw.length < 1 + NONCE_BYTES + 16 || raw[0] != kind) return Optional.empty();
    for (SecretKeySpec key : keys) {
      try {
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, raw, 1, NONCE_BYTES));
        cipher.updateAAD(new byte[] {kind});
        return Optional.of(cipher.doFinal(raw, 1 + NONCE_BYTES, raw.length - 1 - NONCE_BYTES));
      } catch (GeneralSecurityException e) {
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

  private static Token read(DataInputStream in) throws IOException {
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
