package nimbus.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Nova's checks of a create's block_device_mapping_v2, and which mapping a server boots. */
class BlockDeviceMappingsTest {
  private static final String VOLUME = "5f0a8a3e-8d8e-4a51-9d3c-1f2b3c4d5e6f";

  private static JsonNode server(String mappings) {
    return Json.parseObject("{\"block_device_mapping_v2\": [" + mappings + "]}");
  }

  private static String volume(String bootIndex) {
    return "{\"source_type\": \"volume\", \"destination_type\": \"volume\", \"uuid\": \"" + VOLUME
        + "\", \"boot_index\": " + bootIndex + "}";
  }

  private static void refused(String mappings, boolean imageGiven, String message) {
    ApiError e = assertThrows(ApiError.class, () -> BlockDeviceMappings.bootMapping(server(mappings), imageGiven));
    assertEquals(400, e.status);
    assertTrue(e.getMessage().contains(message), e.getMessage());
  }

  @Test
  void theMappingAtBootIndexZeroToAVolumeIsTheBoot() {
    assertEquals(VOLUME, BlockDeviceMappings.bootMapping(server(volume("0")), false).orElseThrow().path("uuid").asText());
    assertEquals(VOLUME, BlockDeviceMappings.bootMapping(server(volume("\"0\"")), false).orElseThrow()
        .path("uuid").asText(), "Nova takes a numeric string");
    assertEquals(Optional.empty(), BlockDeviceMappings.bootMapping(Json.parseObject("{}"), true));
    assertEquals(Optional.empty(), BlockDeviceMappings.bootMapping(server("{\"source_type\": \"image\", "
        + "\"destination_type\": \"local\", \"uuid\": \"" + VOLUME + "\", \"boot_index\": 0}"), true),
        "the imageRef's own mapping is an image boot");
  }

  @Test
  void novasBootSequenceAndFieldChecksAre400s() {
    refused(volume("0") + ", " + volume("0"), false, BlockDeviceMappings.BOOT_SEQUENCE);
    refused(volume("1"), false, BlockDeviceMappings.BOOT_SEQUENCE);
    refused(volume("-1"), false, BlockDeviceMappings.BOOT_SEQUENCE);
    refused(volume("null"), false, BlockDeviceMappings.BOOT_SEQUENCE);
    refused(volume("\"99999999999\""), false, "Boot index is invalid.");
    refused("{\"source_type\": \"volume\", \"boot_index\": 0}", false, "Missing device UUID.");
    refused("{\"source_type\": \"blank\", \"uuid\": \"" + VOLUME + "\", \"boot_index\": 0}", false,
        "Invalid device UUID.");
    refused("{\"uuid\": \"" + VOLUME + "\", \"boot_index\": 0}", false, "Some required fields are missing");
    refused("{\"source_type\": \"image\", \"destination_type\": \"local\", \"uuid\": \"" + VOLUME
        + "\", \"boot_index\": 0}", false, "Mapping image to local is not supported.");
  }

  @Test
  void whatNimbusDoesNotBootIsA400ThatSaysSo() {
    refused(volume("0") + ", " + volume("1"), false, "Nimbus boots from one volume");
    refused(volume("-1"), true, "Nimbus boots from one volume");
    refused("{\"source_type\": \"snapshot\", \"destination_type\": \"volume\", \"uuid\": \"" + VOLUME
        + "\", \"boot_index\": 0}", false, "not from a snapshot mapped to volume");
    refused("{\"source_type\": \"blank\", \"destination_type\": \"local\", \"boot_index\": 0}", false,
        "not from a blank mapped to local");
  }
}
