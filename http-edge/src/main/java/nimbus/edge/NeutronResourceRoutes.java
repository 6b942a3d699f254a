package nimbus.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;
import nimbus.network.Network;
import nimbus.network.NetworkEntity;
import nimbus.network.NetworkListing;
import nimbus.network.Port;
import nimbus.network.PortEntity;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * What the routes of Neutron's networks, subnets and ports share: their entities, the read side,
 * the policy, and how a resource is found (absent and invisible are one 404), shown (what the
 * policy hides left out, then only the asked {@code fields}) and listed.
 */
abstract class NeutronResourceRoutes extends ServiceRoutes {
  protected final ClusterSharding sharding;
  protected final NetworkListing listing;
  protected final Executor blocking;
  protected final Duration timeout;
  protected final NeutronPolicy policy;

  protected NeutronResourceRoutes(ClusterSharding sharding, NetworkListing listing, Executor blocking,
      Duration timeout, NeutronPolicy policy) {
    super(NeutronErrors::response);
    this.sharding = sharding;
    this.listing = listing;
    this.blocking = blocking;
    this.timeout = timeout;
    this.policy = policy;
  }

  /**
   * The query's parameters in order, repeated ones kept (a repeated filter is any of its values);
   * one holding a NUL is a 400, as everywhere in the API.
   */
  protected Route query(Function<List<Map.Entry<String, String>>, Route> inner) {
    return parameterList(params -> params.stream()
        .anyMatch(p -> p.getKey().indexOf('\0') >= 0 || p.getValue().indexOf('\0') >= 0)
        ? complete(NeutronErrors.response(400, "Invalid query: a parameter holds a NUL character"))
        : inner.apply(params));
  }

  /** The network, if it exists; an id that is no UUID names none (and starts no entity). */
  protected CompletionStage<Network> network(String id) {
    if (!Ids.isUuid(id)) return CompletableFuture.failedFuture(notFound("NetworkNotFound", "Network", id));
    return sharding.entityRefFor(NetworkEntity.TYPE_KEY, id.toLowerCase())
        .askWithStatus(NetworkEntity.Get::new, timeout);
  }

  /** The network, if the caller may see it (its own, shared or external); otherwise as absent. */
  protected CompletionStage<Network> visibleNetwork(RequestContext ctx, String id) {
    return network(id).thenApply(n -> {
      if (!policy.allows(ctx, "get_network", NetworkJson.target(n))) throw notFound("NetworkNotFound", "Network", id);
      return n;
    });
  }

  protected CompletionStage<Port> port(String id) {
    if (!Ids.isUuid(id)) return CompletableFuture.failedFuture(notFound("PortNotFound", "Port", id));
    return sharding.entityRefFor(PortEntity.TYPE_KEY, id.toLowerCase()).askWithStatus(PortEntity.Get::new, timeout);
  }

  static ApiError notFound(String type, String what, String id) {
    return NeutronErrors.error(404, type, what + " " + id + " could not be found.");
  }

  /** Admins list every project's resources; others what their project may see. */
  protected static Optional<String> viewer(RequestContext ctx) {
    return ctx.isAdmin() ? Optional.empty() : Optional.of(ctx.projectId());
  }

  /**
   * The project a created resource belongs to: the caller's, or (admins only) the one the body
   * names in {@code project_id} or {@code tenant_id}, which must agree.
   */
  protected static String projectOf(RequestContext ctx, JsonNode item) {
    Optional<String> tenant = Fields.text(item, "tenant_id");
    Optional<String> project = Fields.text(item, "project_id");
    if (tenant.isPresent() && project.isPresent() && !tenant.equals(project)) {
      throw NeutronErrors.badRequest("'project_id' and 'tenant_id' do not match");
    }
    String named = project.or(() -> tenant).orElse(ctx.projectId());
    if (!named.equals(ctx.projectId()) && !ctx.isAdmin()) {
      throw NeutronErrors.badRequest("Specifying 'project_id' or 'tenant_id' other than the authenticated project "
          + "in request requires admin privileges");
    }
    return named;
  }

