package nimbus.edge;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import com.fasterxml.jackson.databind.node.ObjectNode;
import nimbus.compute.ServerPort;
import nimbus.compute.ServerSpec;
import nimbus.compute.ServerView;

/**
 * Servers in Nova's JSON, as records Jackson writes: the fields of the request's microversion
 * (2.1's, and {@code locked} from 2.9). Who locked a server stays inside: Nova shows no
 * {@code locked_by}. {@code locked_reason} (2.73) waits for a lock that keeps its reason.
 */
final class ServerJson {
  private static final DateTimeFormatter USAGE_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS").withZone(ZoneOffset.UTC);

  private static final String NO_VALID_HOST = "No valid host was found.";

  private ServerJson() {}

  /** The short form of lists: id, name, links. */
  record Summary(String id, String name, List<Link> links) {}

  /** An image or a flavor as a server refers to it. */
  record Ref(String id, List<Link> links) {}

  record Fault(int code, String created, String message) {}

  record SecurityGroupRef(String name) {}

  /** Where a server runs: admins only (Nova's policy). */
  record Placement(@JsonProperty("OS-EXT-SRV-ATTR:host") String host,
      @JsonProperty("OS-EXT-SRV-ATTR:hypervisor_hostname") String hypervisorHostname,
      @JsonProperty("OS-EXT-SRV-ATTR:instance_name") String instanceName) {}

  /** The full view; fields in the order Nova writes them. */
  record Detail(String id, String name, List<Link> links, String status,
      @JsonProperty("tenant_id") String tenantId, @JsonProperty("user_id") String userId,
      Map<String, String> metadata, String hostId, Object image, Ref flavor, String created, String updated,
      Map<String, Object> addresses, String accessIPv4, String accessIPv6,
      @JsonProperty("OS-DCF:diskConfig") String diskConfig,
      @JsonInclude(JsonInclude.Include.NON_ABSENT) Optional<Integer> progress,
      @JsonProperty("OS-EXT-AZ:availability_zone") String availabilityZone,
      @JsonProperty("config_drive") String configDrive, @JsonProperty("key_name") String keyName,
      @JsonProperty("OS-SRV-USG:launched_at") String launchedAt,
      @JsonProperty("OS-SRV-USG:terminated_at") String terminatedAt,
      @JsonUnwrapped Placement placement,
      @JsonProperty("OS-EXT-STS:vm_state") String vmState, @JsonProperty("OS-EXT-STS:task_state") String taskState,
      @JsonProperty("OS-EXT-STS:power_state") int powerState,
      @JsonInclude(JsonInclude.Include.NON_ABSENT) Optional<Boolean> locked,
      @JsonProperty("os-extended-volumes:volumes_attached") List<Object> volumesAttached,
      // Nova shows no key for a server in no group
      @JsonProperty("security_groups") @JsonInclude(JsonInclude.Include.NON_EMPTY) List<SecurityGroupRef> securityGroups,
      @JsonInclude(JsonInclude.Include.NON_ABSENT) Optional<Fault> fault) {}

  /** The answer to a create: the new server's id and links, and its admin password. */
  record Created(String id, List<Link> links, @JsonProperty("OS-DCF:diskConfig") String diskConfig,
      @JsonProperty("security_groups") List<SecurityGroupRef> securityGroups, String adminPass) {
    Created(String id, String adminPass, List<String> groups, String baseUrl) {
      this(id, ServerJson.links(baseUrl, "servers", id), "MANUAL", groups.stream().map(SecurityGroupRef::new).toList(),
          adminPass);
    }
  }

  /** One entry of {@code os-instance-actions}. */
  record Action(String action, @JsonProperty("instance_uuid") String instanceUuid,
      @JsonProperty("request_id") String requestId, @JsonProperty("user_id") String userId,
      @JsonProperty("project_id") String projectId, @JsonProperty("start_time") String startTime, String message) {}

  /** The server's image, or "" for one booted from a volume (as Nova shows a volume-backed server). */
  private static Object image(ServerView s, String baseUrl) {
    return s.imageId().isEmpty() ? "" : new Ref(s.imageId(), bookmark(baseUrl, "images", s.imageId()));
  }

  static Summary summary(ServerView s, String baseUrl) {
    return new Summary(s.id(), s.name(), links(baseUrl, "servers", s.id()));
  }

