package nimbus.compute;

import nimbus.cluster.CborSerializable;

/**
 * What a host offers, as its agent reads it from the hypervisor, with the allocation ratios the
 * operator set for overcommit.
 */
public record HostInventory(String hypervisorType, long hypervisorVersion, String hostIp,
    Resources physical, double cpuAllocationRatio, double ramAllocationRatio,
    double diskAllocationRatio) implements CborSerializable {

  /** The capacity servers may claim: physical times ratio. */
  public Resources capacity() {
    return new Resources((int) Math.floor(physical.vcpus() * cpuAllocationRatio),
        (int) Math.floor(physical.ramMb() * ramAllocationRatio),
        (int) Math.floor(physical.diskGb() * diskAllocationRatio));
  }
}
