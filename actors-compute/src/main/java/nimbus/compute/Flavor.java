package nimbus.compute;

import java.util.List;
import java.util.Optional;
import nimbus.cluster.CborSerializable;

/** A server size, as Nova's flavors describe it. */
public record Flavor(String id, String name, int vcpus, int ramMb, int diskGb)
    implements CborSerializable {

  public Resources resources() {
    return new Resources(vcpus, ramMb, diskGb);
  }

  /**
   * The flavors every cloud starts with (DevStack's ids and names; nano and micro are sized for
   * the small test guest).
   */
  public static final List<Flavor> DEFAULTS = List.of(
      new Flavor("1", "m1.tiny", 1, 512, 1),
      new Flavor("2", "m1.small", 1, 2048, 20),
      new Flavor("3", "m1.medium", 2, 4096, 40),
      new Flavor("4", "m1.large", 4, 8192, 80),
      new Flavor("5", "m1.xlarge", 8, 16384, 160),
      new Flavor("42", "m1.nano", 1, 128, 1),
      new Flavor("84", "m1.micro", 1, 192, 1));

  public static Optional<Flavor> byId(String id) {
    return DEFAULTS.stream().filter(f -> f.id().equals(id)).findFirst();
  }
}
