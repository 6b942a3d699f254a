package nimbus.edge.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Tokens and tickets sealed and opened: each opens only as what it was made as, and only under the cluster's keys. */
class TokenCodecTest {
  private static final byte[] KEY = key(1);
  private static final Token TOKEN = new Token("u1", Optional.of("p1"), List.of("member"),
      Instant.parse("2026-01-01T00:00:00Z"), Instant.parse("2026-01-01T01:00:00Z"), "audit-1", List.of("password"), 0, 0);

  private static byte[] key(int fill) {
    byte[] key = new byte[32];
    Arrays.fill(key, (byte) fill);
    return key;
  }

  @Test
  void aTicketOpensOnAnyNodeWithTheKeysAndSaysWhatItWasMadeWith() {
    Instant expiry = Instant.parse("2026-01-01T00:00:30Z");
    String ticket = new TokenCodec(List.of(KEY)).encodeTicket(TOKEN, expiry);
    // another node: its own codec, the same keys (a rotated key list still opens it)
    TokenCodec.Ticket opened = new TokenCodec(List.of(key(2), KEY)).decodeTicket(ticket).orElseThrow();
    assertEquals(TOKEN, opened.token());
    assertEquals(expiry, opened.expiresAt());
    assertNotEquals(opened.id(), new TokenCodec(List.of(KEY)).decodeTicket(
        new TokenCodec(List.of(KEY)).encodeTicket(TOKEN, expiry)).orElseThrow().id(), "each ticket has its own id");
  }

  @Test
  void forgedAlteredOrForeignTicketsAndTokensPassedAsTicketsDoNotOpen() {
    TokenCodec codec = new TokenCodec(List.of(KEY));
    String ticket = codec.encodeTicket(TOKEN, Instant.parse("2026-01-01T00:00:30Z"));
    assertTrue(new TokenCodec(List.of(key(3))).decodeTicket(ticket).isEmpty(), "another cloud's key");
    assertTrue(codec.decodeTicket(codec.encode(TOKEN)).isEmpty(), "a token is no ticket");
    assertTrue(codec.decode(ticket).isEmpty(), "a ticket is no token");
    byte[] raw = Base64.getUrlDecoder().decode(ticket);
    for (int i = 0; i < raw.length; i++) {
      byte[] altered = raw.clone();
      altered[i] ^= 1;
      assertTrue(codec.decodeTicket(Base64.getUrlEncoder().withoutPadding().encodeToString(altered)).isEmpty(),
          "byte " + i + " altered");
    }
    assertTrue(codec.decodeTicket("").isEmpty());
    assertTrue(codec.decodeTicket("not base64 !").isEmpty());
  }

  @Test
  void aTicketOrTokenOpensFromItsOwnStringAloneNotFromOneWhoseLastCharacterDiffers() {
    TokenCodec codec = new TokenCodec(List.of(KEY));
    String ticket = codec.encodeTicket(TOKEN, Instant.parse("2026-01-01T00:00:30Z"));
    String token = codec.encode(TOKEN);
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (char c : alphabet.toCharArray()) {
      String otherTicket = ticket.substring(0, ticket.length() - 1) + c;
      String otherToken = token.substring(0, token.length() - 1) + c;
      // the last character carries unused bits when the bytes are not a multiple of three: its neighbours decode alike
      if (!otherTicket.equals(ticket)) assertTrue(codec.decodeTicket(otherTicket).isEmpty(), otherTicket);
      if (!otherToken.equals(token)) assertTrue(codec.decode(otherToken).isEmpty(), otherToken);
    }
    assertTrue(codec.decodeTicket(ticket).isPresent() && codec.decode(token).isPresent());
    assertTrue(ticket.length() % 4 != 0 || token.length() % 4 != 0, "a string with unused bits is among them");
  }
}
