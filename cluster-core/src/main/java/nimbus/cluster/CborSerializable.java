package nimbus.cluster;

/**
 * Marks messages, events and replies that cross the wire or go to the journal; they are
 * serialized with Jackson CBOR (bound in nimbus-pekko.conf).
 */
public interface CborSerializable {}
