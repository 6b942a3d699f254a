package nimbus.network;

import java.math.BigInteger;
import java.util.Optional;
import nimbus.cluster.CborSerializable;

/**
 * A subnet that takes its CIDR from a subnet pool: what its network asks the pool for (a given
 * CIDR, or a block of {@code prefixlen}, the pool's default if empty), and the subnet it becomes
 * once the pool has answered ({@link #subnet}). {@code template} holds everything but the CIDR;
 * its gateway and allocation pools are only kept if the request named them.
 */
public record PoolSubnet(Subnet template, String poolId, Optional<String> cidr, Optional<Integer> prefixlen,
    boolean gatewayGiven, boolean poolsGiven) implements CborSerializable {

  public String id() {
    return template.id();
  }

  /** The subnet on {@code cidr}, with Neutron's default gateway (the first host) and pools unless given. */
  public Subnet subnet(String allocated) {
    IpNet net = IpNet.parse(allocated);
    Subnet t = template;
    Optional<String> gateway = gatewayGiven ? t.gatewayIp() : firstHost(net);
    var pools = poolsGiven ? t.allocationPools() : Subnet.defaultPools(net, gateway.flatMap(IpNet.Address::parse));
    return new Subnet(t.id(), t.networkId(), t.projectId(), t.name(), t.description(), net.version(), net.toString(),
        gateway, pools, t.enableDhcp(), t.dnsNameservers(), t.hostRoutes(), t.ipv6RaMode(), t.ipv6AddressMode(),
        Optional.of(poolId), t.tags(), t.createdAt(), t.updatedAt(), t.revisionNumber());
  }

  /** Neutron's default gateway: the first address after the network's own. */
  public static Optional<String> firstHost(IpNet net) {
    BigInteger first = net.network().add(BigInteger.ONE);
    return first.compareTo(net.last()) <= 0 ? Optional.of(net.at(first).toString()) : Optional.empty();
  }
}
