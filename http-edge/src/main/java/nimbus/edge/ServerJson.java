package nimbus.edge;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import nimbus.compute.ServerView;

/** Servers in Nova's JSON (microversion 2.1 shapes). */
final class ServerJson {
  private static final DateTimeFormatter USAGE_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS").withZone(ZoneOffset.UTC);

  private static final String NO_VALID_HOST = "No valid host was found.";

  private ServerJson() {}

  /** The short form of lists: id, name, links. */
  static ObjectNode summary(ServerView s, String baseUrl) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("id", s.id());
    o.put("name", s.name());
    o.set("links", links(baseUrl, "servers", s.id()));
    return o;
  }

  /**
   * The full view. Where a server runs is for admins only (Nova's policy): others see neither
   * host names nor the scheduler's reasons, only the per-project {@code hostId}.
   */
  static ObjectNode detail(ServerView s, String zone, String baseUrl, boolean admin) {
    ObjectNode o = summary(s, baseUrl);
    o.put("status", s.status());
    o.put("tenant_id", s.projectId());
    o.put("user_id", s.userId());
    o.set("metadata", Json.MAPPER.valueToTree(s.metadata()));
    o.put("hostId", hostId(s));
    ObjectNode image = o.putObject("image");
    image.put("id", s.imageId());
    image.set("links", bookmark(baseUrl, "images", s.imageId()));
    ObjectNode flavor = o.putObject("flavor");
    flavor.put("id", s.flavor().id());
    flavor.set("links", bookmark(baseUrl, "flavors", s.flavor().id()));
    o.put("created", isoTime(s.created()));
    o.put("updated", isoTime(s.updated()));
    o.putObject("addresses");
    o.put("accessIPv4", "");
    o.put("accessIPv6", "");
    o.put("OS-DCF:diskConfig", "MANUAL");
    o.put("progress", s.status().equals("ACTIVE") ? 100 : 0);
    o.put("OS-EXT-AZ:availability_zone", zone);
    o.put("config_drive", "");
    o.put("key_name", s.keyName().orElse(null));
    if (s.launchedAt().isPresent()) {
      o.put("OS-SRV-USG:launched_at", USAGE_TIME.format(s.launchedAt().get()));
    } else {
      o.putNull("OS-SRV-USG:launched_at");
    }
    o.putNull("OS-SRV-USG:terminated_at");
    if (admin) {
      o.put("OS-EXT-SRV-ATTR:host", s.host().orElse(null));
      o.put("OS-EXT-SRV-ATTR:hypervisor_hostname", s.host().orElse(null));
      o.put("OS-EXT-SRV-ATTR:instance_name", "nimbus-" + s.id());
    }
    o.put("OS-EXT-STS:vm_state", s.vmState());
    o.put("OS-EXT-STS:task_state", s.taskState().orElse(null));
    o.put("OS-EXT-STS:power_state", s.powerState());
    o.put("locked", s.locked());
    if (s.locked()) o.put("locked_by", s.lockedBy().get());
    o.putArray("os-extended-volumes:volumes_attached");
    o.putArray("security_groups").addObject().put("name", "default");
    s.fault().ifPresent(f -> {
      ObjectNode fault = o.putObject("fault");
      fault.put("code", f.code());
      fault.put("created", isoTime(f.created()));
      fault.put("message", admin || !f.message().startsWith(NO_VALID_HOST) ? f.message()
          : NO_VALID_HOST + " There are not enough hosts available.");
    });
    return o;
  }

  static ArrayNode links(String baseUrl, String collection, String id) {
    ArrayNode links = Json.MAPPER.createArrayNode();
    links.addObject().put("rel", "self").put("href", baseUrl + "/v2.1/" + collection + "/" + id);
    links.addObject().put("rel", "bookmark").put("href", baseUrl + "/" + collection + "/" + id);
    return links;
  }

  private static ArrayNode bookmark(String baseUrl, String collection, String id) {
    ArrayNode links = Json.MAPPER.createArrayNode();
    links.addObject().put("rel", "bookmark").put("href", baseUrl + "/" + collection + "/" + id);
    return links;
  }

  static String isoTime(Instant t) {
    return t.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  /** Nova's hostId: a per-project digest of the host, so projects cannot compare placements. */
  static String hostId(ServerView s) {
    if (s.host().isEmpty()) return "";
    try {
      byte[] digest = MessageDigest.getInstance("SHA-224")
          .digest((s.projectId() + s.host().get()).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
