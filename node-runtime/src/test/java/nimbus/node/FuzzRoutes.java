package nimbus.node;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/**
 * The API's routes, each with what a valid request looks like, and the requests jqwik draws
 * for them: the valid one, the valid one with a few values made wrong, and broken ones.
 */
final class FuzzRoutes {
  private static final Pattern PLACEHOLDER = Pattern.compile("\\{([a-z]+)\\}");

  /** A route: {@code {server}} and the like in its path are filled from {@link FuzzTargets#POOLS}. */
  record Route(String method, String path, String body) {
    Route(String method, String path) {
      this(method, path, null);
    }
  }

  private FuzzRoutes() {}

  private static final String IDENTITY = "/identity/v3";
  static final List<Route> IDENTITY_ROUTES = List.of(
      new Route("GET", "/identity"), new Route("GET", IDENTITY),
      new Route("GET", IDENTITY + "/auth/tokens"), new Route("HEAD", IDENTITY + "/auth/tokens"),
      new Route("DELETE", IDENTITY + "/auth/tokens"),
      new Route("GET", IDENTITY + "/auth/catalog"), new Route("GET", IDENTITY + "/auth/projects"),
      new Route("GET", IDENTITY + "/domains"), new Route("GET", IDENTITY + "/domains/{domain}"),
      new Route("POST", IDENTITY + "/domains", "{\"domain\": {\"name\": \"fuzz-domain\", \"description\": \"d\", \"enabled\": true}}"),
      new Route("PATCH", IDENTITY + "/domains/{domain}", "{\"domain\": {\"description\": \"d\"}}"),
      new Route("DELETE", IDENTITY + "/domains/{domain}"),
      new Route("GET", IDENTITY + "/projects"), new Route("GET", IDENTITY + "/projects/{project}"),
      new Route("POST", IDENTITY + "/projects", "{\"project\": {\"name\": \"fuzz-project\", \"domain_id\": \"default\", \"enabled\": true}}"),
      new Route("PATCH", IDENTITY + "/projects/{project}", "{\"project\": {\"name\": \"renamed\", \"enabled\": false}}"),
      new Route("DELETE", IDENTITY + "/projects/{project}"),
      new Route("GET", IDENTITY + "/users"), new Route("GET", IDENTITY + "/users/{user}"),
      new Route("POST", IDENTITY + "/users", "{\"user\": {\"name\": \"fuzz-user\", \"password\": \"pw\", "
          + "\"default_project_id\": \"@{project.own}\", \"enabled\": true}}"),
      new Route("PATCH", IDENTITY + "/users/{user}", "{\"user\": {\"password\": \"new-pw\", \"enabled\": false}}"),
      new Route("DELETE", IDENTITY + "/users/{user}"),
      new Route("GET", IDENTITY + "/roles"), new Route("GET", IDENTITY + "/roles/{role}"),
      new Route("POST", IDENTITY + "/roles", "{\"role\": {\"name\": \"fuzz-role\"}}"),
      new Route("PATCH", IDENTITY + "/roles/{role}", "{\"role\": {\"name\": \"renamed\"}}"),
      new Route("DELETE", IDENTITY + "/roles/{role}"),
      new Route("GET", IDENTITY + "/projects/{project}/users/{user}/roles"),
      new Route("PUT", IDENTITY + "/projects/{project}/users/{user}/roles/{role}"),
      new Route("GET", IDENTITY + "/projects/{project}/users/{user}/roles/{role}"),
      new Route("HEAD", IDENTITY + "/projects/{project}/users/{user}/roles/{role}"),
      new Route("DELETE", IDENTITY + "/projects/{project}/users/{user}/roles/{role}"),
      new Route("GET", IDENTITY + "/role_assignments"),
      new Route("GET", IDENTITY + "/users/{user}/projects"),
      new Route("GET", IDENTITY + "/groups"), new Route("GET", IDENTITY + "/groups/fuzz-group"),
      new Route("POST", IDENTITY + "/groups", "{\"group\": {\"name\": \"fuzz-group\", \"description\": \"d\"}}"),
      new Route("PATCH", IDENTITY + "/groups/fuzz-group", "{\"group\": {\"name\": \"renamed\"}}"),
      new Route("DELETE", IDENTITY + "/groups/fuzz-group"),
      new Route("GET", IDENTITY + "/groups/fuzz-group/users"),
      new Route("PUT", IDENTITY + "/groups/fuzz-group/users/{user}"),
      new Route("HEAD", IDENTITY + "/groups/fuzz-group/users/{user}"),
      new Route("DELETE", IDENTITY + "/groups/fuzz-group/users/{user}"),
      new Route("GET", IDENTITY + "/users/{user}/groups"),
      new Route("GET", IDENTITY + "/regions"), new Route("GET", IDENTITY + "/regions/RegionOne"),
      new Route("POST", IDENTITY + "/regions", "{\"region\": {\"description\": \"d\", \"parent_region_id\": \"RegionOne\"}}"),
      new Route("PUT", IDENTITY + "/regions/fuzz-region", "{\"region\": {\"description\": \"d\"}}"),
      new Route("PATCH", IDENTITY + "/regions/fuzz-region", "{\"region\": {\"parent_region_id\": \"RegionOne\"}}"),
      new Route("DELETE", IDENTITY + "/regions/fuzz-region"),
      new Route("GET", IDENTITY + "/services"), new Route("GET", IDENTITY + "/services/nova"),
      new Route("POST", IDENTITY + "/services", "{\"service\": {\"type\": \"fuzz\", \"name\": \"fuzz\", \"enabled\": true}}"),
      new Route("PATCH", IDENTITY + "/services/nova", "{\"service\": {\"description\": \"d\"}}"),
      new Route("GET", IDENTITY + "/endpoints"), new Route("GET", IDENTITY + "/endpoints/nova-public"),
      new Route("POST", IDENTITY + "/endpoints", "{\"endpoint\": {\"service_id\": \"nova\", \"interface\": \"internal\", "
          + "\"url\": \"http://fuzz.example/v2\", \"region_id\": \"fuzz-region\", \"enabled\": true}}"),
      new Route("PATCH", IDENTITY + "/endpoints/nova-admin", "{\"endpoint\": {\"enabled\": true}}"));