  /**
   * The basic view Nova answers an update and a rebuild with (2.1: none of the extensions'
   * fields, addresses without their type and MAC); a rebuild's carries the admin password, as a
   * create's does.
   */
  @JsonInclude(JsonInclude.Include.NON_ABSENT)
  record Basic(String id, String name, List<Link> links, String status, @JsonProperty("tenant_id") String tenantId,
      @JsonProperty("user_id") String userId, Map<String, String> metadata, String hostId, Object image, Ref flavor,
      String created, String updated, Map<String, List<PlainAddress>> addresses, String accessIPv4, String accessIPv6,
      @JsonProperty("OS-DCF:diskConfig") String diskConfig, Optional<Integer> progress, Optional<Fault> fault,
      Optional<String> adminPass) {}

  static Basic basic(ServerView s, String baseUrl, boolean admin, Optional<String> adminPass) {
    Detail d = detail(s, List.of(), "", baseUrl, admin, Microversion.of(ComputeVersions.MIN));
    return new Basic(d.id(), d.name(), d.links(), d.status(), d.tenantId(), d.userId(), d.metadata(), d.hostId(),
        d.image(), d.flavor(), d.created(), d.updated(), plainAddresses(s), d.accessIPv4(), d.accessIPv6(),
        d.diskConfig(), d.progress(), d.fault(), adminPass);
  }

  /**
   * The full view. Where a server runs is for admins only (Nova's policy): others see neither
   * host names nor the scheduler's reasons, only the per-project {@code hostId}.
   */
  static Detail detail(ServerView s, List<String> groups, String zone, String baseUrl, boolean admin,
      Microversion version) {
    return new Detail(s.id(), s.name(), links(baseUrl, "servers", s.id()), s.status(), s.projectId(), s.userId(),
        s.metadata(), hostId(s), image(s, baseUrl),
        new Ref(s.flavor().id(), bookmark(baseUrl, "flavors", s.flavor().id())), isoTime(s.created()),
        isoTime(s.updated()), addresses(s), s.access().ipv4().orElse(""), s.access().ipv6().orElse(""), "MANUAL",
        progress(s.status()), zone,
        s.configDrive() ? "True" : "",
        s.keyName().orElse(null), s.launchedAt().map(USAGE_TIME::format).orElse(null), null,
        admin ? new Placement(s.host().orElse(null), s.host().orElse(null), "nimbus-" + s.id()) : null,
        s.vmState(), s.taskState().orElse(null), s.powerState(),
        version.atLeast("2.9") ? Optional.of(s.locked()) : Optional.empty(), ServerVolumeRoutes.attached(s, version), groups.stream().map(SecurityGroupRef::new).toList(),
        s.fault().map(f -> new Fault(f.code(), isoTime(f.created()),
            admin || !f.message().startsWith(NO_VALID_HOST) ? f.message()
                : NO_VALID_HOST + " There are not enough hosts available.")));
  }

  /**
   * The full view with the fields of later microversions: for admins ({@code admin}) 2.3's
   * extended attributes and 2.16's {@code host_status} (given), and 2.19's {@code description}
   * and 2.26's {@code tags}.
   */
  static ObjectNode full(ServerView s, List<String> groups, String zone, String baseUrl, boolean admin,
      Microversion version, Optional<String> hostStatus) {
    return full(s, groups, zone, baseUrl, admin, version, hostStatus, Map.of());
  }

  /** The full view with the floating IPs associated with the server's ports ({@code floating}: by port id). */
  static ObjectNode full(ServerView s, List<String> groups, String zone, String baseUrl, boolean admin,
      Microversion version, Optional<String> hostStatus, Map<String, List<Floating>> floating) {
    ObjectNode node = Json.MAPPER.valueToTree(detail(s, groups, zone, baseUrl, admin, version));
    if (s.ports().stream().anyMatch(p -> floating.containsKey(p.portId()))) {
      node.set("addresses", Json.MAPPER.valueToTree(addresses(s, floating)));
    }
    if (admin && version.atLeast("2.3")) {
      ServerSpec.Launch launch = s.launched();
      node.put("OS-EXT-SRV-ATTR:reservation_id", launch.reservationId());
      node.put("OS-EXT-SRV-ATTR:launch_index", launch.index());
      node.put("OS-EXT-SRV-ATTR:hostname", launch.hostname());
      // images here carry no separate kernel or ramdisk; Nova shows "" for those
      node.put("OS-EXT-SRV-ATTR:kernel_id", "");
      node.put("OS-EXT-SRV-ATTR:ramdisk_id", "");
      // the root disk is the guest's first virtio disk once the host has made it
      node.put("OS-EXT-SRV-ATTR:root_device_name", s.launchedAt().map(t -> "/dev/vda").orElse(null));
      node.put("OS-EXT-SRV-ATTR:user_data", s.userData().orElse(null));
    }
    if (version.atLeast("2.16")) hostStatus.ifPresent(h -> node.put("host_status", h));
    return later(node, s, version);
  }

