package nimbus.edge;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.Function;
import nimbus.compute.HostDirectory;
import nimbus.config.NetworkSettings;
import nimbus.edge.identity.IdentityService;
import nimbus.network.NetworkListing;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Neutron v2.0 under {@code /network}: its version documents, the extensions Nimbus implements,
 * availability zones (networks' and routers'), and the networks, subnets, ports, tags and quotas of its route classes.
 */
final class NeutronRoutes extends AllDirectives {
  /** One extension as Neutron lists it. */
  record Extension(String name, String alias, String description, String updated, List<Link> links) {
    static Extension of(String alias, String name, String description, String updated) {
      return new Extension(name, alias, description, updated, List.of());
    }
  }

  /**
   * Exactly what is implemented (clients and tempest decide what to use from this list), with
   * Neutron's own names, descriptions and dates.
   */
  static final List<Extension> EXTENSIONS = List.of(
      Extension.of("quotas", "Quota management support", "Expose functions for quotas management per project",
          "2012-07-29T10:00:00-00:00"),
      Extension.of("quota_details", "Quota details management support",
          "Expose functions for quotas usage statistics per project", "2017-02-10T10:00:00-00:00"),
      Extension.of("project-id", "project_id field enabled",
          "Extension that indicates that project_id field is enabled.", "2016-09-09T09:09:09-09:09"),
      Extension.of("standard-attr-description", "standard-attr-description",
          "Extension to add descriptions to standard attributes", "2016-02-10T10:00:00-00:00"),
      Extension.of("standard-attr-timestamp", "Resource timestamps", "Adds created_at and updated_at fields to all "
          + "Neutron resources that have Neutron standard attributes.", "2016-09-12T10:00:00-00:00"),
      Extension.of("standard-attr-revisions", "Resource revision numbers",
          "This extension will display the revision number of neutron resources.", "2016-04-11T10:00:00-00:00"),
      Extension.of("standard-attr-tag", "Tag support for resources with standard attribute: subnet, network, port",
          "Enables to set tag on resources with standard attribute.", "2017-01-01T00:00:00-00:00"),
      Extension.of("net-mtu", "Network MTU", "Provides MTU attribute for a network resource.",
          "2015-03-25T10:00:00-00:00"),
      Extension.of("external-net", "Neutron external network", "Adds external network attribute to network resource.",
          "2013-01-14T10:00:00-00:00"),
      Extension.of("provider", "Provider Network", "Expose mapping of virtual networks to physical networks",
          "2012-09-07T10:00:00-00:00"),
      Extension.of("binding", "Port Binding", "Expose port bindings of a virtual port to external application",
          "2014-02-03T10:00:00-00:00"),
      Extension.of("port-security", "Port Security", "Provides port security", "2012-07-23T10:00:00-00:00"),
      Extension.of("allowed-address-pairs", "Allowed Address Pairs", "Provides allowed address pairs",
          "2013-07-23T10:00:00-00:00"),
      Extension.of("availability_zone", "Availability Zone", "The availability zone extension.",
          "2015-01-01T10:00:00-00:00"),
      Extension.of("network_availability_zone", "Network Availability Zone", "Availability zone support for network.",
          "2015-01-01T10:00:00-00:00"),
      Extension.of("router_availability_zone", "Router Availability Zone", "Availability zone support for router.",
          "2015-01-01T10:00:00-00:00"),
      Extension.of("l2_adjacency", "L2 Adjacency", "Display L2 Adjacency for Neutron Networks.",
          "2016-04-12T16:00:00-00:00"),
      Extension.of("pagination", "Pagination support", "Extension that indicates that pagination is enabled.",
          "2016-06-12T00:00:00-00:00"),
      Extension.of("sorting", "Sorting support", "Extension that indicates that sorting is enabled.",
          "2016-06-12T00:00:00-00:00"),
      Extension.of("filter-validation", "Filter parameters validation", "Provides validation on filter parameters.",
          "2018-07-04T10:00:00-00:00"),
      Extension.of("ip-substring-filtering", "IP address substring filtering",
          "Provides IP address substring filtering when listing ports", "2017-11-28T09:00:00-00:00"),
      Extension.of("subnet_allocation", "Subnet Allocation", "Enables allocation of subnets from a subnet pool",
          "2015-03-30T10:00:00-00:00"),
      Extension.of("default-subnetpools", "Default Subnetpools", "Provides ability to mark and use a subnetpool "
          + "as the default.", "2016-02-18T18:00:00-00:00"),
      Extension.of("security-group", "security-group", "The security groups extension.", "2012-10-05T10:00:00-00:00"),
      Extension.of("router", "Neutron L3 Router", "Router abstraction for basic L3 forwarding between L2 Neutron "
          + "networks and access to external networks via a NAT gateway.", "2012-07-20T10:00:00-00:00"),
      Extension.of("ext-gw-mode", "Neutron L3 Configurable external gateway mode", "Extension of the router "
          + "abstraction for specifying whether SNAT should occur on the external gateway",
          "2013-03-28T10:00:00-00:00"),
      Extension.of("extraroute", "Neutron Extra Route", "Extra routes configuration for L3 router",
          "2013-02-01T10:00:00-00:00"),
      Extension.of("extraroute-atomic", "Atomically add/remove extra routes",
          "Edit extra routes of a router on server side by atomically adding/removing extra routes",
          "2019-07-10T00:00:00-00:00"));

