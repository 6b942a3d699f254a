package nimbus.compute;

import nimbus.cluster.CborSerializable;

/** A volume attached to a server (Nova's volume attachment): its id, the attachment's, and its device in the domain. */
public record ServerVolume(String volumeId, String attachmentId, String device) implements CborSerializable {}
