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

  /**
   * Why this range cannot be the exports' (the firewall drops what other machines send to these
   * ports): it holds a privileged port (SSH's among them), one of the node's own ports, or a port
   * of the kernel's range for outgoing connections (whose answers would be dropped); empty if none.
   */
  public java.util.Optional<String> clash(java.util.Map<String, Integer> ownPorts, NbdPorts outgoing) {
    if (first < 1024) return java.util.Optional.of("it holds privileged ports (below 1024)");
    for (var own : ownPorts.entrySet()) {
      if (own.getValue() >= first && own.getValue() <= last) {
        return java.util.Optional.of("it holds " + own.getKey() + " " + own.getValue());
      }
    }
    return first <= outgoing.last && outgoing.first <= last
        ? java.util.Optional.of("it overlaps the kernel's ports for outgoing connections (" + outgoing + ")")
        : java.util.Optional.empty();
  }

  @Override
  public String toString() {
    return first + "-" + last;
  }
}
