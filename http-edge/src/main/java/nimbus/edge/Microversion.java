package nimbus.edge;

import java.math.BigInteger;

/**
 * A compute microversion a request negotiated ({@link ComputeVersions#negotiate}): views render
 * the fields Nova has at that version, no more ({@code locked} only from 2.9, ...).
 */
record Microversion(BigInteger major, BigInteger minor) implements Comparable<Microversion> {

  /** "2.9"; the caller has checked the form ({@code \d+\.\d+}). */
  static Microversion of(String version) {
    String[] parts = version.split("\\.");
    return new Microversion(new BigInteger(parts[0]), new BigInteger(parts[1]));
  }

  /** Whether this version has what Nova added at {@code version}. */
  boolean atLeast(String version) {
    return compareTo(of(version)) >= 0;
  }

  @Override
  public int compareTo(Microversion o) {
    int byMajor = major.compareTo(o.major);
    return byMajor != 0 ? byMajor : minor.compareTo(o.minor);
  }

  @Override
  public String toString() {
    return major + "." + minor;
  }
}
