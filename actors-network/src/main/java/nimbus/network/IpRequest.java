package nimbus.network;

import java.util.Optional;
import nimbus.cluster.CborSerializable;

/**
 * One entry of a port's {@code fixed_ips} as asked: a subnet (any address of it), an address (in
 * whichever subnet holds it), or both.
 */
public record IpRequest(Optional<String> subnetId, Optional<String> ipAddress) implements CborSerializable {}
