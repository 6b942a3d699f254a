package nimbus.compute;

import java.time.Instant;
import nimbus.cluster.CborSerializable;

/** Why a server is in ERROR, as Nova's {@code fault} shows it. */
public record Fault(int code, String message, Instant created) implements CborSerializable {}
