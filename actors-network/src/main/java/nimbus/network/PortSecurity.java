package nimbus.network;

import java.util.List;
import nimbus.cluster.CborSerializable;

/**
 * How the hosts filter one port: with {@code enabled}, it sends only from its MAC and addresses
 * (and its allowed address pairs), and what its security groups' rules let in and out; without,
 * nothing is filtered. Its network holds it with the port's addresses ({@link Attachment}), so the
 * agents that build the network see it.
 */
public record PortSecurity(boolean enabled, List<String> securityGroups,
    List<PortAttributes.AddressPair> allowedAddressPairs) implements CborSerializable {

  /** No filtering: ports attached before security groups existed, and ports with port security off. */
  public static final PortSecurity OFF = new PortSecurity(false, List.of(), List.of());

  public PortSecurity {
    securityGroups = securityGroups == null ? List.of() : List.copyOf(securityGroups);
    allowedAddressPairs = allowedAddressPairs == null ? List.of() : List.copyOf(allowedAddressPairs);
  }
}
