package nimbus.node.metadata;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Deque;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import nimbus.compute.InstanceMetadata;
import nimbus.network.IpNet;
import nimbus.node.dataplane.TenantSegment;

/**
 * The documents OpenStack's metadata service and config drive give one guest, built from what
 * it may know about itself ({@link InstanceMetadata}) and its NICs, in the formats of Nova's
 * {@code nova/api/metadata/base.py}: the {@code openstack/VERSION/...} tree ({@code meta_data.json},
 * {@code user_data}, {@code network_data.json}, {@code vendor_data.json}, {@code vendor_data2.json})
 * and EC2's {@code VERSION/meta-data/...} and {@code VERSION/user-data} that cloud-init reads.
 *
 * <p>{@link #at} answers a path as the metadata service does (a directory lists its entries one
 * per line, EC2's with a {@code /} after each subdirectory); {@link #configDriveFiles} lists the
 * files a config drive holds, as Nova writes them. Everything is built once, here: tenant strings
 * (name, metadata, user data) only ever become JSON strings or a document's bytes, never paths.
 */
public final class MetadataDocuments {
  public static final String TEXT = "text/plain";
  public static final String JSON = "application/json";

  /** EC2's metadata versions, oldest first, as Nova lists them. */
  public static final List<String> EC2_VERSIONS = List.of("1.0", "2007-01-19", "2007-03-01", "2007-08-29",
      "2007-10-10", "2007-12-15", "2008-02-01", "2008-09-01", "2009-04-04");
  /** OpenStack's metadata versions, oldest first (Folsom to Victoria), as Nova lists them. */
  public static final List<String> OPENSTACK_VERSIONS = List.of("2012-08-10", "2013-04-04", "2013-10-17",
      "2015-10-15", "2016-06-30", "2016-10-06", "2017-02-22", "2018-08-27", "2020-10-14");
  public static final String LATEST = "latest";

  private static final String GRIZZLY = "2013-04-04";
  private static final String HAVANA = "2013-10-17";
  private static final String LIBERTY = "2015-10-15";
  private static final String NEWTON_ONE = "2016-06-30";
  private static final String NEWTON_TWO = "2016-10-06";
  private static final String VICTORIA = "2020-10-14";
  /** The EC2 versions Nova's config drive holds ({@code config_drive_skip_versions} skips the rest). */
  private static final List<String> CONFIG_DRIVE_EC2_VERSIONS = List.of("2009-04-04", LATEST);
  /** The root disk, as the domain XML names it. */
  private static final String ROOT_DEVICE = "vda";
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final SecureRandom RANDOM = new SecureRandom();

  /** A document: what it is and its bytes. */
  public record Document(String contentType, byte[] bytes) {
    public String text() {
      return new String(bytes, StandardCharsets.UTF_8);
    }
  }

  private final InstanceMetadata instance;
  private final List<GuestNic> nics;
  private final Optional<byte[]> userData;
  private final String randomSeed;
  private final Dir root = new Dir();
  private final Map<String, byte[]> configDrive = new LinkedHashMap<>();

  private MetadataDocuments(InstanceMetadata instance, List<GuestNic> nics) {
    this.instance = instance;
    this.nics = List.copyOf(nics);
    this.userData = instance.userData().flatMap(MetadataDocuments::decoded);
    byte[] seed = new byte[512];
    RANDOM.nextBytes(seed);
    this.randomSeed = Base64.getEncoder().encodeToString(seed);
    buildOpenStack();
    buildEc2();
  }

  /** The documents of the guest described by {@code instance}, whose NICs are {@code nics}. */
  public static MetadataDocuments of(InstanceMetadata instance, List<GuestNic> nics) {
    return new MetadataDocuments(instance, nics);
  }

  /**
   * The document at {@code path} of the metadata service ({@code /openstack/latest/meta_data.json},
   * {@code /latest/meta-data/hostname}, ...), or empty when there is none. As Nova does, a path
   * outside {@code openstack/} is EC2's, and {@code /} lists EC2's versions.
   */
  public Optional<Document> at(String path) {
    List<String> tokens = normalized(path);
    if (tokens.isEmpty() || (!tokens.get(0).equals("ec2") && !tokens.get(0).equals("openstack"))) {
      tokens.add(0, "ec2");
    }
    Object node = root;
    for (String token : tokens) {
      if (!(node instanceof Dir)) return Optional.empty();
      node = ((Dir) node).entries.get(token);
      if (node == null) return Optional.empty();
    }
    return Optional.of(node instanceof Dir ? ((Dir) node).listing : (Document) node);
  }