  /** Logins: slow on purpose (Argon2id), so a property of their own with fewer tries. */
  static final List<Route> LOGIN_ROUTES = List.of(
      new Route("POST", IDENTITY + "/auth/tokens", "{\"auth\": {\"identity\": {\"methods\": [\"password\"], \"password\": "
          + "{\"user\": {\"name\": \"fuzzer\", \"domain\": {\"name\": \"Default\"}, \"password\": \"fuzzer-pw\"}}}, "
          + "\"scope\": {\"project\": {\"name\": \"fuzz\", \"domain\": {\"name\": \"Default\"}}}}}"),
      new Route("POST", IDENTITY + "/auth/tokens", "{\"auth\": {\"identity\": {\"methods\": [\"token\"], \"token\": "
          + "{\"id\": \"@{token.fuzzer}\"}}, \"scope\": {\"project\": {\"id\": \"@{project.own}\"}}}}"));

  private static final String COMPUTE = "/compute/v2.1";
  private static final String SERVER = "{\"server\": {\"name\": \"fuzz\", \"imageRef\": \"" + Api.TEST_IMAGE
      + "\", \"flavorRef\": \"42\", \"min_count\": 1, \"max_count\": 1, \"metadata\": {\"k\": \"v\"}, \"networks\": \"auto\", "
      + "\"key_name\": \"@{keypair.own}\", \"availability_zone\": \"nova\", \"user_data\": \"I2Nsb3VkLWNvbmZpZwo=\", "
      + "\"config_drive\": true}, \"os:scheduler_hints\": {\"group\": \"@{group.own}\"}}";
  static final List<Route> COMPUTE_ROUTES = List.of(
      new Route("GET", "/compute"), new Route("GET", COMPUTE),
      new Route("GET", COMPUTE + "/servers"), new Route("GET", COMPUTE + "/servers/detail"),
      new Route("POST", COMPUTE + "/servers", SERVER),
      new Route("GET", COMPUTE + "/servers/{server}"),
      new Route("PUT", COMPUTE + "/servers/{server}", "{\"server\": {\"name\": \"renamed\", \"description\": \"d\"}}"),
      new Route("DELETE", COMPUTE + "/servers/{server}"),
      new Route("GET", COMPUTE + "/servers/{server}/os-instance-actions"),
      new Route("GET", COMPUTE + "/servers/{server}/os-instance-actions/req-00000000-0000-0000-0000-000000000000"),
      new Route("GET", COMPUTE + "/servers/{server}/ips"),
      new Route("GET", COMPUTE + "/servers/{server}/ips/private"),
      new Route("GET", COMPUTE + "/servers/{server}/tags"),
      new Route("PUT", COMPUTE + "/servers/{server}/tags", "{\"tags\": [\"a\", \"b\"]}"),
      new Route("DELETE", COMPUTE + "/servers/{server}/tags"),
      new Route("GET", COMPUTE + "/servers/{server}/tags/a"),
      new Route("PUT", COMPUTE + "/servers/{server}/tags/a"),
      new Route("DELETE", COMPUTE + "/servers/{server}/tags/a"),
      action("{\"trigger_crash_dump\": null}"),
      new Route("GET", COMPUTE + "/servers/{server}/os-interface"),
      new Route("POST", COMPUTE + "/servers/{server}/os-interface", "{\"interfaceAttachment\": {\"net_id\": \"@{network.own}\"}}"),
      new Route("GET", COMPUTE + "/servers/{server}/os-interface/{port}"),
      new Route("DELETE", COMPUTE + "/servers/{server}/os-interface/{port}"),
      new Route("GET", COMPUTE + "/servers/{server}/os-volume_attachments"),
      new Route("POST", COMPUTE + "/servers/{server}/os-volume_attachments",
          "{\"volumeAttachment\": {\"volumeId\": \"@{volume.own}\"}}"),
      new Route("GET", COMPUTE + "/servers/{server}/os-volume_attachments/{volume}"),
      new Route("DELETE", COMPUTE + "/servers/{server}/os-volume_attachments/{volume}"),
      action("{\"os-stop\": null}"), action("{\"os-start\": null}"), action("{\"reboot\": {\"type\": \"HARD\"}}"),
      action("{\"pause\": null}"), action("{\"unpause\": null}"), action("{\"suspend\": null}"),
      action("{\"resume\": null}"), action("{\"lock\": null}"), action("{\"unlock\": null}"),
      action("{\"rebuild\": {\"imageRef\": \"" + Api.TEST_IMAGE + "\", \"name\": \"rebuilt\", \"metadata\": {\"k\": \"v\"}}}"),
      action("{\"os-getConsoleOutput\": {\"length\": 10}}"),
      action("{\"createImage\": {\"name\": \"snap\", \"metadata\": {\"k\": \"v\"}}}"),
      action("{\"resize\": {\"flavorRef\": \"84\"}}"), action("{\"confirmResize\": null}"),
      action("{\"revertResize\": null}"),
      action("{\"restore\": null}"), action("{\"forceDelete\": null}"),
      action("{\"addSecurityGroup\": {\"name\": \"@{secgroup.own}\"}}"),
      action("{\"addSecurityGroup\": {\"name\": \"@{secgroup.other}\"}}"),
      action("{\"removeSecurityGroup\": {\"name\": \"default\"}}"),
      new Route("GET", COMPUTE + "/servers/{server}/os-security-groups"),
      new Route("GET", COMPUTE + "/os-security-groups/{secgroup}"),
      // Nova's proxies to Neutron
      new Route("GET", COMPUTE + "/os-security-groups"),
      new Route("POST", COMPUTE + "/os-security-groups", "{\"security_group\": {\"name\": \"fuzz-sg\", "
          + "\"description\": \"d\"}}"),
      new Route("PUT", COMPUTE + "/os-security-groups/{secgroup}", "{\"security_group\": {\"name\": \"fuzz-sg2\", "
          + "\"description\": \"d\"}}"),
      new Route("DELETE", COMPUTE + "/os-security-groups/{secgroup}"),
      new Route("POST", COMPUTE + "/os-security-group-rules", "{\"security_group_rule\": {\"parent_group_id\": "
          + "\"@{secgroup.own}\", \"ip_protocol\": \"tcp\", \"from_port\": 22, \"to_port\": 22, "
          + "\"cidr\": \"10.0.0.0/8\", \"group_id\": \"@{secgroup.other}\"}}"),
      new Route("DELETE", COMPUTE + "/os-security-group-rules/{secrule}"),
      new Route("GET", COMPUTE + "/os-floating-ips"),
      new Route("POST", COMPUTE + "/os-floating-ips", "{\"pool\": \"@{network.external}\"}"),
      new Route("GET", COMPUTE + "/os-floating-ips/{floatingip}"),
      new Route("DELETE", COMPUTE + "/os-floating-ips/{floatingip}"),
      new Route("GET", COMPUTE + "/os-floating-ip-pools"),
      action("{\"addFloatingIp\": {\"address\": \"172.24.0.10\", \"fixed_address\": \"10.0.0.3\"}}"),
      action("{\"removeFloatingIp\": {\"address\": \"172.24.0.10\"}}"),
      new Route("GET", COMPUTE + "/flavors"), new Route("GET", COMPUTE + "/flavors/detail"),
      new Route("GET", COMPUTE + "/flavors/{flavor}"), new Route("DELETE", COMPUTE + "/flavors/{flavor}"),
      new Route("POST", COMPUTE + "/flavors", "{\"flavor\": {\"name\": \"fuzz-flavor\", \"ram\": 64, \"vcpus\": 1, "
          + "\"disk\": 1, \"id\": \"fuzz-flavor\", \"os-flavor-access:is_public\": false}}"),
      new Route("GET", COMPUTE + "/flavors/{flavor}/os-extra_specs"),
      new Route("POST", COMPUTE + "/flavors/{flavor}/os-extra_specs", "{\"extra_specs\": {\"k\": \"v\"}}"),
      new Route("GET", COMPUTE + "/flavors/{flavor}/os-extra_specs/k"),
      new Route("PUT", COMPUTE + "/flavors/{flavor}/os-extra_specs/k", "{\"k\": \"v\"}"),
      new Route("DELETE", COMPUTE + "/flavors/{flavor}/os-extra_specs/k"),
      new Route("GET", COMPUTE + "/flavors/{flavor}/os-flavor-access"),
      new Route("POST", COMPUTE + "/flavors/{flavor}/action", "{\"addTenantAccess\": {\"tenant\": \"@{project.other}\"}}"),
      new Route("GET", COMPUTE + "/os-keypairs"), new Route("GET", COMPUTE + "/os-keypairs/{keypair}"),
      new Route("DELETE", COMPUTE + "/os-keypairs/{keypair}"),
      new Route("POST", COMPUTE + "/os-keypairs", "{\"keypair\": {\"name\": \"fuzz-key\", \"public_key\": \""
          + FuzzTargets.PUBLIC_KEY + "\", \"type\": \"ssh\"}}"),
      new Route("GET", COMPUTE + "/limits"),
      new Route("GET", COMPUTE + "/os-quota-sets/{project}"), new Route("GET", COMPUTE + "/os-quota-sets/{project}/defaults"),
      new Route("PUT", COMPUTE + "/os-quota-sets/{project}", "{\"quota_set\": {\"instances\": 6, \"cores\": 1000, \"ram\": 10000000}}"),
      new Route("DELETE", COMPUTE + "/os-quota-sets/{project}"),
      new Route("GET", COMPUTE + "/os-server-groups"), new Route("GET", COMPUTE + "/os-server-groups/{group}"),
      new Route("DELETE", COMPUTE + "/os-server-groups/{group}"),
      new Route("POST", COMPUTE + "/os-server-groups", "{\"server_group\": {\"name\": \"fuzz-group\", \"policies\": [\"affinity\"]}}"),
      new Route("GET", COMPUTE + "/os-hypervisors"), new Route("GET", COMPUTE + "/os-hypervisors/detail"),
      new Route("GET", COMPUTE + "/os-hypervisors/statistics"), new Route("GET", COMPUTE + "/os-hypervisors/{hypervisor}"),
      new Route("GET", COMPUTE + "/os-hypervisors/{hypervisor}/uptime"), 
      new Route("GET", COMPUTE + "/os-hypervisors/node/search"), new Route("GET", COMPUTE + "/os-hypervisors/node/servers"),
      new Route("GET", COMPUTE + "/os-aggregates"),
      new Route("POST", COMPUTE + "/os-aggregates", "{\"aggregate\": {\"name\": \"fuzz-agg\", \"availability_zone\": \"nova\"}}"),
      new Route("GET", COMPUTE + "/os-aggregates/1"),
      new Route("PUT", COMPUTE + "/os-aggregates/1", "{\"aggregate\": {\"name\": \"fuzz-agg-2\"}}"),
      new Route("POST", COMPUTE + "/os-aggregates/1/action", "{\"set_metadata\": {\"metadata\": {\"k\": \"v\", \"o\": null}}}"),
      new Route("POST", COMPUTE + "/os-aggregates/1/action", "{\"add_host\": {\"host\": \"fuzz-host\"}}"),
      new Route("POST", COMPUTE + "/os-aggregates/1/action", "{\"remove_host\": {\"host\": \"fuzz-host\"}}"),
      new Route("DELETE", COMPUTE + "/os-aggregates/1"),
      new Route("GET", COMPUTE + "/os-availability-zone"), new Route("GET", COMPUTE + "/os-availability-zone/detail"),
      new Route("GET", COMPUTE + "/os-quota-class-sets/default"),
      new Route("GET", COMPUTE + "/os-services?binary=nova-compute"), new Route("GET", COMPUTE + "/os-hosts?zone=nova"),
      new Route("GET", COMPUTE + "/os-instance_usage_audit_log"),
      new Route("GET", COMPUTE + "/os-instance_usage_audit_log/2020-01-01%2000:00:00"),
      // Nova's image proxy, over the image service's images
      new Route("GET", COMPUTE + "/images?limit=2"), new Route("GET", COMPUTE + "/images/detail"),
      new Route("GET", COMPUTE + "/images/{image}"), new Route("DELETE", COMPUTE + "/images/{image}"),
      new Route("GET", COMPUTE + "/images/{image}/metadata"),
      new Route("POST", COMPUTE + "/images/{image}/metadata", "{\"metadata\": {\"k\": \"v\"}}"),
      new Route("PUT", COMPUTE + "/images/{image}/metadata", "{\"metadata\": {\"k\": \"v\"}}"),
      new Route("GET", COMPUTE + "/images/{image}/metadata/k"),
      new Route("PUT", COMPUTE + "/images/{image}/metadata/k", "{\"meta\": {\"k\": \"w\"}}"),
      new Route("DELETE", COMPUTE + "/images/{image}/metadata/k"));