  /** Neutron's boolean converter (true, "True", 1, "1", ...); {@code otherwise} when absent or null. */
  protected static boolean bool(JsonNode item, String field, boolean otherwise) {
    JsonNode v = item.get(field);
    if (v == null || v.isNull()) return otherwise;
    if (v.isBoolean()) return v.booleanValue();
    if (v.isNumber()) return v.intValue() != 0;
    return v.asText().equalsIgnoreCase("true") || v.asText().equals("1");
  }

  /**
   * An integer its schema has checked (a number, possibly written 4.0, or a string of digits);
   * {@code min}..{@code max} bound it, else a 400 naming {@code field}.
   */
  protected static long integer(JsonNode item, String field, long min, long max) {
    JsonNode v = item.get(field);
    java.math.BigDecimal n;
    try {
      n = v.isNumber() ? v.decimalValue() : new java.math.BigDecimal(v.asText().trim());
    } catch (NumberFormatException e) {
      throw NeutronErrors.badRequest("Invalid input for " + field + ". Reason: '" + v.asText() + "' is not an integer.");
    }
    if (n.stripTrailingZeros().scale() > 0 || n.compareTo(java.math.BigDecimal.valueOf(min)) < 0
        || n.compareTo(java.math.BigDecimal.valueOf(max)) > 0) {
      throw NeutronErrors.badRequest("Invalid input for " + field + ". Reason: '" + v.asText()
          + "' is not an integer from " + min + " to " + max + ".");
    }
    return n.longValueExact();
  }

  /** A read-side query on the blocking executor; a marker that names nothing is Neutron's 404. */
  protected <T> CompletionStage<T> listed(ReadSideQuery<T> query) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return query.run();
      } catch (NetworkListing.MarkerNotFound e) {
        throw new ApiError(404, e.getMessage());
      } catch (java.sql.SQLException e) {
        throw new IllegalStateException("read-side query failed", e);
      }
    }, blocking);
  }

  /** An attribute's value as the API writes it, read from the view (each item's view made once per list). */
  protected static <T> NetworkListing.Attributes<T> attributes(Function<T, ObjectNode> view) {
    Map<T, ObjectNode> views = new IdentityHashMap<>();
    return (item, key) -> {
      JsonNode v;
      synchronized (views) {
        v = views.computeIfAbsent(item, view).get(key);
      }
      if (v == null || v.isNull()) return null;
      if (v.isBoolean()) return v.booleanValue();
      if (v.isInt()) return v.intValue();
      if (v.isNumber()) return v.longValue();
      return v.isTextual() ? v.asText() : v.toString();
    };
  }

  /** Whether a resource's tags pass the tag filters ({@code tags=a,b}: all; {@code tags-any}; {@code not-...}). */
  protected static boolean tagsMatch(List<String> tags, Map<String, List<String>> special) {
    for (var f : special.entrySet()) {
      for (String value : f.getValue()) {
        List<String> asked = List.of(value.split(","));
        boolean all = tags.containsAll(asked);
        boolean any = asked.stream().anyMatch(tags::contains);
        boolean ok = switch (f.getKey()) {
          case "tags" -> all;
          case "tags-any" -> any;
          case "not-tags" -> !all;
          case "not-tags-any" -> !any;
          default -> true;
        };
        if (!ok) return false;
      }
    }
    return true;
  }

  /** Only the tag filters of a query's special ones. */
  protected static Map<String, List<String>> tagFilters(NeutronQuery q) {
    Map<String, List<String>> tags = new LinkedHashMap<>(q.special());
    tags.keySet().retainAll(NeutronQuery.TAG_FILTERS);
    return tags;
  }

  protected static HttpResponse one(int status, String resource, ObjectNode view) {
    return Json.response(status, Map.of(resource, view));
  }

  /** {@code {"networks": [...]}}, with {@code networks_links} when the list was paged. */
  protected static HttpResponse page(String collection, List<ObjectNode> views, NeutronQuery q, String pathUrl) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put(collection, views);
    if (q.limit() > 0) body.put(collection + "_links", q.links(pathUrl, views));
    return Json.response(200, body);
  }

  /** A bulk create's answer: {@code {"networks": [...]}}. */
  protected static HttpResponse created(String resource, String collection, List<ObjectNode> views, boolean bulk) {
    return bulk ? Json.response(201, Map.of(collection, views)) : one(201, resource, views.get(0));
  }
}
