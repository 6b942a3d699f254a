package nimbus.node;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/**
 * The bad input the API fuzz test draws from: odd strings, JSON values of every wrong type,
 * numbers no field can hold, deep nesting, and path segments and query strings made of them.
 */
final class FuzzValues {
  private FuzzValues() {}

  /** Strings a name, id or property might be given. */
  static Arbitrary<String> strings() {
    return Arbitraries.frequencyOf(
        Tuple.of(3, Arbitraries.strings().all().ofMaxLength(40)), // any char, lone surrogates too
        Tuple.of(2, Arbitraries.of("", " ", " padded ", "\u0000", "a\u0000b", "\u0001", "\u001b[31m",
            "\ud800", "\udfff", "x\ud83d", "\u202eevil", "\u200f", "\ufeff", "\u2028", "\u0301", "\ud83d\udca5",
            "\\", "\"", "'", "../../etc/passwd", "%00", "%s%n", "${jndi:ldap://x}", "<script>", "' OR 1=1 --",
            "\n", "\r\n", "\t", "NaN", "-1", "null", "*", ".*", "(", "[", "a{1,99999}", "(a+)+$")),
        Tuple.of(1, Arbitraries.of(255, 256, 4096, 70_000).map("a"::repeat)),
        Tuple.of(1, Arbitraries.of(128, 300).map("\u00e9\ud83d\udca5"::repeat)),
        Tuple.of(1, uuids()));
  }

  /** Random version-4 UUIDs, drawn from jqwik's source of randomness (so a seed reproduces them). */
  static Arbitrary<String> uuids() {
    return Combinators.combine(Arbitraries.longs(), Arbitraries.longs()).as((high, low) ->
        new UUID((high & ~0xf000L) | 0x4000L, (low & 0x3fffffffffffffffL) | 0x8000000000000000L).toString());
  }

  /** Numbers no field takes: beyond every integer and double type, negative, fractional. */
  static Arbitrary<String> numbers() {
    return Arbitraries.oneOf(
        Arbitraries.of("1e400", "-1e400", "1e-400", "9223372036854775808", "-9223372036854775809",
            "18446744073709551616", "4294967297", "2147483648", "-2147483649", "-1", "0", "-0", "1.5", "0.0",
            "123456789012345678901234567890", "1" + "0".repeat(2000)),
        Arbitraries.longs().map(String::valueOf));
  }

  /** A JSON value (as text) of any type, mostly one no field expects. */
  static Arbitrary<String> jsonValues(List<String> ids) {
    return Arbitraries.frequencyOf(
        Tuple.of(4, strings().map(FuzzValues::quote)),
        Tuple.of(3, numbers()),
        Tuple.of(2, Arbitraries.of("null", "true", "false", "[]", "{}", "[null]", "{\"\": null}")),
        Tuple.of(2, Arbitraries.of(ids).map(FuzzValues::quote)),
        Tuple.of(1, Arbitraries.of(2, 999, 1001, 5000).map(n -> "[".repeat(n) + "]".repeat(n))),
        Tuple.of(1, Arbitraries.of(10, 1000, 20_000).map(n -> "[" + "1,".repeat(n) + "1]")),
        Tuple.of(1, strings().map(k -> "{" + quote(k) + ": " + quote(k) + "}")));
  }

