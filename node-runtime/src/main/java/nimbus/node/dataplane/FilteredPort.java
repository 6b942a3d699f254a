package nimbus.node.dataplane;

import java.util.List;
import nimbus.network.PortAttributes;

/**
 * A port plugged on this host with port security on: its tap and the bridge it is on, the MAC and
 * fixed IPs it may send from (and its allowed address pairs: addresses or prefixes, each with its
 * own MAC or, when none, the port's), and the security groups whose rules let traffic in and out.
 */
public record FilteredPort(String tap, String bridge, String mac, List<String> fixedIps,
    List<PortAttributes.AddressPair> allowedAddressPairs, List<String> securityGroups) {

  public FilteredPort {
    fixedIps = List.copyOf(fixedIps);
    allowedAddressPairs = List.copyOf(allowedAddressPairs);
    securityGroups = List.copyOf(securityGroups);
  }
}
