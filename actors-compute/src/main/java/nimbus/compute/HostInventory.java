package nimbus.compute;

import nimbus.cluster.CborSerializable;

/**
 * What a host offers, as its agent reads it from the hypervisor, with the allocation ratios the
 * operator set for overcommit, and the availability zone the operator put it in.
 */
public record HostInventory(String hypervisorType, long hypervisorVersion, String hostIp,
    Resources physical, double cpuAllocationRatio, double ramAllocationRatio,
    double diskAllocationRatio, String availabilityZone) implements CborSerializable {

  /** Nova's default zone, which hosts reported before zones could be set are in. */
  public static final String DEFAULT_ZONE = "nova";

  public HostInventory {
    if (availabilityZone == null) availabilityZone = DEFAULT_ZONE;
  }

  /** The capacity servers may claim: physical times ratio. */
  public Resources capacity() {
    return new Resources((int) Math.floor(physical.vcpus() * cpuAllocationRatio),
        (int) Math.floor(physical.ramMb() * ramAllocationRatio),
        (int) Math.floor(physical.diskGb() * diskAllocationRatio));
  }
}
