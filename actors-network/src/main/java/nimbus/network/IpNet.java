package nimbus.network;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;

/**
 * An IPv4 or IPv6 network in CIDR form, with addresses as numbers so that ranges, pools and
 * allocation are plain arithmetic. Parsing is strict: only a literal address (never a name to
 * resolve) and no host bits set, as Neutron requires of a subnet's CIDR.
 */
public record IpNet(int version, BigInteger network, int prefix) {

  public static IpNet parse(String cidr) {
    int slash = cidr.indexOf('/');
    if (slash < 0) throw new IllegalArgumentException("'" + cidr + "' is not a valid CIDR");
    Address a = Address.parse(cidr.substring(0, slash))
        .orElseThrow(() -> new IllegalArgumentException("'" + cidr + "' is not a valid CIDR"));
    int prefix;
    try {
      prefix = Integer.parseInt(cidr.substring(slash + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + cidr + "' is not a valid CIDR");
    }
    if (prefix < 0 || prefix > a.bits()) throw new IllegalArgumentException("'" + cidr + "' is not a valid CIDR");
    IpNet net = new IpNet(a.version(), a.value().and(mask(a.bits(), prefix)), prefix);
    if (!net.network.equals(a.value())) {
      throw new IllegalArgumentException("'" + cidr + "' isn't a recommended CIDR, '" + net + "' is recommended");
    }
    return net;
  }

  private static BigInteger mask(int bits, int prefix) {
    return BigInteger.ONE.shiftLeft(bits).subtract(BigInteger.ONE)
        .xor(BigInteger.ONE.shiftLeft(bits - prefix).subtract(BigInteger.ONE));
  }

  public int bits() {
    return version == 4 ? 32 : 128;
  }

  public BigInteger last() {
    return network.add(size()).subtract(BigInteger.ONE);
  }

  public BigInteger size() {
    return BigInteger.ONE.shiftLeft(bits() - prefix);
  }

  public boolean contains(Address a) {
    return a.version() == version && a.value().compareTo(network) >= 0 && a.value().compareTo(last()) <= 0;
  }

  public boolean overlaps(IpNet other) {
    return other.version == version && other.network.compareTo(last()) <= 0 && network.compareTo(other.last()) <= 0;
  }

  public Address at(BigInteger value) {
    return new Address(version, value);
  }

  @Override
  public String toString() {
    return at(network) + "/" + prefix;
  }

  /** One IPv4 or IPv6 address. */
  public record Address(int version, BigInteger value) implements Comparable<Address> {

    /** A literal address only: a host name is never resolved. */
    public static Optional<Address> parse(String text) {
      if (text == null || text.isEmpty() || text.length() > 45) return Optional.empty();
      boolean v4 = text.matches("\\d{1,3}(\\.\\d{1,3}){3}");
      boolean v6 = !v4 && text.contains(":") && text.matches("[0-9A-Fa-f:.]+");
      if (!v4 && !v6) return Optional.empty();
      try {
        byte[] bytes = InetAddress.getByName(text).getAddress();
        if (v4 != (bytes.length == 4)) return Optional.empty();
        return Optional.of(new Address(bytes.length == 4 ? 4 : 6, new BigInteger(1, bytes)));
      } catch (UnknownHostException e) {
        return Optional.empty();
      }
    }

    public int bits() {
      return version == 4 ? 32 : 128;
    }

    public Address plus(long n) {
      return new Address(version, value.add(BigInteger.valueOf(n)));
    }

    @Override
    public int compareTo(Address o) {
      return version != o.version ? Integer.compare(version, o.version) : value.compareTo(o.value);
    }

    @Override
    public String toString() {
      byte[] raw = value.toByteArray();
      byte[] bytes = new byte[bits() / 8];
      int copy = Math.min(raw.length, bytes.length);
      System.arraycopy(raw, raw.length - copy, bytes, bytes.length - copy, copy);
      try {
        String s = InetAddress.getByAddress(bytes).getHostAddress();
        return version == 6 ? compress(s) : s;
      } catch (UnknownHostException e) {
        throw new IllegalStateException(e);
      }
    }

    /** Java writes IPv6 uncompressed (0:0:0:0:0:0:0:1); Neutron and users write ::1. */
    private static String compress(String full) {
      String[] groups = full.split(":");
      int bestStart = -1;
      int bestLen = 0;
      for (int i = 0; i < groups.length; ) {
        if (!groups[i].equals("0")) {
          i++;
          continue;
        }
        int j = i;
        while (j < groups.length && groups[j].equals("0")) j++;
        if (j - i > bestLen && j - i > 1) {
          bestStart = i;
          bestLen = j - i;
        }
        i = j;
      }
      if (bestStart < 0) return full;
      String head = String.join(":", java.util.Arrays.copyOfRange(groups, 0, bestStart));
      String tail = String.join(":", java.util.Arrays.copyOfRange(groups, bestStart + bestLen, groups.length));
      return head + "::" + tail;
    }
  }
}
