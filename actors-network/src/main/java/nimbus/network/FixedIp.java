package nimbus.network;

import nimbus.cluster.CborSerializable;

/** An address of a port, in one subnet. */
public record FixedIp(String subnetId, String ipAddress) implements CborSerializable {}
