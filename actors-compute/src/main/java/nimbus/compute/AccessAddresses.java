package nimbus.compute;

import java.util.Optional;
import nimbus.cluster.CborSerializable;

/**
 * Nova's {@code accessIPv4} and {@code accessIPv6}: addresses the user says the server is reached
 * at (its own business, shown as given). Checked by the API's schema before they get here.
 */
public record AccessAddresses(Optional<String> ipv4, Optional<String> ipv6) implements CborSerializable {
  public static final AccessAddresses NONE = new AccessAddresses(Optional.empty(), Optional.empty());

  /** These addresses with {@code change}'s in their place, where it has them (Nova clears neither). */
  public AccessAddresses changedBy(AccessAddresses change) {
    return new AccessAddresses(change.ipv4.or(() -> ipv4), change.ipv6.or(() -> ipv6));
  }
}
