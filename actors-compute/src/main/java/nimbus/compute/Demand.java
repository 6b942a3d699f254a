package nimbus.compute;

import java.util.Optional;
import nimbus.cluster.CborSerializable;

/**
 * What a server asks of the host it goes to: room for its flavor, the availability zone it
 * asked for (if any), and its server group's policy (if any).
 */
public record Demand(Resources need, Optional<String> zone, Optional<Placement> group) implements CborSerializable {

  public static Demand of(Resources need) {
    return new Demand(need, Optional.empty(), Optional.empty());
  }
}