  /**
   * The files of a config drive, by their path in it ({@code openstack/latest/meta_data.json},
   * {@code ec2/latest/meta-data.json}, ...): the ones Nova's {@code metadata_for_config_drive} writes.
   */
  public Map<String, byte[]> configDriveFiles() {
    return Collections.unmodifiableMap(configDrive);
  }

  /** User data as the guest reads it; none when it is not base64 (the API lets no such data in). */
  private static Optional<byte[]> decoded(String base64) {
    try {
      // the MIME decoder skips line breaks, which base64 user data often has
      return Optional.of(Base64.getMimeDecoder().decode(base64));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** Nova's EC2 instance id ({@code i-} and 8 hex digits), derived from the server's uuid. */
  public static String ec2InstanceId(String serverId) {
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(serverId.getBytes(StandardCharsets.UTF_8));
      return "i-" + HexFormat.of().formatHex(h, 0, 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  // ---- OpenStack's tree

  private void buildOpenStack() {
    Dir openstack = new Dir();
    List<String> all = new ArrayList<>(OPENSTACK_VERSIONS);
    all.add(LATEST);
    for (String version : all) {
      String v = version.equals(LATEST) ? VICTORIA : version;
      Dir dir = new Dir();
      // the listing names only what is served here: Nova's "password" (for Windows guests) is not
      add(dir, "openstack/" + version, "meta_data.json", json(metaData(v)));
      userData.ifPresent(u -> add(dir, "openstack/" + version, "user_data", new Document(TEXT, u)));
      if (atLeast(v, HAVANA)) add(dir, "openstack/" + version, "vendor_data.json", json(MAPPER.createObjectNode()));
      // Nova leaves network_data.json as text/plain; cloud-init parses it all the same
      if (atLeast(v, LIBERTY)) add(dir, "openstack/" + version, "network_data.json", new Document(TEXT, bytes(networkData())));
      if (atLeast(v, NEWTON_TWO)) {
        ObjectNode vendor2 = MAPPER.createObjectNode();
        vendor2.putObject("static");
        add(dir, "openstack/" + version, "vendor_data2.json", json(vendor2));
      }
      dir.listing = text(String.join("\n", dir.entries.keySet()));
      openstack.entries.put(version, dir);
    }
    openstack.listing = text(String.join("\n", all));
    root.entries.put("openstack", openstack);
  }

  private void add(Dir dir, String dirPath, String name, Document document) {
    dir.entries.put(name, document);
    configDrive.put(dirPath + "/" + name, document.bytes());
  }

  private ObjectNode metaData(String version) {
    ObjectNode md = MAPPER.createObjectNode();
    md.put("uuid", instance.serverId());
    if (!instance.meta().isEmpty()) {
      ObjectNode meta = md.putObject("meta");
      new TreeMap<>(instance.meta()).forEach(meta::put);
    }
    publicKey().ifPresent(key -> {
      md.putObject("public_keys").put(key.name(), key.data());
      md.putArray("keys").addObject().put("name", key.name()).put("type", "ssh").put("data", key.data());
    });
    md.put("hostname", instance.hostname());
    md.put("name", instance.name());
    md.put("launch_index", 0);
    md.put("availability_zone", instance.availabilityZone());
    if (atLeast(version, GRIZZLY)) md.put("random_seed", randomSeed);
    if (atLeast(version, LIBERTY)) md.put("project_id", instance.projectId());
    if (atLeast(version, NEWTON_ONE)) md.putArray("devices");
    if (atLeast(version, VICTORIA)) md.putArray("dedicated_cpus");
    return md;
  }

  private record Key(String name, String data) {}

  private Optional<Key> publicKey() {
    if (instance.keyName().isEmpty() || instance.publicKey().isEmpty()) return Optional.empty();
    return Optional.of(new Key(instance.keyName().get(), instance.publicKey().get()));
  }

  /** Nova's {@code get_network_metadata}: a link per NIC, a network per NIC's first IPv4 and IPv6 address. */
  private ObjectNode networkData() {
    ObjectNode out = MAPPER.createObjectNode();
    if (nics.isEmpty()) return out;
    ArrayNode links = out.putArray("links");
    ArrayNode networks = out.putArray("networks");
    ArrayNode services = out.putArray("services");
    int link = -1;
    int net = -1;
    for (GuestNic nic : nics) {
      Optional<GuestNic.Address> v4 = first(nic, 4);
      Optional<GuestNic.Address> v6 = first(nic, 6);
      if (v4.isEmpty() && v6.isEmpty()) continue;
      link++;
      String linkId = TenantSegment.tapDevice(nic.portId());
      ObjectNode l = links.addObject();
      l.put("id", linkId);
      l.put("vif_id", nic.portId());
      l.put("type", "bridge");
      // a guest told to use DHCP learns the MTU from it (Nova leaves it out then)
      if (nic.addresses().stream().anyMatch(GuestNic.Address::dhcp)) l.putNull("mtu");
      else l.put("mtu", nic.mtu());
      l.put("ethernet_mac_address", nic.mac());
      for (Optional<GuestNic.Address> a : List.of(v4, v6)) {
        if (a.isEmpty()) continue;
        net++;
        networks.add(network(nic, a.get(), net, linkId));
        for (String dns : a.get().dnsServers()) {
          ObjectNode s = dnsService(dns);
          if (!contains(services, s)) services.add(s);
        }
      }
    }
    return out;
  }

  private static Optional<GuestNic.Address> first(GuestNic nic, int version) {
    return nic.addresses().stream().filter(a -> a.ipVersion() == version).findFirst();
  }

  private static ObjectNode network(GuestNic nic, GuestNic.Address a, int number, String linkId) {
    ObjectNode n = MAPPER.createObjectNode();
    n.put("id", "network" + number);
    int version = a.ipVersion();
    if (a.ipv6AddressMode().isEmpty() && a.dhcp()) {
      n.put("type", "ipv" + version + "_dhcp");
      n.put("link", linkId);
      n.put("network_id", nic.networkId());
      return n;
    }
    n.put("type", "ipv" + version + a.ipv6AddressMode().map(m -> "_" + m).orElse(""));
    n.put("link", linkId);
    n.put("ip_address", a.ip());
    n.put("netmask", netmask(IpNet.parse(a.cidr())));
    ArrayNode routes = n.putArray("routes");
    a.gateway().ifPresent(gw -> routes.addObject().put("network", version == 4 ? "0.0.0.0" : "::")
        .put("netmask", version == 4 ? "0.0.0.0" : "::").put("gateway", gw));
    for (GuestNic.Route r : a.routes()) {
      Optional<IpNet> parsed = cidr(r.destination());
      if (parsed.isEmpty()) continue;
      IpNet destination = parsed.get();
      routes.addObject().put("network", destination.at(destination.network()).toString())
          .put("netmask", netmask(destination)).put("gateway", r.nexthop());
    }
    n.put("network_id", nic.networkId());
    ArrayNode services = n.putArray("services");
    a.dnsServers().forEach(dns -> services.add(dnsService(dns)));
    return n;
  }

  private static Optional<IpNet> cidr(String text) {
    try {
      return Optional.of(IpNet.parse(text));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private static String netmask(IpNet net) {
    BigInteger all = BigInteger.ONE.shiftLeft(net.bits()).subtract(BigInteger.ONE);
    return net.at(all.xor(net.size().subtract(BigInteger.ONE))).toString();
  }

  private static ObjectNode dnsService(String address) {
    return MAPPER.createObjectNode().put("type", "dns").put("address", address);
  }

  private static boolean contains(ArrayNode array, JsonNode node) {
    for (JsonNode n : array) if (n.equals(node)) return true;
    return false;
  }

  // ---- EC2's tree

  private void buildEc2() {
    Dir ec2 = new Dir();
    List<String> all = new ArrayList<>(EC2_VERSIONS);
    all.add(LATEST);
    for (String version : all) {
      ObjectNode md = ec2MetaData(version.equals(LATEST) ? EC2_VERSIONS.get(EC2_VERSIONS.size() - 1) : version);
      Dir dir = new Dir();
      dir.entries.put("meta-data", ec2Dir(md));
      userData.ifPresent(u -> dir.entries.put("user-data", new Document(TEXT, u)));
      dir.listing = ec2Listing(dir);
      ec2.entries.put(version, dir);
      if (CONFIG_DRIVE_EC2_VERSIONS.contains(version)) {
        userData.ifPresent(u -> configDrive.put("ec2/" + version + "/user-data", u));
        configDrive.put("ec2/" + version + "/meta-data.json", bytes(md));
      }
    }
    ec2.listing = text(String.join("\n", all));
    root.entries.put("ec2", ec2);
  }

  /** Nova's {@code get_ec2_metadata}: what EC2's version had, as far as Nimbus knows it. */
  private ObjectNode ec2MetaData(String version) {
    String hostname = instance.hostname();
    ObjectNode md = MAPPER.createObjectNode();
    md.put("ami-launch-index", 0);
    md.put("instance-id", ec2InstanceId(instance.serverId()));
    md.put("hostname", hostname);
    md.put("local-ipv4", nics.stream().flatMap(n -> n.addresses().stream()).filter(a -> a.ipVersion() == 4)
        .map(GuestNic.Address::ip).findFirst().orElse(""));
    publicKey().ifPresent(key -> md.putObject("public-keys").putObject("0").put("openssh-key", key.data()));
    if (ec2AtLeast(version, "2007-01-19")) {
      md.put("local-hostname", hostname);
      md.put("public-hostname", hostname);
      md.put("public-ipv4", "");
    }
    if (ec2AtLeast(version, "2007-12-15")) {
      md.putObject("block-device-mapping").put("ami", ROOT_DEVICE).put("root", "/dev/" + ROOT_DEVICE);
    }
    if (ec2AtLeast(version, "2008-02-01")) {
      md.putObject("placement").put("availability-zone", instance.availabilityZone());
    }
    if (ec2AtLeast(version, "2008-09-01")) md.put("instance-action", "none");
    return md;
  }

  /** The JSON tree as EC2's paths: objects become directories, values text documents. */
  private Dir ec2Dir(ObjectNode node) {
    Dir dir = new Dir();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode value = e.getValue();
      if (value.isObject()) {
        Dir child = ec2Dir((ObjectNode) value);
        dir.entries.put(e.getKey(), child);
      } else {
        dir.entries.put(e.getKey(), text(value.asText()));
      }
    }
    // public-keys/ lists its key as "0=NAME", Nova's way of saying 0/ holds the key called NAME
    if (dir.entries.get("public-keys") instanceof Dir keys && keys.entries.get("0") instanceof Dir zero) {
      zero.label = "0=" + instance.keyName().orElse("");
      keys.listing = ec2Listing(keys);
    }
    dir.listing = ec2Listing(dir);
    return dir;
  }

  /** Nova's {@code ec2_md_print} of a directory: sorted names, subdirectories with a slash. */
  private static Document ec2Listing(Dir dir) {
    List<String> lines = new ArrayList<>();
    for (String name : new TreeSet<>(dir.entries.keySet())) {
      Object child = dir.entries.get(name);
      if (child instanceof Dir d) lines.add(d.label != null ? d.label : name + "/");
      else lines.add(name);
    }
    return text(String.join("\n", lines));
  }

  // ---- helpers

  /** A directory of the tree; {@code label} replaces its name in its parent's listing. */
  private static final class Dir {
    final Map<String, Object> entries = new LinkedHashMap<>();
    Document listing;
    String label;
  }

  /** The path's segments, with {@code .} and {@code ..} resolved as {@code posixpath.normpath} does. */
  private static List<String> normalized(String path) {
    Deque<String> out = new ArrayDeque<>();
    for (String token : (path == null ? "" : path).split("/")) {
      if (token.isEmpty() || token.equals(".")) continue;
      if (token.equals("..")) {
        out.pollLast();
      } else {
        out.addLast(token);
      }
    }
    return new ArrayList<>(out);
  }

  private static boolean atLeast(String version, String required) {
    return OPENSTACK_VERSIONS.indexOf(version) >= OPENSTACK_VERSIONS.indexOf(required);
  }

  private static boolean ec2AtLeast(String version, String required) {
    return EC2_VERSIONS.indexOf(version) >= EC2_VERSIONS.indexOf(required);
  }

  private static Document text(String s) {
    return new Document(TEXT, s.getBytes(StandardCharsets.UTF_8));
  }

  private static Document json(ObjectNode node) {
    return new Document(JSON, bytes(node));
  }

  private static byte[] bytes(JsonNode node) {
    try {
      return MAPPER.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree always serializes", e);
    }
  }
}
