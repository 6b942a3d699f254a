package nimbus.edge;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import nimbus.compute.HostDirectory;
import nimbus.compute.HostSummary;
import nimbus.compute.Resources;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Nova's view of the hosts: {@code os-hypervisors} (list, detail, show, statistics; admin only)
 * and {@code os-availability-zone}: the zones are those the hosts report.
 */
final class HostRoutes extends ServiceRoutes {
  private final HostDirectory directory;
  private final Duration downAfter;
  private final Policy policy;

  HostRoutes(HostDirectory directory, Duration downAfter, Policy policy) {
    super(NovaErrors::response);
    this.directory = directory;
    this.downAfter = downAfter;
    this.policy = policy;
  }

  Route route(RequestContext ctx) {
    return get(() -> concat(
        pathPrefix("os-hypervisors", () -> concat(
            pathEndOrSingleSlash(() -> now(() -> hypervisors(ctx, false))),
            path("detail", () -> now(() -> hypervisors(ctx, true))),
            path("statistics", () -> now(() -> statistics(ctx))),
            path(PathMatchers.segment(), id -> now(() -> hypervisor(ctx, id))),
            path(PathMatchers.segment().slash("uptime"), id -> now(() -> uptime(ctx, id))))),
        // host aggregates are not made yet: the list is empty (the CLI reads it to show a hypervisor)
        path("os-aggregates", () -> now(() -> {
          policy.enforce(ctx, "os_compute_api:os-aggregates:index");
          ObjectNode body = Json.MAPPER.createObjectNode();
          body.putArray("aggregates");
          return Json.response(200, body);
        })),
        pathPrefix("os-availability-zone", () -> concat(
            pathEndOrSingleSlash(() -> now(() -> {
              policy.enforce(ctx, "os_compute_api:os-availability-zone:list");
              return zones(false);
            })),
            path("detail", () -> now(() -> {
              policy.enforce(ctx, "os_compute_api:os-availability-zone:detail");
              return zones(true);
            }))))));
  }

  private Route now(java.util.function.Supplier<HttpResponse> response) {
    return respond(() -> CompletableFuture.completedFuture(response.get()));
  }

  private List<HostSummary> hosts() {
    return directory.hosts().stream().sorted(Comparator.comparing(HostSummary::host)).toList();
  }

  /** Nova 2.1 numbers hypervisors; the number stays the same for a host name. */
  static int idOf(String host) {
    return (host.hashCode() & 0x7fffffff) % 1_000_000_000 + 1;
  }

  private HttpResponse hypervisors(RequestContext ctx, boolean detail) {
    policy.enforce(ctx, detail ? "os_compute_api:os-hypervisors:list-detail" : "os_compute_api:os-hypervisors:list");
    ObjectNode body = Json.MAPPER.createObjectNode();
    ArrayNode list = body.putArray("hypervisors");
    hosts().forEach(h -> list.add(detail ? detail(h) : summary(h)));
    return Json.response(200, body);
  }

  private HttpResponse hypervisor(RequestContext ctx, String id) {
    policy.enforce(ctx, "os_compute_api:os-hypervisors:show");
    ObjectNode body = Json.MAPPER.createObjectNode();
    body.set("hypervisor", detail(byId(id)));
    return Json.response(200, body);
  }

  /** Agents do not report the host's uptime line: Nova's answer for such a driver. */
  private HttpResponse uptime(RequestContext ctx, String id) {
    policy.enforce(ctx, "os_compute_api:os-hypervisors:uptime");
    byId(id);
    return NovaErrors.response(501, "Virt driver does not implement uptime function.");
  }

  private HostSummary byId(String id) {
    return hosts().stream().filter(x -> String.valueOf(idOf(x.host())).equals(id)).findFirst()
        .orElseThrow(() -> ApiError.notFound("Hypervisor with ID '" + id + "' could not be found."));
  }

  private ObjectNode summary(HostSummary h) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("id", idOf(h.host())).put("hypervisor_hostname", h.host())
        .put("state", directory.isUp(h.host(), downAfter) ? "up" : "down").put("status", "enabled");
    return o;
  }

  private ObjectNode detail(HostSummary h) {
    ObjectNode o = summary(h);
    Resources physical = h.inventory().physical();
    o.put("vcpus", physical.vcpus()).put("memory_mb", physical.ramMb()).put("local_gb", physical.diskGb())
        .put("vcpus_used", h.used().vcpus()).put("memory_mb_used", h.used().ramMb())
        .put("local_gb_used", h.used().diskGb()).put("free_ram_mb", physical.ramMb() - h.used().ramMb())
        .put("free_disk_gb", physical.diskGb() - h.used().diskGb()).put("running_vms", h.servers())
        .put("current_workload", 0).put("disk_available_least", physical.diskGb() - h.used().diskGb())
        .put("hypervisor_type", h.inventory().hypervisorType())
        .put("hypervisor_version", h.inventory().hypervisorVersion())
        .put("host_ip", h.inventory().hostIp()).put("cpu_info", "{}");
    o.putObject("service").put("host", h.host()).put("id", idOf(h.host())).putNull("disabled_reason");
    return o;
  }

  private HttpResponse statistics(RequestContext ctx) {
    policy.enforce(ctx, "os_compute_api:os-hypervisors:statistics");
    List<HostSummary> all = hosts();
    Resources physical = all.stream().map(h -> h.inventory().physical()).reduce(Resources.NONE, Resources::plus);
    Resources used = all.stream().map(HostSummary::used).reduce(Resources.NONE, Resources::plus);
    ObjectNode s = Json.MAPPER.createObjectNode();
    s.put("count", all.size()).put("vcpus", physical.vcpus()).put("memory_mb", physical.ramMb())
        .put("local_gb", physical.diskGb()).put("vcpus_used", used.vcpus()).put("memory_mb_used", used.ramMb())
        .put("local_gb_used", used.diskGb()).put("free_ram_mb", physical.ramMb() - used.ramMb())
        .put("free_disk_gb", physical.diskGb() - used.diskGb()).put("current_workload", 0)
        .put("running_vms", all.stream().mapToInt(HostSummary::servers).sum())
        .put("disk_available_least", physical.diskGb() - used.diskGb());
    ObjectNode body = Json.MAPPER.createObjectNode();
    body.set("hypervisor_statistics", s);
    return Json.response(200, body);
  }

  /** The zones hosts have reported (a zone is available while one of its hosts is up). */
  private HttpResponse zones(boolean detail) {
    ObjectNode body = Json.MAPPER.createObjectNode();
    ArrayNode list = body.putArray("availabilityZoneInfo");
    directory.zones().forEach((name, members) -> {
      ObjectNode zone = list.addObject();
      zone.put("zoneName", name);
      zone.putObject("zoneState").put("available", members.stream().anyMatch(h -> directory.isUp(h.host(), downAfter)));
      if (detail) {
        ObjectNode hosts = zone.putObject("hosts");
        for (HostSummary h : members) {
          boolean up = directory.isUp(h.host(), downAfter);
          hosts.putObject(h.host()).putObject("nova-compute").put("available", up).put("active", true).putNull("updated_at");
        }
      } else {
        zone.putNull("hosts");
      }
    });
    return Json.response(200, body);
  }
}
