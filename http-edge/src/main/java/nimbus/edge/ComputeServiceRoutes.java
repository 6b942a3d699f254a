package nimbus.edge;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import nimbus.compute.HostDirectory;
import nimbus.compute.HostSummary;
import nimbus.compute.Resources;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Nova's admin views of its services (2.1): {@code os-services} (a nova-compute per host, and
 * the control node's nova-scheduler and nova-conductor, whose work this node does),
 * {@code os-hosts} (deprecated, still 2.1's) and {@code os-instance_usage_audit_log} (Nimbus runs
 * no usage audit: every host is one it has not run on).
 */
final class ComputeServiceRoutes extends ServiceRoutes {
  private static final List<String> CONTROL_SERVICES = List.of("nova-scheduler", "nova-conductor");
  private static final DateTimeFormatter AUDIT_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

  private final HostDirectory directory;
  private final Duration downAfter;
  private final String controlHost;
  private final Clock clock;
  private final Policy policy;

  ComputeServiceRoutes(HostDirectory directory, Duration downAfter, String controlHost, Clock clock, Policy policy) {
    super(NovaErrors::response);
    this.directory = directory;
    this.downAfter = downAfter;
    this.controlHost = controlHost;
    this.clock = clock;
    this.policy = policy;
  }

  Route route(RequestContext ctx, Microversion version) {
    return concat(reads(ctx, version), pathPrefix("os-hosts", () -> pathPrefix(PathMatchers.segment(), host -> concat(
        pathEndOrSingleSlash(() -> put(() -> body(b -> now(() -> updateHost(ctx, host, b))))),
        path(PathMatchers.segment(), action -> get(() -> now(() -> powerAction(ctx, host, action))))))));
  }

  private Route reads(RequestContext ctx, Microversion version) {
    return get(() -> concat(
        path("os-services", () -> parameterMap(q -> now(() -> services(ctx, q, version)))),
        pathPrefix("os-hosts", () -> concat(
            pathEndOrSingleSlash(() -> parameterMap(q -> now(() -> hosts(ctx, q)))),
            path(PathMatchers.segment(), host -> now(() -> host(ctx, host))))),
        pathPrefix("os-instance_usage_audit_log", () -> concat(
            pathEndOrSingleSlash(() -> now(() -> {
              policy.enforce(ctx, "os_compute_api:os-instance-usage-audit-log:list");
              return Json.response(200, Map.of("instance_usage_audit_logs", auditLog(LocalDateTime.now(clock))));
            })),
            path(PathMatchers.segment(), before -> now(() -> {
              policy.enforce(ctx, "os_compute_api:os-instance-usage-audit-log:show");
              return Json.response(200, Map.of("instance_usage_audit_log", auditLog(timestamp(before))));
            }))))));
  }

  /**
   * Nova's os-hosts update on libvirt: checked (the admin's, a valid body, a known compute host),
   * then refused as not supported, as its libvirt driver refuses both enabling and maintenance.
   */
  private HttpResponse updateHost(RequestContext ctx, String name, String body) {
    policy.enforce(ctx, "os_compute_api:os-hosts:update");
    HOST_UPDATE.validate(Json.parseObject(body));
    compute(name);
    throw new ApiError(501, NOT_SUPPORTED);
  }

  /** Nova's host power actions (startup, shutdown, reboot): libvirt's driver has none (501). */
  private HttpResponse powerAction(RequestContext ctx, String name, String action) {
    if (!POWER_RULES.containsKey(action)) throw ApiError.notFound("The resource could not be found.");
    policy.enforce(ctx, POWER_RULES.get(action));
    compute(name);
    throw new ApiError(501, NOT_SUPPORTED);
  }

  private static final RequestSchema HOST_UPDATE = RequestSchema.named("host-update");
  private static final String NOT_SUPPORTED = "The requested functionality is not supported.";
  private static final Map<String, String> POWER_RULES = Map.of("startup", "os_compute_api:os-hosts:start",
      "shutdown", "os_compute_api:os-hosts:shutdown", "reboot", "os_compute_api:os-hosts:reboot");

  private HostSummary compute(String name) {
    return computes().stream().filter(x -> x.host().equals(name)).findFirst()
        .orElseThrow(() -> ApiError.notFound("Compute host " + name + " could not be found."));
  }

  private Route now(Supplier<HttpResponse> response) {
    return respond(() -> CompletableFuture.completedFuture(response.get()));
  }

