package nimbus.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import nimbus.testing.TestConfig;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Events journaled before servers could join server groups lack the group; they must read as
 * "no group", not as a missing value.
 */
class EarlierEventsTest {
  private static ActorTestKit kit;
  private final ObjectMapper cbor = new ObjectMapper(new CBORFactory());

  @BeforeAll
  static void start() {
    kit = ActorTestKit.create(TestConfig.serialization());
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  /** The event serialized as today, less one field of {@code path}, read back. */
  private Object withoutField(Object event, String field, String... path) throws Exception {
    Serialization serialization = SerializationExtension.get(kit.system().classicSystem());
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
        Map.of(), Optional.empty(), Optional.of(new Placement("g", Placement.AFFINITY)));
    var read = (ServerEntity.ServerRequested) withoutField(
        new ServerEntity.ServerRequested("s", spec, Instant.now()), "group", "spec");
    assertEquals(Optional.empty(), read.spec().group());
    assertEquals("web", read.spec().name());
  }

  @Test
  void aClaimBeforeGroupsHasNoGroup() throws Exception {
    var read = (HostEntity.CapacityClaimed) withoutField(
        new HostEntity.CapacityClaimed("s", new Resources(1, 512, 1), Optional.of("g")), "group");
    assertEquals(Optional.empty(), read.group());
  }
}
