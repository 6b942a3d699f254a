package nimbus.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import nimbus.compute.AggregatesEntity;
import nimbus.compute.AggregatesEntity.Aggregate;
import nimbus.compute.HostDirectory;
import nimbus.compute.HostSummary;
import org.apache.pekko.Done;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Nova's {@code os-aggregates} (microversion 2.1 shapes, admin only): host aggregates with
 * metadata, whose zone is the {@code availability_zone} key. A host joins only an aggregate of
 * the zone it reports ({@link AggregatesEntity}).
 */
final class AggregateRoutes extends ServiceRoutes {
  private static final RequestSchema CREATE = RequestSchema.named("aggregate-create");
  private static final RequestSchema UPDATE = RequestSchema.named("aggregate-update");
  private static final Map<String, RequestSchema> ACTIONS = Map.of(
      "add_host", RequestSchema.named("aggregate-action-add_host"),
      "remove_host", RequestSchema.named("aggregate-action-remove_host"),
      "set_metadata", RequestSchema.named("aggregate-action-set_metadata"));
  /** Nova's database times: UTC without a zone, in microseconds. */
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS").withZone(ZoneOffset.UTC);

  private final ClusterSharding sharding;
  private final HostDirectory directory;
  private final Clock clock;
  private final Duration timeout;
  private final Policy policy;

  AggregateRoutes(ClusterSharding sharding, HostDirectory directory, Clock clock, Duration timeout, Policy policy) {
    super(NovaErrors::response);
    this.sharding = sharding;
    this.directory = directory;
    this.clock = clock;
    this.timeout = timeout;
    this.policy = policy;
  }

  Route route(RequestContext ctx) {
    return pathPrefix("os-aggregates", () -> concat(
        pathEndOrSingleSlash(() -> concat(
            get(() -> respond(() -> {
              policy.enforce(ctx, "os_compute_api:os-aggregates:index");
              return aggregates().<AggregatesEntity.Aggregates>askWithStatus(AggregatesEntity.ListAll::new, timeout)
                  .thenApply(all -> Json.response(200, Map.of("aggregates", all.byId().values().stream()
                      .sorted(Comparator.comparingInt(Aggregate::id)).map(AggregateRoutes::view).toList())));
            })),
            post(() -> body(b -> respond(() -> create(ctx, b)))))),
        pathPrefix(PathMatchers.segment(), id -> concat(
            pathEnd(() -> concat(
                get(() -> respond(() -> {
                  policy.enforce(ctx, "os_compute_api:os-aggregates:show");
                  int number = number(id);
                  return aggregates().<Aggregate>askWithStatus(r -> new AggregatesEntity.Get(number, r), timeout)
                      .thenApply(AggregateRoutes::one);
                })),
                put(() -> body(b -> respond(() -> update(ctx, id, b)))),
                delete(() -> respond(() -> {
                  policy.enforce(ctx, "os_compute_api:os-aggregates:delete");
                  int number = number(id);
                  return aggregates().<Done>askWithStatus(r -> new AggregatesEntity.Delete(number, r), timeout)
                      .thenApply(done -> HttpResponse.create().withStatus(200));
                })))),
            path("action", () -> post(() -> body(b -> respond(() -> action(ctx, id, b)))))))));
  }

  private CompletionStage<HttpResponse> create(RequestContext ctx, String raw) {
    policy.enforce(ctx, "os_compute_api:os-aggregates:create");
    JsonNode aggregate = CREATE.validate(Json.parseObject(raw)).get("aggregate");
    String name = aggregate.get("name").asText();
    Optional<String> zone = Fields.text(aggregate, "availability_zone");
    return aggregates().<Aggregate>askWithStatus(r -> new AggregatesEntity.Create(name, zone, clock.instant(), r),
        timeout).thenApply(a -> Json.response(200, Map.of("aggregate", created(a))));
  }

