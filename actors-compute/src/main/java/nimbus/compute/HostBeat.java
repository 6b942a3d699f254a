package nimbus.compute;

import nimbus.cluster.CborSerializable;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * A host agent's heartbeat, broadcast so every node knows which hosts are up and where their
 * agents are.
 */
public record HostBeat(String host, ActorRef<HostAgentCommand> agent) implements CborSerializable {}