  /** Request bodies that are no JSON at all, or not the JSON object every route wants. */
  static Arbitrary<byte[]> brokenBodies(String template) {
    byte[] valid = template.getBytes(StandardCharsets.UTF_8);
    return Arbitraries.oneOf(
        Arbitraries.of("", "{", "}", "{\"a\":", "[1,]", "{'a': 1}", "nul", "\"open", "{\"a\" 1}", "NaN",
                "{\"a\": NaN}", "{\"a\": 01}", "{\"a\": 1}{\"b\": 2}", "// c\n{}", "{\"a\": \"\\x41\"}",
                "null", "[]", "1", "\"s\"", "true", "\ufeff" + template, template + ",", template + "}")
            .map(s -> s.getBytes(StandardCharsets.UTF_8)),
        Arbitraries.integers().between(0, Math.max(0, valid.length - 1)).map(n -> java.util.Arrays.copyOf(valid, n)),
        // bytes that are not UTF-8: a stray continuation, an overlong '/', an encoded surrogate
        Arbitraries.of(new byte[] {(byte) 0xc3, 0x28}, new byte[] {(byte) 0xc0, (byte) 0xaf},
                new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80}, new byte[] {(byte) 0xff})
            .map(bad -> invalidUtf8In(template, bad)),
        Arbitraries.of(1001, 10_000, 60_000).map(n -> ("[".repeat(n) + "]".repeat(n)).getBytes(StandardCharsets.UTF_8)),
        Arbitraries.of(2000, 10_000).map(n -> ("{\"a\":".repeat(n) + "1" + "}".repeat(n)).getBytes(StandardCharsets.UTF_8)),
        // over the API's body limit (the test node's is smaller than this)
        Arbitraries.just(("{\"x\": \"" + "a".repeat(200_000) + "\"}").getBytes(StandardCharsets.UTF_8)));
  }

  /** The template with its first string's content replaced by bytes that are not UTF-8. */
  private static byte[] invalidUtf8In(String template, byte[] bad) {
    int colon = template.indexOf(": \"");
    String head = colon < 0 ? "{\"x\": \"" : template.substring(0, colon + 3);
    String tail = colon < 0 ? "\"}" : template.substring(template.indexOf('"', colon + 3));
    byte[] h = head.getBytes(StandardCharsets.UTF_8);
    byte[] t = tail.getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[h.length + bad.length + t.length];
    System.arraycopy(h, 0, out, 0, h.length);
    System.arraycopy(bad, 0, out, h.length, bad.length);
    System.arraycopy(t, 0, out, h.length + bad.length, t.length);
    return out;
  }

  /** A path segment: mostly the ids a placeholder takes ({@code pool}), else other known ids or odd ones. */
  static Arbitrary<String> segments(List<String> pool, List<String> known) {
    return Arbitraries.frequencyOf(
        Tuple.of(6, Arbitraries.of(pool)),
        Tuple.of(1, Arbitraries.of(known)),
        Tuple.of(5, oddIds()));
  }

  /** Ids no resource has, percent-encoded: unknown uuids, odd shapes, long ones (within the URI limit). */
  static Arbitrary<String> oddIds() {
    return Arbitraries.frequencyOf(
        Tuple.of(2, uuids()),
        Tuple.of(1, uuids().map(u -> u.replace("-", "").toUpperCase())),
        Tuple.of(2, Arbitraries.of(256, 300, 1000, 1500).map("a"::repeat)),
        Tuple.of(3, strings().filter(s -> s.length() < 600).map(FuzzValues::encode)),
        // raw escapes: a NUL, bytes that are not UTF-8, an encoded slash
        Tuple.of(2, Arbitraries.of("%00", "a%00b", "%ff%fe", "%c0%af", "%ed%a0%80", "a%2Fb", "..", ".", "0", "-1")));
  }

  /** A query string of list parameters with odd values (possibly empty). */
  static Arbitrary<String> queries(List<String> ids) {
    Arbitrary<String> key = Arbitraries.of("limit", "marker", "name", "status", "all_tenants", "host", "image",
        "flavor", "visibility", "owner", "enabled", "domain_id", "user.id", "scope.project.id", "role.id",
        "include_names", "sort_key", "sort_dir", "changes-since", "x");
    Arbitrary<String> value = Arbitraries.oneOf(numbers(), strings(), Arbitraries.of(ids),
        Arbitraries.of("", "true", "ACTIVE", "deleted", "public", "garbage"));
    Arbitrary<String> pair = Arbitraries.oneOf(
        Combinators.combine(key, value).as((k, v) -> k + "=" + encode(v)),
        key, Arbitraries.of("=", "&", "limit=1&limit=2", "%ff=%fe", "a%00=b"));
    return pair.list().ofMaxSize(4).map(ps -> ps.isEmpty() ? "" : "?" + String.join("&", ps));
  }

  /** A string as a JSON string literal; a lone surrogate becomes its JSON escape (so it stays lone). */
  static String quote(String s) {
    StringBuilder out = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean pairStart = Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20 || (Character.isSurrogate(c) && !pairStart)) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
        if (pairStart) out.append(s.charAt(++i));
      }
    }
    return out.append('"').toString();
  }

  /** Percent-encodes every byte but the unreserved ones (a lone surrogate is sent as UTF-8's '?'). */
  static String encode(String s) {
    StringBuilder out = new StringBuilder();
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-._~".indexOf(c) >= 0) {
        out.append(c);
      } else {
        out.append('%').append(String.format("%02X", b & 0xff));
      }
    }
    return out.toString();
  }
}