  private CompletionStage<HttpResponse> update(RequestContext ctx, String id, String raw) {
    policy.enforce(ctx, "os_compute_api:os-aggregates:update");
    JsonNode aggregate = UPDATE.validate(Json.parseObject(raw)).get("aggregate");
    int number = number(id);
    Optional<String> name = Fields.text(aggregate, "name").map(String::strip);
    Map<String, String> zone = new LinkedHashMap<>();
    List<String> unset = new ArrayList<>();
    if (aggregate.has("availability_zone")) {
      if (aggregate.get("availability_zone").isNull()) unset.add(AggregatesEntity.ZONE_KEY);
      else zone.put(AggregatesEntity.ZONE_KEY, aggregate.get("availability_zone").asText());
    }
    return aggregates().<Aggregate>askWithStatus(r -> new AggregatesEntity.Update(number, name, zone, unset,
        hostZones(), clock.instant(), r), timeout).thenApply(AggregateRoutes::one);
  }

  private CompletionStage<HttpResponse> action(RequestContext ctx, String id, String raw) {
    JsonNode body = Json.parseObject(raw);
    String action = body.size() == 1 ? body.fieldNames().next() : "";
    RequestSchema schema = ACTIONS.get(action);
    if (schema == null) throw ApiError.badRequest("There is no such action: " + action);
    policy.enforce(ctx, "os_compute_api:os-aggregates:" + action);
    JsonNode args = schema.validate(body).get(action);
    int number = number(id);
    CompletionStage<Aggregate> changed;
    if (action.equals("set_metadata")) {
      Map<String, String> set = new LinkedHashMap<>();
      List<String> unset = new ArrayList<>();
      args.get("metadata").fields().forEachRemaining(e -> {
        if (e.getValue().isNull()) unset.add(e.getKey()); else set.put(e.getKey(), e.getValue().asText());
      });
      changed = aggregates().askWithStatus(r -> new AggregatesEntity.SetMetadata(number, set, unset, hostZones(),
          clock.instant(), r), timeout);
    } else {
      String host = args.get("host").asText();
      Optional<HostSummary> known = directory.hosts().stream().filter(h -> h.host().equals(host)).findFirst();
      if (action.equals("add_host")) {
        String zone = known.orElseThrow(() -> ApiError.notFound("Compute host " + host + " could not be found."))
            .inventory().availabilityZone();
        changed = aggregates().askWithStatus(r -> new AggregatesEntity.AddHost(number, host, zone, r), timeout);
      } else {
        if (known.isEmpty()) throw ApiError.notFound("Cannot remove host " + host + " in aggregate " + number);
        changed = aggregates().askWithStatus(r -> new AggregatesEntity.RemoveHost(number, host, r), timeout);
      }
    }
    return changed.thenApply(AggregateRoutes::one);
  }

  private Map<String, String> hostZones() {
    Map<String, String> zones = new LinkedHashMap<>();
    directory.hosts().forEach(h -> zones.put(h.host(), h.inventory().availabilityZone()));
    return zones;
  }

  /** Nova checks an aggregate id is an integer (400) before looking it up. */
  private static int number(String id) {
    try {
      return Integer.parseInt(id);
    } catch (NumberFormatException e) {
      throw ApiError.badRequest("Invalid input received: id must be an integer");
    }
  }

  private EntityRef<AggregatesEntity.Command> aggregates() {
    return sharding.entityRefFor(AggregatesEntity.TYPE_KEY, AggregatesEntity.CLOUD);
  }

  /** A create's answer: no hosts nor metadata, as Nova's. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Created(int id, String name, String availabilityZone, String createdAt, String updatedAt, boolean deleted,
      String deletedAt) {}

  /** An aggregate (microversion 2.1: no uuid, which Nova shows from 2.41). */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record View(int id, String name, String availabilityZone, List<String> hosts, Map<String, String> metadata,
      String createdAt, String updatedAt, boolean deleted, String deletedAt) {}

  private static Created created(Aggregate a) {
    return new Created(a.id(), a.name(), a.availabilityZone().orElse(null), TIME.format(a.createdAt()),
        a.updatedAt().map(TIME::format).orElse(null), false, null);
  }

  static View view(Aggregate a) {
    return new View(a.id(), a.name(), a.availabilityZone().orElse(null), a.hosts(), a.metadata(),
        TIME.format(a.createdAt()), a.updatedAt().map(TIME::format).orElse(null), false, null);
  }

  private static HttpResponse one(Aggregate a) {
    return Json.response(200, Map.of("aggregate", view(a)));
  }
}
