package nimbus.edge.identity;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import nimbus.cluster.CborSerializable;
import nimbus.cluster.Rejection;
import org.apache.pekko.Done;
import org.apache.pekko.pattern.StatusReply;

/**
 * Keystone's service catalog: regions, services and their endpoints, part of the identity
 * catalog's state. A new cloud's holds Nimbus's own services ({@link #seed()}) at URLs relative
 * to the API's base (a leading "/"), which {@link #url} resolves per request: the node does not
 * know the address its clients reach it at, the request does. The changes here are pure; the
 * identity entity checks them ({@link #problemWith}) and records them as events.
 */
public record ServiceCatalog(Map<String, Region> regions, Map<String, Service> services,
    Map<String, Endpoint> endpoints, boolean seeded) implements CborSerializable {

  public static final String DEFAULT_REGION = "RegionOne";

  public record Region(String id, String description, Optional<String> parentRegionId) implements CborSerializable {}

  public record Service(String id, String type, Optional<String> name, String description, boolean enabled)
      implements CborSerializable {}

  /** {@code iface} is Keystone's {@code interface} (public, internal, admin). */
  public record Endpoint(String id, String serviceId, String iface, String url, Optional<String> regionId,
      boolean enabled) implements CborSerializable {}

  public ServiceCatalog {
    regions = Map.copyOf(regions);
    services = Map.copyOf(services);
    endpoints = Map.copyOf(endpoints);
  }

  static ServiceCatalog empty() {
    return new ServiceCatalog(Map.of(), Map.of(), Map.of(), false);
  }

  /** Nimbus's services, each public, internal and admin in RegionOne (the catalog tokens always had). */
  static ServiceCatalog seed() {
    Map<String, Service> services = new LinkedHashMap<>();
    Map<String, Endpoint> endpoints = new LinkedHashMap<>();
    String[][] own = {
        {"identity", "keystone", "/identity/v3"},
        {"compute", "nova", "/compute/v2.1"},
        {"network", "neutron", "/network"},
        {"volumev3", "cinderv3", "/volume/v3/$(project_id)s"},
        {"image", "glance", "/image"}};
    for (String[] s : own) {
      services.put(s[1], new Service(s[1], s[0], Optional.of(s[1]), "", true));
      for (String iface : List.of("public", "internal", "admin")) {
        String id = s[1] + "-" + iface;
        endpoints.put(id, new Endpoint(id, s[1], iface, s[2], Optional.of(DEFAULT_REGION), true));
      }
    }
    Region region = new Region(DEFAULT_REGION, "", Optional.empty());
    return new ServiceCatalog(Map.of(region.id(), region), services, endpoints, true);
  }

  /**
   * An endpoint's URL as clients use it: relative ones under {@code apiBase}, and Keystone's
   * substitutions ({@code $(project_id)s}, {@code %(tenant_id)s}, ...) with {@code projectId} if given.
   */
  static String url(String stored, String apiBase, Optional<String> projectId) {
    String url = stored.startsWith("/") ? apiBase + stored : stored;
    if (projectId.isEmpty()) return url;
    for (String key : List.of("project_id", "tenant_id")) {
      url = url.replace("$(" + key + ")s", projectId.get()).replace("%(" + key + ")s", projectId.get());
    }
    return url;
  }

  /** Why the change cannot be made (Keystone's words), as the entity's reply; empty if it can. */
  Optional<StatusReply<Done>> problemWith(Region region, boolean create) {
    if (create && regions.containsKey(region.id())) return Optional.of(Rejection.conflict("Duplicate ID, " + region.id() + "."));
    if (!create && !regions.containsKey(region.id())) return Optional.of(Rejection.notFound("Could not find region: " + region.id() + "."));
    Optional<String> parent = region.parentRegionId();
    if (parent.isPresent() && !regions.containsKey(parent.get())) {
      return Optional.of(Rejection.invalid("Parent region " + parent.get() + " not found."));
    }
    // a parent may not be the region itself or one of its descendants
    for (Optional<String> p = parent; p.isPresent(); p = Optional.ofNullable(regions.get(p.get())).flatMap(Region::parentRegionId)) {
      if (p.get().equals(region.id())) {
        return Optional.of(Rejection.invalid("The parent region " + parent.get() + " would make a circle of regions."));
      }
    }
    return Optional.empty();
  }

  Optional<StatusReply<Done>> problemDeletingRegion(String id) {
    if (!regions.containsKey(id)) return Optional.of(Rejection.notFound("Could not find region: " + id + "."));
    boolean inUse = regions.values().stream().anyMatch(r -> r.parentRegionId().filter(id::equals).isPresent())
        || endpoints.values().stream().anyMatch(e -> e.regionId().filter(id::equals).isPresent());
    return inUse ? Optional.of(Rejection.conflict("Region " + id + " still has child regions or endpoints.")) : Optional.empty();
  }

  Optional<StatusReply<Done>> problemWith(Service service, boolean create) {
    if (!create && !services.containsKey(service.id())) return Optional.of(Rejection.notFound("Could not find service: " + service.id() + "."));
    return Optional.empty();
  }

  /** An endpoint's region need not exist: Keystone creates it ({@link #missingRegion}). */
  Optional<StatusReply<Done>> problemWith(Endpoint endpoint, boolean create) {
    if (!create && !endpoints.containsKey(endpoint.id())) return Optional.of(Rejection.notFound("Could not find endpoint: " + endpoint.id() + "."));
    if (!services.containsKey(endpoint.serviceId())) return Optional.of(Rejection.notFound("Could not find service: " + endpoint.serviceId() + "."));
    return Optional.empty();
  }

  /** The region an endpoint names that does not exist yet, to be created with it. */
  Optional<Region> missingRegion(Endpoint endpoint) {
    return endpoint.regionId().filter(r -> !regions.containsKey(r)).map(r -> new Region(r, "", Optional.empty()));
  }

  ServiceCatalog with(Region r) {
    return new ServiceCatalog(put(regions, r.id(), r), services, endpoints, seeded);
  }

  ServiceCatalog with(Service s) {
    return new ServiceCatalog(regions, put(services, s.id(), s), endpoints, seeded);
  }

  ServiceCatalog with(Endpoint e) {
    return new ServiceCatalog(regions, services, put(endpoints, e.id(), e), seeded);
  }

  ServiceCatalog withoutRegion(String id) {
    return new ServiceCatalog(remove(regions, id), services, endpoints, seeded);
  }

  /** A service goes with its endpoints, as in Keystone. */
  ServiceCatalog withoutService(String id) {
    Map<String, Endpoint> kept = new HashMap<>(endpoints);
    kept.values().removeIf(e -> e.serviceId().equals(id));
    return new ServiceCatalog(regions, remove(services, id), kept, seeded);
  }

  ServiceCatalog withoutEndpoint(String id) {
    return new ServiceCatalog(regions, services, remove(endpoints, id), seeded);
  }

  /** Enabled services (by type) with their enabled endpoints, leaving out services that have none. */
  List<Map.Entry<Service, List<Endpoint>>> enabled() {
    List<Map.Entry<Service, List<Endpoint>>> out = new ArrayList<>();
    services.values().stream().filter(Service::enabled)
        .sorted(java.util.Comparator.comparing(Service::type).thenComparing(Service::id)).forEach(s -> {
          List<Endpoint> mine = endpoints.values().stream().filter(e -> e.enabled() && e.serviceId().equals(s.id()))
              .sorted(java.util.Comparator.comparing(Endpoint::id)).toList();
          if (!mine.isEmpty()) out.add(Map.entry(s, mine));
        });
    return out;
  }

  private static <V> Map<String, V> put(Map<String, V> m, String id, V value) {
    Map<String, V> next = new HashMap<>(m);
    next.put(id, value);
    return next;
  }

  private static <V> Map<String, V> remove(Map<String, V> m, String id) {
    Map<String, V> next = new HashMap<>(m);
    next.remove(id);
    return next;
  }
}
