package nimbus.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import java.util.Map;
import java.util.Optional;
import nimbus.testing.EntityTestSupport;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.Test;

/** A journal written by the first image service still recovers: its events read as today's. */
class ImageRegisteredMigrationTest extends EntityTestSupport {

  @Test
  void anImageRegisteredEventReadsAsAnActiveImageCreated() throws Exception {
    ObjectMapper cbor = new ObjectMapper(new CBORFactory());
    ObjectNode old = cbor.createObjectNode();
    old.putObject("image").put("id", "img-1").put("name", "guest").put("diskFormat", "ami")
        .put("containerFormat", "ami").putNull("location").put("visibility", "public")
        .put("ownerProjectId", "admin").put("createdAt", "2026-11-22T10:00:00Z")
        .putObject("properties").put("kernel_id", "k-1");
    byte[] bytes = cbor.writeValueAsBytes(old);

    Object event = SerializationExtension.get(testKit.system().classicSystem())
        .deserialize(bytes, 33, "nimbus.storage.ImageEntity$ImageRegistered").get();

    ImageEntity.ImageCreated created = (ImageEntity.ImageCreated) event;
    Image image = created.image();
    assertEquals("img-1", image.id());
    assertEquals("active", image.status());
    assertEquals("guest", image.name());
    assertEquals("ami", image.diskFormat());
    assertEquals(Map.of("kernel_id", "k-1"), image.metadata().properties());
    assertEquals(Optional.empty(), image.location());
    assertEquals(Optional.empty(), image.file());
    assertEquals(image.createdAt(), created.at());
  }
}
