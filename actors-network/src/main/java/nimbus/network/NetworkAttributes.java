package nimbus.network;

import java.util.List;
import nimbus.cluster.CborSerializable;

/** What a network's owner (or an admin) sets and changes on it. */
public record NetworkAttributes(String name, String description, boolean adminStateUp, boolean shared,
    boolean external, boolean portSecurityEnabled, List<String> availabilityZoneHints, List<String> tags)
    implements CborSerializable {}
