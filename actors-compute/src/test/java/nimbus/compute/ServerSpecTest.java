package nimbus.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A server's spec changed in one respect keeps every other, its guest's data above all. */
class ServerSpecTest {
  private static final ServerSpec SPEC = new ServerSpec("web", "p", "u", Flavor.byId("1").orElseThrow(),
      BootSource.none("img"), Map.of("a", "1"), Optional.of("key"), Optional.empty(), Optional.of("az"))
      .withGuestData(Optional.of("ssh-ed25519 AAAA k"), Optional.of("aGk="), true);

  @Test
  void everyChangeKeepsTheGuestsKeyUserDataAndConfigDrive() {
    for (ServerSpec changed : List.of(SPEC.withName("other"), SPEC.withFlavor(Flavor.byId("42").orElseThrow()),
        SPEC.withMetadata(Map.of("b", "2")), SPEC.withBoot(BootSource.none("img-2")))) {
      assertEquals(SPEC.publicKey(), changed.publicKey(), changed.toString());
      assertEquals(SPEC.userData(), changed.userData(), changed.toString());
      assertEquals(SPEC.configDrive(), changed.configDrive(), changed.toString());
      assertEquals(SPEC.keyName(), changed.keyName());
      assertEquals(SPEC.availabilityZone(), changed.availabilityZone());
      assertEquals(SPEC.networks(), changed.networks());
    }
  }
}