  private static final String IMAGES = "/image/v2/images";
  static final List<Route> IMAGE_ROUTES = List.of(
      new Route("GET", "/image"), new Route("GET", IMAGES), new Route("GET", "/image/v2/info/usage"),
      new Route("POST", IMAGES, "{\"name\": \"fuzz\", \"disk_format\": \"raw\", \"container_format\": \"bare\", "
          + "\"visibility\": \"private\", \"protected\": false, \"min_disk\": 0, \"min_ram\": 0, \"tags\": [\"a\"], \"prop\": \"v\"}"),
      new Route("GET", IMAGES + "/{image}"), new Route("DELETE", IMAGES + "/{image}"),
      new Route("PATCH", IMAGES + "/{image}", "[{\"op\": \"replace\", \"path\": \"/name\", \"value\": \"renamed\"}, "
          + "{\"op\": \"add\", \"path\": \"/prop\", \"value\": \"v\"}, {\"op\": \"remove\", \"path\": \"/prop\"}]"),
      new Route("GET", IMAGES + "/{image}/members"),
      new Route("POST", IMAGES + "/{image}/members", "{\"member\": \"@{project.other}\"}"),
      new Route("GET", IMAGES + "/{image}/members/{project}"), new Route("DELETE", IMAGES + "/{image}/members/{project}"),
      new Route("PUT", IMAGES + "/{image}/members/{project}", "{\"status\": \"accepted\"}"),
      new Route("PUT", IMAGES + "/{image}/tags/{tag}"), new Route("DELETE", IMAGES + "/{image}/tags/{tag}"),
      new Route("GET", IMAGES + "/{image}/file"),
      new Route("PUT", IMAGES + "/{image}/file", "{\"not\": \"a disk\"}"),
      new Route("POST", IMAGES + "/{image}/actions/deactivate"), new Route("POST", IMAGES + "/{image}/actions/reactivate"),
      new Route("GET", "/image/v2/schemas/image"), new Route("GET", "/image/v2/schemas/images"),
      new Route("GET", "/image/v2/schemas/member"), new Route("GET", "/image/v2/schemas/members"));