  /** The basic view (update, rebuild) with 2.9's {@code locked}, 2.19's description and 2.26's tags. */
  static ObjectNode updated(ServerView s, String baseUrl, Microversion version, Optional<String> adminPass) {
    ObjectNode node = Json.MAPPER.valueToTree(basic(s, baseUrl, false, adminPass));
    if (version.atLeast("2.9")) node.put("locked", s.locked());
    return later(node, s, version);
  }

  private static ObjectNode later(ObjectNode node, ServerView s, Microversion version) {
    if (version.atLeast("2.19")) node.put("description", s.description().orElse(null));
    if (version.atLeast("2.26")) {
      com.fasterxml.jackson.databind.node.ArrayNode tags = node.putArray("tags");
      s.tags().forEach(tags::add);
    }
    return node;
  }

  /** Nova shows {@code progress} only in the statuses where something may be under way. */
  private static Optional<Integer> progress(String status) {
    if (!PROGRESS_STATUSES.contains(status)) return Optional.empty();
    return Optional.of(status.equals("ACTIVE") ? 100 : 0);
  }

  private static final java.util.Set<String> PROGRESS_STATUSES =
      java.util.Set.of("ACTIVE", "BUILD", "REBUILD", "RESIZE", "VERIFY_RESIZE", "MIGRATING");

  /** One address as Nova lists it under its network's name. */
  record Address(int version, String addr, @JsonProperty("OS-EXT-IPS:type") String type,
      @JsonProperty("OS-EXT-IPS-MAC:mac_addr") String macAddr) {}

  /** A server's addresses by network name, each port's in order (Nova's {@code addresses}). */
  static Map<String, Object> addresses(ServerView s) {
    Map<String, Object> out = new java.util.LinkedHashMap<>();
    for (ServerPort p : s.ports()) {
      @SuppressWarnings("unchecked")
      List<Address> list = (List<Address>) out.computeIfAbsent(p.networkName(), n -> new java.util.ArrayList<Address>());
      p.fixedIps().forEach(ip -> list.add(new Address(ip.ipAddress().contains(":") ? 6 : 4, ip.ipAddress(), "fixed",
          p.macAddress())));
    }
    return out;
  }

  /** A floating IP associated with a server's port: the fixed address it translates to, and its own. */
  record Floating(String fixedIp, String address) {}

  /**
   * The addresses with the floating IPs of each port ({@code floating}: by port id), each after
   * the fixed address it translates to, as Nova lists them.
   */
  static Map<String, Object> addresses(ServerView s, Map<String, List<Floating>> floating) {
    Map<String, Object> out = new java.util.LinkedHashMap<>();
    for (ServerPort p : s.ports()) {
      @SuppressWarnings("unchecked")
      List<Address> list = (List<Address>) out.computeIfAbsent(p.networkName(), n -> new java.util.ArrayList<Address>());
      List<Floating> ofPort = floating.getOrDefault(p.portId(), List.of());
      p.fixedIps().forEach(ip -> {
        list.add(new Address(ip.ipAddress().contains(":") ? 6 : 4, ip.ipAddress(), "fixed", p.macAddress()));
        ofPort.stream().filter(f -> f.fixedIp().equals(ip.ipAddress()))
            .forEach(f -> list.add(new Address(f.address().contains(":") ? 6 : 4, f.address(), "floating", p.macAddress())));
      });
    }
    return out;
  }

  /** One address without the extension's fields (the basic view, {@code /ips}). */
  record PlainAddress(int version, String addr) {}

  /** The addresses by network name as the basic view and {@code /ips} show them. */
  static Map<String, List<PlainAddress>> plainAddresses(ServerView s) {
    Map<String, List<PlainAddress>> out = new java.util.LinkedHashMap<>();
    addresses(s).forEach((name, list) -> out.put(name, ((List<?>) list).stream().map(a -> (Address) a)
        .map(a -> new PlainAddress(a.version(), a.addr())).toList()));
    return out;
  }

  static List<Link> links(String baseUrl, String collection, String id) {
    return List.of(Link.self(baseUrl + "/v2.1/" + collection + "/" + id),
        Link.bookmark(baseUrl + "/" + collection + "/" + id));
  }

  private static List<Link> bookmark(String baseUrl, String collection, String id) {
    return List.of(Link.bookmark(baseUrl + "/" + collection + "/" + id));
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