  private final NetworkRoutes networks;
  private final SubnetRoutes subnets;
  private final SubnetPoolRoutes subnetPools;
  private final PortRoutes ports;
  private final SecurityGroupRoutes securityGroups;
  private final NeutronQuotaRoutes quotas;
  private final RouterRoutes routers;
  private final FloatingIpRoutes floatingIps;

  private final HostDirectory directory;
  private final Duration hostDownAfter;

  /** {@code directory}: the hosts and their zones (routers' zones); down once silent {@code hostDownAfter}. */
  NeutronRoutes(ClusterSharding sharding, NetworkListing listing, IdentityService identity, Executor blocking,
      Duration timeout, Policy policy, NetworkSettings settings, HostDirectory directory, Duration hostDownAfter) {
    this.directory = directory;
    this.hostDownAfter = hostDownAfter;
    NeutronPolicy neutron = new NeutronPolicy(policy);
    this.networks = new NetworkRoutes(sharding, listing, blocking, timeout, neutron, settings);
    this.subnetPools = new SubnetPoolRoutes(sharding, listing, blocking, timeout, neutron);
    this.subnets = new SubnetRoutes(sharding, listing, blocking, timeout, neutron, subnetPools);
    this.securityGroups = new SecurityGroupRoutes(sharding, listing, blocking, timeout, neutron);
    this.ports = new PortRoutes(sharding, listing, blocking, timeout, neutron, securityGroups);
    this.quotas = new NeutronQuotaRoutes(sharding, identity, timeout, neutron);
    this.routers = new RouterRoutes(sharding, listing, blocking, timeout, neutron, directory);
    this.floatingIps = new FloatingIpRoutes(sharding, listing, blocking, timeout, neutron);
  }

  /**
   * The routes under {@code /network} ({@code baseUrl} is its address); {@code projectScoped} runs
   * a route for the caller's token, or answers 401.
   */
  Route route(String baseUrl, Function<Function<RequestContext, Route>, Route> projectScoped) {
    String v2 = baseUrl + "/v2.0";
    // pecan takes a ".json" suffix on any path as the format asked for (tempest sends .../details.json)
    return mapUnmatchedPath(p -> p.endsWith(".json") ? p.substring(0, p.length() - ".json".length()) : p, () -> concat(
        pathEndOrSingleSlash(() -> get(() -> complete(Json.response(200,
            Map.of("versions", List.of(VersionDoc.of("v2.0", "CURRENT", v2 + "/"))))))),
        pathPrefix("v2.0", () -> projectScoped.apply(ctx -> concat(
            pathEndOrSingleSlash(() -> get(() -> complete(Json.response(200, Map.of("resources", List.of(
                resource("network", "networks", v2), resource("subnet", "subnets", v2),
                resource("port", "ports", v2), resource("subnetpool", "subnetpools", v2),
                resource("security_group", "security-groups", v2),
                resource("security_group_rule", "security-group-rules", v2),
                resource("router", "routers", v2), resource("floatingip", "floatingips", v2))))))),
            pathPrefix("extensions", () -> concat(
                pathEnd(() -> get(() -> complete(Json.response(200, Map.of("extensions", EXTENSIONS))))),
                path(PathMatchers.segment(), alias -> get(() -> complete(extension(alias)))))),
            path("availability_zones", () -> get(() -> complete(Json.response(200, Map.of("availability_zones",
                zones()))))),
            networks.route(ctx, v2),
            // before subnets: "subnets" is a prefix of "subnetpools"
            subnetPools.route(ctx, v2),
            subnets.route(ctx, v2),
            ports.route(ctx, v2),
            securityGroups.route(ctx, v2),
            routers.route(ctx, v2),
            floatingIps.route(ctx, v2),
            quotas.route(ctx))))));
  }

  /**
   * The zones: networks are in {@code nova} (every host serves every network, so hints do not
   * place them); routers in each zone hosts report, available while one of its hosts is up.
   */
  private List<Map<String, String>> zones() {
    List<Map<String, String>> zones = new java.util.ArrayList<>();
    zones.add(Map.of("name", "nova", "resource", "network", "state", "available"));
    directory.zones().forEach((name, hosts) -> zones.add(Map.of("name", name, "resource", "router", "state",
        hosts.stream().anyMatch(h -> directory.isUp(h.host(), hostDownAfter)) ? "available" : "unavailable")));
    return zones;
  }

  private static Map<String, Object> resource(String name, String collection, String v2) {
    return Map.of("name", name, "collection", collection, "links", List.of(Link.self(v2 + "/" + collection)));
  }

  private static org.apache.pekko.http.javadsl.model.HttpResponse extension(String alias) {
    Optional<Extension> found = EXTENSIONS.stream().filter(e -> e.alias().equals(alias)).findFirst();
    return found.map(e -> Json.response(200, Map.of("extension", e))).orElseGet(() -> NeutronErrors.response(404,
        "Extension with alias " + alias + " does not exist"));
  }
}
