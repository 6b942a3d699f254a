package nimbus.edge;

import java.math.BigInteger;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.HttpResponse;

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

  /**
   * Nova's and Cinder's 406 for this version, asked as {@code asked}, outside {@code min}..{@code max};
   * empty when it is within them.
   */
  Optional<HttpResponse> unsupported(String asked, String min, String max) {
    if (atLeast(min) && compareTo(of(max)) <= 0) return Optional.empty();
    return Optional.of(NovaErrors.response(406, "Version " + asked + " is not supported by the API."
        + " Minimum is " + min + " and maximum is " + max + "."));
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
