package nimbus.compute;

import java.time.Instant;
import nimbus.cluster.CborSerializable;

/** An SSH public key a user registered under a name, as Nova's keypairs hold it. */
public record Keypair(String name, String userId, String publicKey, String fingerprint, String type,
    Instant createdAt) implements CborSerializable {}
