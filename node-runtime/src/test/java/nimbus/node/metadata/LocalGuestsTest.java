package nimbus.node.metadata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import nimbus.compute.InstanceMetadata;
import nimbus.compute.ServerPort;
import nimbus.network.FixedIp;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The host's guests as the metadata server finds them: by network and address, the newer of two
 * claims winning, and kept on disk so that an agent started again (a new actor over the same
 * directory) serves the same guests.
 */
class LocalGuestsTest {
  private static final String NET = "11111111-0000-4000-8000-000000000001";
  private static final String OTHER_NET = "22222222-0000-4000-8000-000000000002";
  private static ActorSystem<Void> system;

  @BeforeAll
  static void start() {
    system = ActorSystem.create(Behaviors.empty(), "local-guests-test",
        ConfigFactory.parseString("pekko.actor.provider = local").withFallback(ConfigFactory.load()));
  }

  @AfterAll
  static void stop() {
    system.terminate();
  }

  private static InstanceMetadata instance(String serverId, String name) {
    return new InstanceMetadata(serverId, name, "p", "nova", Map.of("role", "web"), Optional.of("k"),
        Optional.of("ssh-ed25519 AAAA " + name), Optional.of("aGVsbG8="), false);
  }

  private static ServerPort port(String networkId, String ip) {
    return new ServerPort("33333333-0000-4000-8000-00000000000" + ip.charAt(ip.length() - 1), networkId, "n",
        "fa:16:3e:00:00:01", List.of(new FixedIp("s", ip)), true, Optional.empty());
  }

  private static Optional<LocalGuests.Guest> find(ActorRef<LocalGuests.Command> guests, String network, String ip)
      throws Exception {
    return AskPattern.<LocalGuests.Command, Optional<LocalGuests.Guest>>ask(guests,
        r -> new LocalGuests.Find(network, ip, r), Duration.ofSeconds(5), system.scheduler())
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void aGuestIsFoundByItsNetworkAndAddressAndOutlivesTheAgent() throws Exception {
    Path dir = Files.createTempDirectory("local-guests").resolve("guests");
    ActorRef<LocalGuests.Command> guests = system.systemActorOf(LocalGuests.create(dir, system.executionContext()),
        "guests-1", Props.empty());
    String a = "aaaaaaaa-0000-4000-8000-00000000000a";
    GuestNic nic = new GuestNic("33333333-0000-4000-8000-000000000005", "fa:16:3e:00:00:01", NET, 1450,
        List.of(new GuestNic.Address("10.0.0.5", "10.0.0.0/24", Optional.of("10.0.0.1"), List.of("192.0.2.53"),
            List.of(new GuestNic.Route("172.16.0.0/12", "10.0.0.9")), true, Optional.empty())));
    guests.tell(new LocalGuests.Remember(instance(a, "web-a"), List.of(port(NET, "10.0.0.5")), List.of(nic)));

    assertEquals("web-a", find(guests, NET, "10.0.0.5").orElseThrow().instance().name());
    assertEquals(Optional.empty(), find(guests, NET, "10.0.0.6"), "another address of the network is nobody's");
    assertEquals(Optional.empty(), find(guests, OTHER_NET, "10.0.0.5"), "the same address on another network is not a's");

    Path file = dir.resolve(a + ".json");
    poll(() -> Files.exists(file));
    assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file)),
        "user data is the guest's alone");
    ActorRef<LocalGuests.Command> restarted = system.systemActorOf(LocalGuests.create(dir, system.executionContext()),
        "guests-2", Props.empty());
    LocalGuests.Guest again = find(restarted, NET, "10.0.0.5").orElseThrow();
    assertEquals(instance(a, "web-a"), again.instance(), "read back whole after a restart");
    assertEquals(List.of(nic), again.nics(), "its NICs too");

    guests.tell(new LocalGuests.Forget(a));
    assertEquals(Optional.empty(), find(guests, NET, "10.0.0.5"));
    poll(() -> !Files.exists(file));
  }

  @Test
  void ofTwoClaimsOnOneAddressTheNewerWins() throws Exception {
    Path dir = Files.createTempDirectory("local-guests").resolve("guests");
    ActorRef<LocalGuests.Command> guests = system.systemActorOf(LocalGuests.create(dir, system.executionContext()),
        "guests-3", Props.empty());
    String old = "bbbbbbbb-0000-4000-8000-00000000000b";
    String fresh = "cccccccc-0000-4000-8000-00000000000c";
    guests.tell(new LocalGuests.Remember(instance(old, "stale"), List.of(port(NET, "10.0.0.7")), List.of()));
    guests.tell(new LocalGuests.Remember(instance(fresh, "fresh"), List.of(port(NET, "10.0.0.7")), List.of()));
    assertEquals("fresh", find(guests, NET, "10.0.0.7").orElseThrow().instance().name());
    guests.tell(new LocalGuests.UpdatePorts(fresh, List.of(port(NET, "10.0.0.8"))));
    assertEquals("fresh", find(guests, NET, "10.0.0.8").orElseThrow().instance().name(), "its NICs follow");
    assertEquals("stale", find(guests, NET, "10.0.0.7").orElseThrow().instance().name());
  }

  private static void poll(BooleanSupplier condition) throws InterruptedException {
    long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < end, "not within 10 s");
      Thread.sleep(20);
    }
  }
}