  /**
   * A service (a numeric id, as up to 2.52; {@code forced_down} from 2.11: never, as Nimbus has
   * no service update to force one down).
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Service(int id, String binary, String host, String zone, String status, String state, String updatedAt,
      String disabledReason, @com.fasterxml.jackson.annotation.JsonInclude(
          com.fasterxml.jackson.annotation.JsonInclude.Include.NON_ABSENT) Optional<Boolean> forcedDown) {
    Service(int id, String binary, String host, String zone, String status, String state, String updatedAt,
        String disabledReason) {
      this(id, binary, host, zone, status, state, updatedAt, disabledReason, Optional.empty());
    }

    Service at(Microversion version) {
      return new Service(id, binary, host, zone, status, state, updatedAt, disabledReason,
          version.atLeast("2.11") ? Optional.of(false) : Optional.empty());
    }
  }

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Host(String hostName, String service, String zone) {}

  record Resource(String host, String project, int cpu, @com.fasterxml.jackson.annotation.JsonProperty("memory_mb")
      int memoryMb, @com.fasterxml.jackson.annotation.JsonProperty("disk_gb") int diskGb) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record AuditLog(List<String> hostsNotRun, Map<String, Object> log, int numHosts, int numHostsDone,
      int numHostsNotRun, int numHostsRunning, String overallStatus, String periodBeginning, String periodEnding,
      int totalErrors, int totalInstances) {}

  private List<HostSummary> computes() {
    return directory.hosts().stream().sorted(Comparator.comparing(HostSummary::host)).toList();
  }

  /**
   * Every service; their heartbeats' times are the host directory's own, so {@code updated_at}
   * is null (the schema's "not known"), and {@code state} says whether the host beats.
   */
  private List<Service> all() {
    List<Service> services = new ArrayList<>();
    for (String binary : CONTROL_SERVICES) {
      services.add(new Service(HostRoutes.idOf(binary + "@" + controlHost), binary, controlHost, "internal",
          "enabled", "up", null, null));
    }
    for (HostSummary h : computes()) {
      services.add(new Service(HostRoutes.idOf(h.host()), "nova-compute", h.host(), zone(h.host()), "enabled",
          directory.isUp(h.host(), downAfter) ? "up" : "down", null, null));
    }
    return services;
  }

  private String zone(String host) {
    return directory.zoneOf(host).orElse("nova");
  }

  private HttpResponse services(RequestContext ctx, Map<String, String> q, Microversion version) {
    policy.enforce(ctx, "os_compute_api:os-services:list");
    Optional<String> binary = Optional.ofNullable(q.get("binary"));
    Optional<String> host = Optional.ofNullable(q.get("host"));
    return Json.response(200, Map.of("services", all().stream()
        .filter(s -> binary.map(s.binary()::equals).orElse(true) && host.map(s.host()::equals).orElse(true))
        .map(s -> s.at(version)).toList()));
  }

  /** os-hosts names a service by its topic: compute, scheduler, conductor. */
  private HttpResponse hosts(RequestContext ctx, Map<String, String> q) {
    policy.enforce(ctx, "os_compute_api:os-hosts:list");
    // a blank zone is no filter, as Nova's (it tests the value's truth)
    Optional<String> zone = Optional.ofNullable(q.get("zone")).filter(z -> !z.isEmpty());
    return Json.response(200, Map.of("hosts", all().stream()
        .map(s -> new Host(s.host(), s.binary().substring("nova-".length()), s.zone()))
        .filter(h -> zone.map(h.zone()::equals).orElse(true)).toList()));
  }

  /** A compute host's resources: its total and what its servers use (Nova's per-project rows are not kept). */
  private HttpResponse host(RequestContext ctx, String name) {
    policy.enforce(ctx, "os_compute_api:os-hosts:show");
    HostSummary h = compute(name);
    Resources total = h.inventory().physical();
    Resources used = h.used();
    return Json.response(200, Map.of("host", List.of(
        Map.of("resource", new Resource(name, "(total)", total.vcpus(), total.ramMb(), total.diskGb())),
        Map.of("resource", new Resource(name, "(used_now)", used.vcpus(), used.ramMb(), used.diskGb())),
        Map.of("resource", new Resource(name, "(used_max)", used.vcpus(), used.ramMb(), used.diskGb())))));
  }

  /** Nova's timestamp forms for the audit log's "before". */
  private static LocalDateTime timestamp(String given) {
    try {
      return LocalDateTime.parse(given, given.contains(".")
          ? DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS") : AUDIT_TIME);
    } catch (DateTimeParseException e) {
      throw ApiError.badRequest("Invalid timestamp for date " + given);
    }
  }

  /** The last audit period (Nova's default: a month) that ended before {@code before}, with no host's audit run. */
  private AuditLog auditLog(LocalDateTime before) {
    LocalDateTime end = before.withDayOfMonth(1).toLocalDate().atStartOfDay();
    LocalDateTime begin = end.minusMonths(1);
    List<String> hosts = computes().stream().map(HostSummary::host).toList();
    String done = hosts.isEmpty() ? "ALL" : "0 of " + hosts.size();
    return new AuditLog(hosts, Map.of(), hosts.size(), 0, hosts.size(), 0, done + " hosts done. 0 errors.",
        AUDIT_TIME.format(begin), AUDIT_TIME.format(end), 0, 0);
  }
}