  /** The dashboard's files and events API (a made-up ticket: a real one would open a stream that never ends). */
  static final List<Route> DASHBOARD_ROUTES = List.of(
      new Route("GET", "/dashboard"), new Route("GET", "/dashboard/"), new Route("GET", "/dashboard/app.js"),
      new Route("GET", "/dashboard/style.css"), new Route("GET", "/dashboard/images.js"),
      new Route("POST", "/dashboard/v1/event-tickets"),
      new Route("GET", "/dashboard/v1/events?ticket=fuzz-ticket"));

  private static final String VOLUMES = "/volume/v3/{project}";
  static final List<Route> VOLUME_ROUTES = List.of(
      new Route("GET", "/volume"), new Route("GET", VOLUMES + "/volumes"), new Route("GET", VOLUMES + "/volumes/detail"),
      new Route("POST", VOLUMES + "/volumes", "{\"volume\": {\"size\": 1, \"name\": \"fuzz\", \"description\": \"d\", "
          + "\"metadata\": {\"k\": \"v\"}, \"availability_zone\": \"nova\", \"volume_type\": \"__DEFAULT__\"}}"),
      new Route("GET", VOLUMES + "/volumes/{volume}"), new Route("DELETE", VOLUMES + "/volumes/{volume}"),
      new Route("PUT", VOLUMES + "/volumes/{volume}", "{\"volume\": {\"name\": \"renamed\", \"description\": \"d\", "
          + "\"metadata\": {\"k\": \"v\"}}}"),
      new Route("POST", VOLUMES + "/volumes/{volume}/action", "{\"os-extend\": {\"new_size\": 2}}"),
      new Route("POST", VOLUMES + "/volumes/{volume}/action", "{\"os-reserve\": null}"),
      new Route("POST", VOLUMES + "/volumes/{volume}/action", "{\"os-set_bootable\": {\"bootable\": true}}"),
      new Route("POST", VOLUMES + "/volumes/{volume}/action", "{\"os-update_readonly_flag\": {\"readonly\": true}}"),
      new Route("POST", VOLUMES + "/volumes/{volume}/action", "{\"os-unreserve\": null}"),
      new Route("POST", VOLUMES + "/volumes/{volume}/action", "{\"os-attach\": {\"instance_uuid\": "
          + "\"0b7a4a4e-6a1c-4d38-9a55-2f1f6d0a3c11\", \"mountpoint\": \"/dev/vdc\", \"mode\": \"rw\"}}"),
      new Route("POST", VOLUMES + "/volumes/{volume}/action", "{\"os-detach\": {\"attachment_id\": null}}"),
      new Route("POST", VOLUMES + "/volumes/{volume}/action", "{\"os-reset_status\": {\"status\": \"error\", "
          + "\"attach_status\": \"detached\"}}"),
      new Route("POST", VOLUMES + "/volumes/{volume}/action", "{\"os-force_delete\": {}}"),
      new Route("GET", VOLUMES + "/volumes/{volume}/metadata"),
      new Route("PUT", VOLUMES + "/volumes/{volume}/metadata", "{\"metadata\": {\"k\": \"v\"}}"),
      new Route("POST", VOLUMES + "/volumes/{volume}/metadata", "{\"metadata\": {\"k2\": \"v\"}}"),
      new Route("GET", VOLUMES + "/volumes/{volume}/metadata/k"),
      new Route("PUT", VOLUMES + "/volumes/{volume}/metadata/k", "{\"meta\": {\"k\": \"v2\"}}"),
      new Route("DELETE", VOLUMES + "/volumes/{volume}/metadata/k"),
      new Route("GET", "/volume/v3"), new Route("GET", VOLUMES + "/extensions"),
      new Route("GET", VOLUMES + "/os-availability-zone"),
      new Route("GET", VOLUMES + "/types"), new Route("GET", VOLUMES + "/types/{volumetype}"),
      new Route("GET", VOLUMES + "/types?is_public=None"), new Route("GET", VOLUMES + "/types/default"),
      new Route("POST", VOLUMES + "/types", "{\"volume_type\": {\"name\": \"fuzz\", \"description\": \"d\", "
          + "\"os-volume-type-access:is_public\": true, \"extra_specs\": {\"volume_backend_name\": \"nimbus-pool\"}}}"),
      new Route("PUT", VOLUMES + "/types/{volumetype}", "{\"volume_type\": {\"name\": \"fuzz2\", \"description\": \"d\", "
          + "\"is_public\": false}}"),
      new Route("DELETE", VOLUMES + "/types/{volumetype}"),
      new Route("GET", VOLUMES + "/types/{volumetype}/extra_specs"),
      new Route("POST", VOLUMES + "/types/{volumetype}/extra_specs", "{\"extra_specs\": {\"k\": \"v\"}}"),
      new Route("GET", VOLUMES + "/types/{volumetype}/extra_specs/k"),
      new Route("PUT", VOLUMES + "/types/{volumetype}/extra_specs/k", "{\"k\": \"v2\"}"),
      new Route("DELETE", VOLUMES + "/types/{volumetype}/extra_specs/k"),
      new Route("GET", VOLUMES + "/types/{volumetype}/os-volume-type-access"),
      new Route("POST", VOLUMES + "/types/{volumetype}/action", "{\"addProjectAccess\": {\"project\": \"@{project.own}\"}}"),
      new Route("POST", VOLUMES + "/types/{volumetype}/action",
          "{\"removeProjectAccess\": {\"project\": \"@{project.own}\"}}"),
      new Route("GET", VOLUMES + "/limits"),
      new Route("GET", VOLUMES + "/os-quota-sets/{project}"), new Route("GET", VOLUMES + "/os-quota-sets/{project}/defaults"),
      new Route("PUT", VOLUMES + "/os-quota-sets/{project}", "{\"quota_set\": {\"volumes\": 10, \"gigabytes\": 1000}}"),
      new Route("POST", VOLUMES + "/volumes", "{\"volume\": {\"snapshot_id\": \"@{snapshot.own}\", \"name\": \"fuzz\"}}"),
      new Route("POST", VOLUMES + "/volumes", "{\"volume\": {\"source_volid\": \"@{volume.own}\", \"size\": 2}}"),
      new Route("GET", VOLUMES + "/snapshots"), new Route("GET", VOLUMES + "/snapshots/detail"),
      new Route("POST", VOLUMES + "/snapshots", "{\"snapshot\": {\"volume_id\": \"@{volume.own}\", \"name\": \"fuzz\", "
          + "\"description\": \"d\", \"force\": true, \"metadata\": {\"k\": \"v\"}}}"),
      new Route("GET", VOLUMES + "/snapshots/{snapshot}"), new Route("DELETE", VOLUMES + "/snapshots/{snapshot}"),
      new Route("PUT", VOLUMES + "/snapshots/{snapshot}", "{\"snapshot\": {\"name\": \"renamed\", \"description\": \"d\"}}"),
      new Route("GET", VOLUMES + "/snapshots/{snapshot}/metadata"),
      new Route("PUT", VOLUMES + "/snapshots/{snapshot}/metadata", "{\"metadata\": {\"k\": \"v\"}}"),
      new Route("POST", VOLUMES + "/snapshots/{snapshot}/metadata", "{\"metadata\": {\"k2\": \"v\"}}"),
      new Route("GET", VOLUMES + "/snapshots/{snapshot}/metadata/k"),
      new Route("PUT", VOLUMES + "/snapshots/{snapshot}/metadata/k", "{\"meta\": {\"k\": \"v2\"}}"),
      new Route("DELETE", VOLUMES + "/snapshots/{snapshot}/metadata/k"),
      new Route("GET", VOLUMES + "/backups"), new Route("GET", VOLUMES + "/backups/detail"),
      new Route("POST", VOLUMES + "/backups", "{\"backup\": {\"volume_id\": \"@{volume.own}\", \"name\": \"fuzz\", "
          + "\"description\": \"d\", \"incremental\": false, \"force\": true}}"),
      new Route("GET", VOLUMES + "/backups/{backup}"), new Route("DELETE", VOLUMES + "/backups/{backup}"),
      new Route("PUT", VOLUMES + "/backups/{backup}", "{\"backup\": {\"name\": \"renamed\", \"description\": \"d\"}}"),
      new Route("POST", VOLUMES + "/backups/{backup}/restore", "{\"restore\": {\"name\": \"fuzz\"}}"),
      new Route("POST", VOLUMES + "/backups/{backup}/restore", "{\"restore\": {\"volume_id\": \"@{volume.own}\"}}"),
      new Route("POST", VOLUMES + "/backups/{backup}/action", "{\"os-reset_status\": {\"status\": \"error\"}}"),
      new Route("POST", VOLUMES + "/backups/{backup}/action", "{\"os-force_delete\": {}}"),
      new Route("GET", VOLUMES + "/backups/{backup}/export_record"),
      new Route("POST", VOLUMES + "/backups/import_record", "{\"backup-record\": {\"backup_service\": "
          + "\"cinder.backup.drivers.nimbus_chunks\", \"backup_url\": \"e30=\"}}"),
      // below 3.27 (no header) Cinder's attachments API is not there; ApiFuzzTest's odd headers read it at 3.44
      new Route("GET", VOLUMES + "/attachments"), new Route("GET", VOLUMES + "/attachments/detail?status=reserved"),
      new Route("POST", VOLUMES + "/attachments", "{\"attachment\": {\"volume_uuid\": \"@{volume.own}\", "
          + "\"instance_uuid\": \"@{server.own}\", \"connector\": {\"host\": \"h\", \"mountpoint\": \"/dev/vdb\"}}}"),
      new Route("GET", VOLUMES + "/attachments/{attachment}"), new Route("DELETE", VOLUMES + "/attachments/{attachment}"),
      new Route("PUT", VOLUMES + "/attachments/{attachment}", "{\"attachment\": {\"connector\": {\"host\": \"h\"}}}"),
      new Route("POST", VOLUMES + "/attachments/{attachment}/action", "{\"os-complete\": null}"),
      new Route("GET", VOLUMES + "/volumes/summary"));

