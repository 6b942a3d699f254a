package nimbus.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import nimbus.testing.EntityTestSupport;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.Test;

/**
 * Events journaled before server groups and availability zones lack those fields; they must read
 * as "no group" and the default zone, not as missing values.
 */
class EarlierEventsTest extends EntityTestSupport {
  private final ObjectMapper cbor = new ObjectMapper(new CBORFactory());

  /** The event serialized as today, less one field of {@code path}, read back. */
  private Object withoutField(Object event, String field, String... path) throws Exception {
    Serialization serialization = SerializationExtension.get(testKit.system().classicSystem());
    var serializer = serialization.findSerializerFor(event);
    ObjectNode tree = (ObjectNode) cbor.readTree(serializer.toBinary(event));
    ObjectNode holder = tree;
    for (String p : path) holder = (ObjectNode) holder.get(p);
    holder.remove(field);
    return serialization.deserialize(cbor.writeValueAsBytes(tree), serializer.identifier(),
        Serializers.manifestFor(serializer, event)).get();
  }

  @Test
  void aServerRequestedBeforeGroupsHasNoGroup() throws Exception {
    ServerSpec spec = new ServerSpec("web", "p", "u", Flavor.byId("1").orElseThrow(), BootSource.none("img"),
        Map.of(), Optional.empty(), Optional.of(new Placement("p", "g", Placement.AFFINITY)), Optional.of("az"));
    var read = (ServerEntity.ServerRequested) withoutField(
        new ServerEntity.ServerRequested("s", spec, Optional.empty(), Instant.now()), "group", "spec");
    assertEquals(Optional.empty(), read.spec().group());
    assertEquals(Optional.of("az"), read.spec().availabilityZone());
    assertEquals("web", read.spec().name());
  }

  @Test
  void aServerRequestedBeforeTheMetadataServiceHasNoUserDataKeyOrConfigDrive() throws Exception {
    ServerSpec spec = new ServerSpec("web", "p", "u", Flavor.byId("1").orElseThrow(), BootSource.none("img"),
        Map.of(), Optional.of("k"), Optional.empty(), Optional.empty())
        .withGuestData(Optional.of("ssh-rsa AAAA"), Optional.of("aGk="), true);
    Object event = new ServerEntity.ServerRequested("s", spec, Optional.empty(), Instant.now());
    for (String field : new String[] {"publicKey", "userData", "configDrive"}) event = withoutField(event, field, "spec");
    var read = (ServerEntity.ServerRequested) event;
    assertEquals(Optional.empty(), read.spec().publicKey());
    assertEquals(Optional.empty(), read.spec().userData());
    assertEquals(false, read.spec().configDrive());
    assertEquals(Optional.of("k"), read.spec().keyName());
    assertEquals(InstanceMetadata.of("s", read.spec()).userData(), Optional.empty());
  }

  @Test
  void eventsBeforeRequestIdsAndAccessAddressesHaveNone() throws Exception {
    ServerSpec spec = new ServerSpec("web", "p", "u", Flavor.byId("1").orElseThrow(), BootSource.none("img"),
        Map.of(), Optional.empty(), Optional.empty(), Optional.empty())
        .withAccess(new AccessAddresses(Optional.of("192.0.2.1"), Optional.empty()));
    var read = (ServerEntity.ServerRequested) withoutField(withoutField(
        new ServerEntity.ServerRequested("s", spec, Optional.of("req-1"), Instant.now()), "requestId"), "access", "spec");
    assertEquals(Optional.empty(), read.requestId());
    assertEquals(AccessAddresses.NONE, read.spec().access());
    var stop = (ServerEntity.StopRequested) withoutField(
        new ServerEntity.StopRequested(Optional.of("req-2"), Instant.now()), "requestId");
    assertEquals(Optional.empty(), stop.requestId());
  }

  @Test
  void aClaimBeforeGroupsHasNoGroup() throws Exception {
    var read = (HostEntity.CapacityClaimed) withoutField(
        new HostEntity.CapacityClaimed("s", new Resources(1, 512, 1), Optional.of("g")), "group");
    assertEquals(Optional.empty(), read.group());
  }

  @Test
  void aHostReportedBeforeZonesIsInTheDefaultZone() throws Exception {
    var read = (HostEntity.InventoryReported) withoutField(new HostEntity.InventoryReported(
        new HostInventory("QEMU", 1, "10.0.0.1", new Resources(2, 1024, 10), 1.0, 1.0, 1.0, "edge")),
        "availabilityZone", "inventory");
    assertEquals(HostInventory.DEFAULT_ZONE, read.inventory().availabilityZone());
  }

  @Test
  void aSnapshotRequestedBeforeServersMadeTheirImagesHasNoImage() throws Exception {
    var read = (ServerEntity.SnapshotRequested) withoutField(
        new ServerEntity.SnapshotRequested("img", Optional.empty(), Optional.empty(), Instant.now()), "image");
    assertEquals(Optional.empty(), read.image());
    assertEquals("img", read.imageId());
  }
}
