package nimbus.compute;

import java.util.Set;
import nimbus.cluster.CborSerializable;

/**
 * One host as the scheduler and the hypervisors API see it: what it offers, what is claimed and
 * by how many servers, and the server groups those servers belong to.
 */
public record HostSummary(String host, HostInventory inventory, Resources used, int servers, Set<String> groups)
    implements CborSerializable {

  /** What servers may claim in all: the inventory times the allocation ratios. */
  public Resources capacity() {
    return inventory.capacity();
  }

  public Resources free() {
    return capacity().minus(used);
  }

  public boolean fits(Resources need) {
    Resources free = free();
    return need.vcpus() <= free.vcpus() && need.ramMb() <= free.ramMb()
        && need.diskGb() <= free.diskGb();
  }
}
