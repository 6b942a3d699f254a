package nimbus.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import nimbus.storage.ImageSeeds;
import org.junit.jupiter.api.Test;

/** Nova's image proxy: the image service's images in Nova's view, their metadata, their deletion. */
class ComputeImageRoutesTest extends ApiRouteTest {
  private static final String IMAGES = "/compute/v2.1/images";

  private String glanceImage(String token) {
    return json(api.run(post("/image/v2/images", token, "{\"name\": \"proxied\", \"min_ram\": 64, \"min_disk\": 2, "
        + "\"os_distro\": \"cirros\"}")), 201).path("id").asText();
  }

  @Test
  void anImageShowsInNovasView() {
    String id = glanceImage(member);
    JsonNode image = json(api.run(get(IMAGES + "/" + id, reader)), 200).path("image");
    assertEquals("SAVING", image.path("status").asText(), image.toString()); // Glance's queued
    assertEquals(25, image.path("progress").asInt());
    assertEquals(64, image.path("minRam").asInt());
    assertEquals(2, image.path("minDisk").asInt());
    assertEquals(Map.of("os_distro", "cirros"), Json.MAPPER.convertValue(image.path("metadata"), Map.class));
    assertTrue(image.has("OS-EXT-IMG-SIZE:size") && image.path("links").size() == 3, image.toString());
    JsonNode seeded = json(api.run(get(IMAGES + "/" + ImageSeeds.idOf("nimbus-test-guest"), member)), 200).path("image");
    assertEquals("ACTIVE", seeded.path("status").asText());
    assertEquals(100, seeded.path("progress").asInt());

    assertTrue(json(api.run(get(IMAGES, member)), 200).path("images").findValuesAsText("id").contains(id));
    JsonNode detail = json(api.run(get(IMAGES + "/detail?limit=1", member)), 200);
    assertEquals(1, detail.path("images").size(), detail.toString());
    assertTrue(detail.path("images").get(0).has("minRam") && detail.has("images_links"), detail.toString());
  }

  @Test
  void theOwnerChangesMetadataAndOthersDoNot() {
    String id = glanceImage(member);
    String metadata = IMAGES + "/" + id + "/metadata";
    JsonNode merged = json(api.run(post(metadata, member, "{\"metadata\": {\"a\": \"1\"}}")), 200);
    assertEquals("cirros", merged.path("metadata").path("os_distro").asText(), merged.toString());
    assertEquals("2", json(api.run(put(metadata + "/a", member, "{\"meta\": {\"a\": \"2\"}}")), 200)
        .path("meta").path("a").asText());
    assertEquals("2", json(api.run(get(metadata + "/a", reader)), 200).path("meta").path("a").asText());
    assertEquals("Request body and URI mismatch",
        novaError(api.run(put(metadata + "/a", member, "{\"meta\": {\"b\": \"2\"}}")), 400, "badRequest"));
    assertEquals(204, api.run(delete(metadata + "/a", member)).statusCode());
    assertEquals("Invalid metadata key", novaError(api.run(delete(metadata + "/a", member)), 404, "itemNotFound"));
    JsonNode replaced = json(api.run(put(metadata, member, "{\"metadata\": {\"only\": \"this\"}}")), 200);
    assertEquals(Map.of("only", "this"), Json.MAPPER.convertValue(replaced.path("metadata"), Map.class));
    assertEquals(Map.of("only", "this"), Json.MAPPER.convertValue(
        json(api.run(get(metadata, member)), 200).path("metadata"), Map.class));

    novaError(api.run(post(metadata, reader, "{\"metadata\": {\"a\": \"1\"}}")), 403, "forbidden");
    assertEquals("Image not found.", novaError(api.run(get(metadata, stranger)), 404, "itemNotFound"));
    novaError(api.run(post(metadata, member, "{\"metadata\": {\"a\": 1}}")), 400, "badRequest");
  }

  @Test
  void deletingAnImageThroughNova() {
    String id = glanceImage(member);
    novaError(api.run(delete(IMAGES + "/" + id, stranger)), 404, "itemNotFound");
    assertEquals("You are not allowed to delete the image.",
        novaError(api.run(delete(IMAGES + "/" + id, reader)), 403, "forbidden"));
    assertEquals(204, api.run(delete(IMAGES + "/" + id, member)).statusCode());
    assertEquals("Image not found.", novaError(api.run(get(IMAGES + "/" + id, member)), 404, "itemNotFound"));
    for (String bad : new String[] {"-1", "", "not-a-uuid", id + "1"}) {
      novaError(api.run(delete(IMAGES + "/" + bad, member)), 404, "itemNotFound");
    }
    assertFalse(json(api.run(get(IMAGES, member)), 200).path("images").findValuesAsText("id").contains(id));
  }
}
