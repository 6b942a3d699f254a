package nimbus.compute;

import nimbus.cluster.CborSerializable;

/** An amount of host capacity: what a flavor asks for and what a host claims for a server. */
public record Resources(int vcpus, int ramMb, int diskGb) implements CborSerializable {
  public static final Resources NONE = new Resources(0, 0, 0);

  public Resources plus(Resources other) {
    return new Resources(vcpus + other.vcpus, ramMb + other.ramMb, diskGb + other.diskGb);
  }

  public Resources minus(Resources other) {
    return new Resources(vcpus - other.vcpus, ramMb - other.ramMb, diskGb - other.diskGb);
  }
}