  private static final String NETWORK = "/network/v2.0";
  static final List<Route> NETWORK_ROUTES = List.of(
      new Route("GET", "/network"), new Route("GET", NETWORK), new Route("GET", NETWORK + "/extensions"),
      new Route("GET", NETWORK + "/extensions/provider"), new Route("GET", NETWORK + "/availability_zones"),
      new Route("GET", NETWORK + "/networks?limit=2&sort_key=name&sort_dir=asc"),
      new Route("GET", NETWORK + "/networks?mtu=1450&fields=id"),
      new Route("POST", NETWORK + "/networks", "{\"network\": {\"name\": \"fuzz\", \"admin_state_up\": true, "
          + "\"description\": \"d\", \"port_security_enabled\": true, \"availability_zone_hints\": [\"nova\"]}}"),
      new Route("POST", NETWORK + "/networks", "{\"networks\": [{\"name\": \"fuzz-a\"}, {\"network\": {\"name\": "
          + "\"fuzz-b\", \"provider:network_type\": \"vxlan\", \"provider:segmentation_id\": 77}}]}"),
      new Route("GET", NETWORK + "/networks/{network}"),
      new Route("PUT", NETWORK + "/networks/{network}", "{\"network\": {\"name\": \"renamed\", \"shared\": false}}"),
      new Route("DELETE", NETWORK + "/networks/{network}"),
      new Route("GET", NETWORK + "/networks/{network}/tags"),
      new Route("PUT", NETWORK + "/networks/{network}/tags", "{\"tags\": [\"a\", \"b\"]}"),
      new Route("PUT", NETWORK + "/networks/{network}/tags/{tag}"),
      new Route("DELETE", NETWORK + "/networks/{network}/tags/{tag}"),
      new Route("GET", NETWORK + "/subnets?ip_version=4&limit=1"),
      new Route("POST", NETWORK + "/subnets", "{\"subnet\": {\"network_id\": \"@{network.own}\", \"ip_version\": 4, "
          + "\"cidr\": \"10.77.0.0/24\", \"gateway_ip\": \"10.77.0.1\", \"allocation_pools\": [{\"start\": "
          + "\"10.77.0.10\", \"end\": \"10.77.0.20\"}], \"dns_nameservers\": [\"8.8.8.8\"], \"host_routes\": "
          + "[{\"destination\": \"10.9.0.0/16\", \"nexthop\": \"10.77.0.5\"}], \"enable_dhcp\": true}}"),
      new Route("GET", NETWORK + "/subnets/{subnet}"),
      new Route("PUT", NETWORK + "/subnets/{subnet}", "{\"subnet\": {\"name\": \"renamed\", \"gateway_ip\": null, "
          + "\"allocation_pools\": [{\"start\": \"10.66.0.2\", \"end\": \"10.66.0.9\"}]}}"),
      new Route("DELETE", NETWORK + "/subnets/{subnet}"),
      new Route("GET", NETWORK + "/ports?fixed_ips=ip_address%3D10.66.0.2&fields=id&fields=fixed_ips"),
      new Route("POST", NETWORK + "/ports", "{\"port\": {\"network_id\": \"@{network.own}\", \"name\": \"p\", "
          + "\"fixed_ips\": [{\"subnet_id\": \"@{subnet.own}\"}], \"mac_address\": \"fa:16:3e:00:11:22\", "
          + "\"allowed_address_pairs\": [{\"ip_address\": \"10.66.0.200\"}], \"device_owner\": \"compute:nova\"}}"),
      new Route("GET", NETWORK + "/ports/{port}"),
      new Route("PUT", NETWORK + "/ports/{port}", "{\"port\": {\"name\": \"renamed\", \"admin_state_up\": false, "
          + "\"device_id\": \"d\", \"port_security_enabled\": false}}"),
      new Route("PUT", NETWORK + "/ports/{port}", "{\"port\": {\"fixed_ips\": [{\"subnet_id\": \"@{subnet.own}\"}, "
          + "{\"ip_address\": \"10.66.0.77\"}], \"mac_address\": \"fa:16:3e:00:11:33\"}}"),
      new Route("DELETE", NETWORK + "/ports/{port}"),
      new Route("GET", NETWORK + "/subnetpools?limit=2&sort_key=name&sort_dir=asc&is_default=false"),
      new Route("POST", NETWORK + "/subnetpools", "{\"subnetpool\": {\"name\": \"fuzz\", \"prefixes\": "
          + "[\"10.77.0.0/16\", \"10.78.0.0/24\"], \"default_prefixlen\": 24, \"min_prefixlen\": 8, \"max_prefixlen\": 28, "
          + "\"is_default\": false, \"default_quota\": null, \"description\": \"d\"}}"),
      new Route("POST", NETWORK + "/subnets", "{\"subnet\": {\"network_id\": \"@{network.own}\", \"ip_version\": 4, "
          + "\"use_default_subnetpool\": true, \"prefixlen\": 26}}"),
      new Route("GET", NETWORK + "/security-groups?fields=id&fields=name&sort_key=name&limit=2"),
      new Route("POST", NETWORK + "/security-groups", "{\"security_group\": {\"name\": \"fuzz\", "
          + "\"description\": \"d\", \"stateful\": true}}"),
      new Route("GET", NETWORK + "/security-groups/{secgroup}"),
      new Route("PUT", NETWORK + "/security-groups/{secgroup}", "{\"security_group\": {\"name\": \"renamed\"}}"),
      new Route("DELETE", NETWORK + "/security-groups/{secgroup}"),
      new Route("GET", NETWORK + "/security-group-rules?direction=egress&protocol=tcp"),
      new Route("POST", NETWORK + "/security-group-rules", "{\"security_group_rule\": {\"security_group_id\": "
          + "\"@{secgroup.own}\", \"direction\": \"ingress\", \"protocol\": \"tcp\", \"port_range_min\": 22, "
          + "\"port_range_max\": 22, \"remote_ip_prefix\": \"10.0.0.0/8\", \"ethertype\": \"IPv4\"}}"),
      new Route("GET", NETWORK + "/security-group-rules/{secrule}"),
      new Route("DELETE", NETWORK + "/security-group-rules/{secrule}"),
      new Route("GET", NETWORK + "/routers?limit=2&sort_key=name&sort_dir=asc"),
      new Route("POST", NETWORK + "/routers", "{\"router\": {\"name\": \"r\", \"admin_state_up\": true, "
          + "\"external_gateway_info\": {\"network_id\": \"@{network.external}\"}}}"),
      new Route("GET", NETWORK + "/routers/{router}"),
      new Route("PUT", NETWORK + "/routers/{router}", "{\"router\": {\"name\": \"renamed\", \"routes\": "
          + "[{\"destination\": \"10.9.0.0/16\", \"nexthop\": \"10.66.0.5\"}], \"external_gateway_info\": {}}}"),
      new Route("PUT", NETWORK + "/routers/{router}/add_router_interface", "{\"subnet_id\": \"@{subnet.own}\"}"),
      new Route("PUT", NETWORK + "/routers/{router}/add_router_interface", "{\"port_id\": \"@{port.own}\"}"),
      new Route("PUT", NETWORK + "/routers/{router}/add_extraroutes", "{\"router\": {\"routes\": "
          + "[{\"destination\": \"10.8.0.0/16\", \"nexthop\": \"10.66.0.6\"}]}}"),
      new Route("PUT", NETWORK + "/routers/{router}/remove_extraroutes", "{\"router\": {\"routes\": "
          + "[{\"destination\": \"10.8.0.0/16\", \"nexthop\": \"10.66.0.6\"}]}}"),
      new Route("PUT", NETWORK + "/routers/{router}/remove_router_interface", "{\"subnet_id\": \"@{subnet.own}\"}"),
      new Route("DELETE", NETWORK + "/routers/{router}"),
      new Route("GET", NETWORK + "/floatingips?status=DOWN&fields=id"),
      new Route("POST", NETWORK + "/floatingips", "{\"floatingip\": {\"floating_network_id\": "
          + "\"@{network.external}\", \"port_id\": \"@{port.own}\", \"description\": \"d\"}}"),
      new Route("GET", NETWORK + "/floatingips/{floatingip}"),
      new Route("PUT", NETWORK + "/floatingips/{floatingip}", "{\"floatingip\": {\"port_id\": \"@{port.own}\"}}"),
      new Route("PUT", NETWORK + "/floatingips/{floatingip}", "{\"floatingip\": {\"port_id\": null}}"),
      new Route("DELETE", NETWORK + "/floatingips/{floatingip}"),
      new Route("GET", NETWORK + "/quotas"), new Route("GET", NETWORK + "/quotas/{project}"),
      new Route("GET", NETWORK + "/quotas/{project}/details.json"),
      new Route("PUT", NETWORK + "/quotas/{project}", "{\"quota\": {\"network\": 50, \"port\": 100}}"),
      new Route("DELETE", NETWORK + "/quotas/{project}"));

