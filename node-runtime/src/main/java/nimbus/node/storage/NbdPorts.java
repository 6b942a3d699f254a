package nimbus.node.storage;

/**
 * The TCP ports a storage host's NBD exports listen on ({@code nimbus.host.nbd-ports}): fixed, so
 * that the host's firewall ({@link NbdFirewall}) can name them.
 */
public record NbdPorts(int first, int last) {
  public NbdPorts {
    if (first < 1 || last > 65535 || first > last) {
      throw new IllegalArgumentException("not a port range: " + first + "-" + last);
    }
  }

  /** A range as configured, {@code FIRST-LAST}. */
  public static NbdPorts parse(String range) {
    String[] ends = range.strip().split("-", -1);
    try {
      if (ends.length != 2) throw new NumberFormatException(range);
      return new NbdPorts(Integer.parseInt(ends[0].strip()), Integer.parseInt(ends[1].strip()));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a port range (FIRST-LAST): " + range, e);
    }
  }

  @Override
  public String toString() {
    return first + "-" + last;
  }
}
