package nimbus.compute;

import java.util.List;
import nimbus.cluster.CborSerializable;

/**
 * The NICs a server asked for: ports on tenant networks ({@code nics}), or, with none, the
 * host-local network ({@code hostLocal}) or no NIC at all (Nova's {@code networks: none}).
 */
public record ServerNetworks(List<NicRequest> nics, boolean hostLocal) implements CborSerializable {

  /** What servers created before tenant networks have: one NIC on their host's local network. */
  public static final ServerNetworks HOST_LOCAL = new ServerNetworks(List.of(), true);

  public static final ServerNetworks NONE = new ServerNetworks(List.of(), false);

  /** The same NICs, their new ports in these security groups. */
  public ServerNetworks withSecurityGroups(List<String> groups) {
    return new ServerNetworks(nics.stream().map(n -> n.withSecurityGroups(groups)).toList(), hostLocal);
  }

  public static ServerNetworks of(List<NicRequest> nics) {
    return new ServerNetworks(List.copyOf(nics), false);
  }
}