  /** Fields that take an int ({@code %s}), each with who may set it. */
  private static final Map<Route, FuzzRequest.Caller> INT_FIELDS = Map.of(
      new Route("PUT", COMPUTE + "/os-quota-sets/0123456789abcdef0123456789abcdef",
          "{\"quota_set\": {\"instances\": %s}}"), FuzzRequest.Caller.ADMIN,
      new Route("POST", COMPUTE + "/flavors", "{\"flavor\": {\"name\": \"beyond-int\", \"ram\": %s, \"vcpus\": 1, "
          + "\"disk\": 1}}"), FuzzRequest.Caller.ADMIN,
      new Route("POST", COMPUTE + "/servers", "{\"server\": {\"name\": \"beyond-int\", \"imageRef\": \""
          + Api.TEST_IMAGE + "\", \"flavorRef\": \"42\", \"max_count\": %s}}"), FuzzRequest.Caller.FUZZER,
      new Route("POST", COMPUTE + "/servers/@{server.own}/action", "{\"os-getConsoleOutput\": {\"length\": %s}}"),
      FuzzRequest.Caller.FUZZER,
      new Route("POST", IMAGES, "{\"name\": \"beyond-int\", \"min_disk\": %s}"), FuzzRequest.Caller.FUZZER,
      new Route("PUT", NETWORK + "/quotas/0123456789abcdef0123456789abcdef", "{\"quota\": {\"port\": %s}}"),
      FuzzRequest.Caller.ADMIN);

