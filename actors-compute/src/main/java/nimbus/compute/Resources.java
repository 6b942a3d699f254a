package nimbus.compute;

import nimbus.cluster.CborSerializable;

/** An amount of host capacity: what a flavor asks for and what a host claims for a server. */
public record Resources(int vcpus, int ramMb, int diskGb) implements CborSerializable {
  public static final Resources NONE = new Resources(0, 0, 0);

  public Resources plus(Resources other) {
    return new Resources(vcpus + other.vcpus, ramMb + other.ramMb, diskGb + other.diskGb);
  }

  /** The larger of each amount (what a server holds while it resizes). */
  public Resources max(Resources other) {
    return new Resources(Math.max(vcpus, other.vcpus), Math.max(ramMb, other.ramMb), Math.max(diskGb, other.diskGb));
  }

  /** What {@code next} needs beyond this: the growth of each amount, never negative. */
  public Resources growthTo(Resources next) {
    return new Resources(Math.max(0, next.vcpus - vcpus), Math.max(0, next.ramMb - ramMb), Math.max(0, next.diskGb - diskGb));
  }

  public Resources minus(Resources other) {
    return new Resources(vcpus - other.vcpus, ramMb - other.ramMb, diskGb - other.diskGb);
  }
}
