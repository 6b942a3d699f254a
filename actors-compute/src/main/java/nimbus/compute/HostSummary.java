package nimbus.compute;

import nimbus.cluster.CborSerializable;

/** One host's capacity as the scheduler sees it: what it offers and what is claimed. */
public record HostSummary(String host, Resources capacity, Resources used)
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