  /** Valid requests but for one int field, set to an integer beyond int's range (or long's). */
  static Arbitrary<FuzzRequest> beyondInt() {
    Arbitrary<String> number = Arbitraries.oneOf(
        Arbitraries.longs().filter(l -> l != l.intValue()).map(String::valueOf),
        Arbitraries.bigIntegers().between(BigInteger.TWO.pow(63), BigInteger.TWO.pow(80))
            .map(b -> (b.testBit(0) ? "-" : "") + b),
        Arbitraries.of("4294967297", "-4294967295", "18446744073709551617"));
    return Combinators.combine(Arbitraries.of(INT_FIELDS.keySet()), number).as((route, n) ->
        new FuzzRequest(route.method() + " " + route.path(), INT_FIELDS.get(route), route.method(), route.path(),
            Map.of("Content-Type", "application/json"), route.body().formatted(n).getBytes(StandardCharsets.UTF_8)));
  }

  private static Route action(String body) {
    return new Route("POST", COMPUTE + "/servers/{server}/action", body);
  }

  /**
   * Requests to {@code routes} by {@code caller}: the fuzzer aims at every target; the admin,
   * who could change anything, only at ids that do not exist (so the targets stay as they are).
   */
  static Arbitrary<FuzzRequest> requests(List<Route> routes, FuzzRequest.Caller caller) {
    boolean aimed = caller == FuzzRequest.Caller.FUZZER;
    List<String> known = aimed ? FuzzTargets.POOLS.values().stream().flatMap(List::stream).toList()
        : List.of("00000000-0000-4000-8000-000000000000");
    return Arbitraries.of(routes).flatMap(route -> Combinators.combine(path(route.path(), aimed, known),
            query(route, known), body(route, known), contentType(route), subjectToken(route, caller))
        .as((path, query, body, type, subject) -> {
          Map<String, String> headers = new TreeMap<>();
          if (!type.isEmpty()) headers.put("Content-Type", type);
          if (!subject.isEmpty()) headers.put("X-Subject-Token", subject);
          return new FuzzRequest(route.method() + " " + route.path(), caller, route.method(), path + query, headers,
              body.length == 0 ? null : body);
        }));
  }

