package nimbus.compute;

import java.time.Instant;
import nimbus.cluster.CborSerializable;

/** One host as the scheduler sees it: what it can still take, and when its agent was last heard. */
public record HostSummary(String host, Resources capacity, Resources used, Instant agentSeenAt)
    implements CborSerializable {

  public Resources free() {
    return capacity.minus(used);
  }

  public boolean fits(Resources need) {
    Resources free = free();
    return need.vcpus() <= free.vcpus() && need.ramMb() <= free.ramMb()
        && need.diskGb() <= free.diskGb();
  }
}