  /**
   * Otherwise valid requests (the route's own body) with odd ids in every placeholder: what
   * stands in a path reaches entity ids and queries unparsed.
   */
  static Arbitrary<FuzzRequest> withOddIds(List<Route> routes, FuzzRequest.Caller caller) {
    return Arbitraries.of(routes).flatMap(route -> path(route.path(), false, List.of()).map(path ->
        new FuzzRequest(route.method() + " " + route.path(), caller, route.method(), path,
            route.body() == null ? Map.of() : Map.of("Content-Type", "application/json"),
            route.body() == null ? null : route.body().getBytes(StandardCharsets.UTF_8))));
  }

  /** Lists get a query string of odd parameters; other routes now and then. */
  private static Arbitrary<String> query(Route route, List<String> known) {
    return route.method().equals("GET") ? FuzzValues.queries(known) : Arbitraries.frequencyOf(
        Tuple.of(4, Arbitraries.just("")), Tuple.of(1, FuzzValues.queries(known)));
  }

  /**
   * The token a token route is about: another user's, or garbage; the fuzzer's own only to read
   * (revoking it would end the test's session), and no real one for the admin (who may revoke it).
   */
  private static Arbitrary<String> subjectToken(Route route, FuzzRequest.Caller caller) {
    if (!route.path().endsWith("/auth/tokens") || route.method().equals("POST")) return Arbitraries.just("");
    Arbitrary<String> garbage = Arbitraries.oneOf(Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(300),
        Arbitraries.of("gAAAAA", "x".repeat(5000)));
    if (caller == FuzzRequest.Caller.ADMIN) return garbage;
    return route.method().equals("DELETE") ? Arbitraries.oneOf(garbage, Arbitraries.just("@{token.other}"))
        : Arbitraries.oneOf(garbage, Arbitraries.of("@{token.other}", "@{token.fuzzer}"));
  }

  /** The path with each placeholder filled: aimed, mostly with known ids; else with odd ones only. */
  private static Arbitrary<String> path(String template, boolean aimed, List<String> known) {
    Matcher m = PLACEHOLDER.matcher(template);
    List<String> literals = new ArrayList<>();
    List<Arbitrary<String>> segments = new ArrayList<>();
    int last = 0;
    while (m.find()) {
      literals.add(template.substring(last, m.start()));
      segments.add(aimed ? FuzzValues.segments(FuzzTargets.POOLS.getOrDefault(m.group(1), known), known)
          : FuzzValues.oddIds());
      last = m.end();
    }
    String tail = template.substring(last);
    if (segments.isEmpty()) return Arbitraries.just(template);
    return Combinators.combine(segments).as(filled -> {
      StringBuilder out = new StringBuilder();
      for (int i = 0; i < filled.size(); i++) out.append(literals.get(i)).append(filled.get(i));
      return out.append(tail).toString();
    });
  }

  /** No body (empty) for most reads; for writes the valid body, a mutated one, or a broken one. */
  private static Arbitrary<byte[]> body(Route route, List<String> known) {
    if (route.body() == null) {
      return Arbitraries.frequencyOf(
          Tuple.of(9, Arbitraries.just(new byte[0])),
          Tuple.of(1, FuzzValues.brokenBodies("{}")));
    }
    return Arbitraries.frequencyOf(
        Tuple.of(1, Arbitraries.just(route.body().getBytes(StandardCharsets.UTF_8))),
        Tuple.of(6, FuzzMutations.of(route.body(), known).map(s -> s.getBytes(StandardCharsets.UTF_8))),
        Tuple.of(3, FuzzValues.brokenBodies(route.body())));
  }

  /** Mostly the type the route expects; now and then none (empty), or one it does not take. */
  private static Arbitrary<String> contentType(Route route) {
    String expected = route.path().endsWith("/file") ? "application/octet-stream"
        : route.method().equals("PATCH") && route.path().startsWith("/image")
            ? "application/openstack-images-v2.1-json-patch" : "application/json";
    if (route.body() == null) return Arbitraries.of("", expected);
    return Arbitraries.frequencyOf(
        Tuple.of(12, Arbitraries.just(expected)),
        Tuple.of(1, Arbitraries.of("", "text/plain", "application/json; charset=utf-16",
            "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "garbage")));
  }
}
