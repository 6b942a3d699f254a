package nimbus.edge;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The API's default rules, named as Nova, Glance, Neutron and Keystone name them. The check strings are
 * Nimbus's, not OpenStack's: they give exactly the powers the API has always given (the cloud's
 * admin is the admin role on the admin project, not the admin role anywhere). Which project's
 * resources a caller sees at all stays in the routes: another project's server is a 404 there.
 */
final class PolicyDefaults {
  private PolicyDefaults() {}

  private static final String ADMIN = "rule:admin_api";
  private static final String MEMBER = "rule:project_member_or_admin";
  private static final String READER = "rule:project_reader_or_admin";

  static Map<String, String> rules() {
    Map<String, String> r = new LinkedHashMap<>();
    base(r);
    servers(r);
    compute(r);
    images(r);
    volumes(r);
    networks(r);
    identity(r);
    return r;
  }

  /** The rules the others are made of. */
  private static void base(Map<String, String> r) {
    r.put("admin_api", "is_admin:True"); // the cloud's admin: the admin role on the admin project
    r.put("context_is_admin", "rule:admin_api"); // who sees and acts on every project's resources
    // a project-scoped token always has a role on its project: every one of them reads
    r.put("project_reader_api", "project_id:%(project_id)s");
    r.put("project_member_api", "(role:member or role:admin) and project_id:%(project_id)s");
    r.put("project_reader_or_admin", "rule:project_reader_api or rule:context_is_admin");
    r.put("project_member_or_admin", "rule:project_member_api or rule:context_is_admin");
    r.put("token_subject", "user_id:%(target.token.user_id)s");
  }

  private static void servers(Map<String, String> r) {
    String servers = "os_compute_api:servers:";
    for (String read : new String[] {"index", "detail", "show"}) r.put(servers + read, READER);
    r.put(servers + "index:get_all_tenants", ADMIN);
    r.put(servers + "detail:get_all_tenants", ADMIN);
    r.put(servers + "allow_all_filters", ADMIN);
    for (String act : new String[] {"create", "update", "delete", "start", "stop", "reboot", "rebuild", "resize",
        "confirm_resize", "revert_resize", "create_image"}) {
      r.put(servers + act, MEMBER);
    }
    r.put("os_compute_api:os-pause-server:pause", MEMBER);
    r.put("os_compute_api:os-pause-server:unpause", MEMBER);
    r.put("os_compute_api:os-suspend-server:suspend", MEMBER);
    r.put("os_compute_api:os-suspend-server:resume", MEMBER);
    r.put("os_compute_api:os-lock-server:lock", MEMBER);
    r.put("os_compute_api:os-lock-server:unlock", MEMBER);
    r.put("os_compute_api:os-deferred-delete:restore", MEMBER);
    r.put("os_compute_api:os-deferred-delete:force", MEMBER);
    r.put("os_compute_api:os-lock-server:unlock:unlock_override", ADMIN);
    r.put("os_compute_api:os-console-output", MEMBER);
    r.put("os_compute_api:os-security-groups:add", MEMBER);
    r.put("os_compute_api:os-security-groups:remove", MEMBER);
    r.put("os_compute_api:os-security-groups:list", READER);
    r.put("os_compute_api:os-security-groups:get", READER);
    r.put("os_compute_api:os-security-groups:show", READER);
    r.put("os_compute_api:os-security-groups:create", MEMBER);
    r.put("os_compute_api:os-security-groups:update", MEMBER);
    r.put("os_compute_api:os-security-groups:delete", MEMBER);
    r.put("os_compute_api:os-security-groups:rule:create", MEMBER);
    r.put("os_compute_api:os-security-groups:rule:delete", MEMBER);
    r.put("os_compute_api:os-floating-ips:add", MEMBER);
    r.put("os_compute_api:os-floating-ips:remove", MEMBER);
    r.put("os_compute_api:os-floating-ips:list", READER);
    r.put("os_compute_api:os-floating-ips:create", MEMBER);
    r.put("os_compute_api:os-floating-ips:show", READER);
    r.put("os_compute_api:os-floating-ips:delete", MEMBER);
    r.put("os_compute_api:os-floating-ip-pools", "@");
    r.put("os_compute_api:os-instance-actions:list", READER);
    r.put("os_compute_api:os-instance-actions:show", READER);
    r.put("os_compute_api:ips:index", READER);
    r.put("os_compute_api:ips:show", READER);
    r.put("os_compute_api:os-attach-interfaces:list", READER);
    r.put("os_compute_api:os-attach-interfaces:show", READER);
    r.put("os_compute_api:os-attach-interfaces:create", MEMBER);
    r.put("os_compute_api:os-attach-interfaces:delete", MEMBER);
    r.put("os_compute_api:os-volumes-attachments:index", READER);
    r.put("os_compute_api:os-volumes-attachments:show", READER);
    r.put("os_compute_api:os-volumes-attachments:create", MEMBER);
    r.put("os_compute_api:os-volumes-attachments:delete", MEMBER);
    r.put("os_compute_api:os-extended-server-attributes", ADMIN);
    r.put("os_compute_api:server-metadata:index", READER);
    r.put("os_compute_api:server-metadata:show", READER);
    for (String write : List.of("create", "update", "update_all", "delete")) {
      r.put("os_compute_api:server-metadata:" + write, MEMBER);
    }
    r.put("os_compute_api:servers:show:host_status", ADMIN);
    r.put("os_compute_api:servers:trigger_crash_dump", MEMBER);
    r.put("os_compute_api:os-server-tags:index", READER);
    r.put("os_compute_api:os-server-tags:show", READER);
    for (String write : List.of("update", "update_all", "delete", "delete_all")) {
      r.put("os_compute_api:os-server-tags:" + write, MEMBER);
    }
  }

  private static void compute(Map<String, String> r) {
    r.put("os_compute_api:os-flavor-manage:create", ADMIN);
    r.put("os_compute_api:os-flavor-manage:delete", ADMIN);
    r.put("os_compute_api:os-flavor-extra-specs:create", ADMIN);
    r.put("os_compute_api:os-flavor-extra-specs:update", ADMIN);
    r.put("os_compute_api:os-flavor-extra-specs:delete", ADMIN);
    r.put("os_compute_api:os-flavor-extra-specs:show", READER);
    r.put("os_compute_api:os-flavor-access", ADMIN);
    r.put("os_compute_api:os-flavor-access:add_tenant_access", ADMIN);
    r.put("os_compute_api:os-flavor-access:remove_tenant_access", ADMIN);
    for (String h : new String[] {"list", "list-detail", "statistics", "show", "uptime", "search", "servers"}) {
      r.put("os_compute_api:os-hypervisors:" + h, ADMIN);
    }
    for (String a : new String[] {"index", "create", "show", "update", "delete", "add_host", "remove_host",
        "set_metadata"}) {
      r.put("os_compute_api:os-aggregates:" + a, ADMIN);
    }
    r.put("os_compute_api:os-services:list", ADMIN);
    r.put("os_compute_api:os-hosts:list", ADMIN);
    r.put("os_compute_api:os-hosts:show", ADMIN);
    r.put("os_compute_api:os-hosts:update", ADMIN);
    r.put("os_compute_api:os-hosts:start", ADMIN);
    r.put("os_compute_api:os-hosts:shutdown", ADMIN);
    r.put("os_compute_api:os-hosts:reboot", ADMIN);
    r.put("os_compute_api:os-instance-usage-audit-log:list", ADMIN);
    r.put("os_compute_api:os-instance-usage-audit-log:show", ADMIN);
    r.put("os_compute_api:os-availability-zone:list", "@");
    r.put("os_compute_api:os-availability-zone:detail", ADMIN);
    r.put("os_compute_api:limits", "@");
    r.put("os_compute_api:os-quota-sets:show", READER); // the target is the project asked about
    r.put("os_compute_api:os-quota-sets:defaults", "@");
    r.put("os_compute_api:os-quota-sets:update", ADMIN);
    r.put("os_compute_api:os-quota-sets:delete", ADMIN);
    r.put("os_compute_api:os-quota-class-sets:show", ADMIN);
    for (String k : new String[] {"index", "create", "show", "delete"}) {
      r.put("os_compute_api:os-keypairs:" + k, "rule:context_is_admin or user_id:%(user_id)s");
    }
    r.put("os_compute_api:os-server-groups:index", READER);
    r.put("os_compute_api:os-server-groups:show", READER);
    r.put("os_compute_api:os-server-groups:create", MEMBER);
    r.put("os_compute_api:os-server-groups:delete", MEMBER);
  }

  /** Glance's names; its targets name the image's owner and the member asked about. */
  private static void images(Map<String, String> r) {
    r.put("add_image", MEMBER);
    String ownerOrAdmin = "rule:context_is_admin or (rule:project_member_api and project_id:%(owner)s)";
    for (String change : new String[] {"modify_image", "delete_image", "upload_image", "add_member", "delete_member",
        "deactivate", "reactivate"}) {
      r.put(change, ownerOrAdmin);
    }
    r.put("publicize_image", ADMIN);
    r.put("get_member", "rule:context_is_admin or project_id:%(owner)s or project_id:%(member_id)s");
    r.put("modify_member", "rule:project_member_api and project_id:%(member_id)s"); // the member answers alone
  }

  /** Cinder's names: a project's members change its volumes, its readers see them. */
  private static void volumes(Map<String, String> r) {
    for (String change : new String[] {"volume:create", "volume:update", "volume:delete", "volume:extend",
        "volume:retype"}) {
      r.put(change, MEMBER);
    }
    r.put("volume:get", READER);
    r.put("volume:get_all", READER);
    for (String change : new String[] {"volume:create_volume_metadata", "volume:update_volume_metadata",
        "volume:delete_volume_metadata"}) {
      r.put(change, MEMBER);
    }
    r.put("volume:get_volume_metadata", READER);
    r.put("volume:update_readonly_flag", MEMBER);
    for (String action : new String[] {"reserve", "unreserve", "attach", "detach", "set_bootable", "upload_image"}) {
      r.put("volume_extension:volume_actions:" + action, MEMBER);
    }
    for (String attachment : new String[] {"create", "update", "delete", "complete"}) {
      r.put("volume:attachment_" + attachment, MEMBER);
    }
    r.put("volume_extension:volume_actions:upload_public", ADMIN);
    r.put("volume_extension:volume_admin_actions:reset_status", ADMIN);
    r.put("volume_extension:volume_admin_actions:force_delete", ADMIN);
    r.put("volume_extension:volume_admin_actions:force_detach", ADMIN);
    // the attributes of a volume's view: its project for its readers, where it is stored for admins only
    r.put("volume_extension:volume_tenant_attribute", READER);
    r.put("volume_extension:volume_host_attribute", ADMIN);
    r.put("volume_extension:volume_mig_status_attribute", ADMIN);
    for (String change : new String[] {"volume:create_snapshot", "volume:update_snapshot", "volume:delete_snapshot",
        "volume:update_snapshot_metadata", "volume:delete_snapshot_metadata"}) {
      r.put(change, MEMBER);
    }
    r.put("volume:get_snapshot", READER);
    r.put("volume:get_all_snapshots", READER);
    r.put("volume:get_snapshot_metadata", READER);
    r.put("volume_extension:extended_snapshot_attributes", READER);
    for (String change : new String[] {"backup:create", "backup:update", "backup:delete", "backup:restore"}) {
      r.put(change, MEMBER);
    }
    r.put("backup:get", READER);
    r.put("backup:get_all", READER);
    r.put("volume_extension:backup_admin_actions:reset_status", ADMIN);
    r.put("volume_extension:backup_admin_actions:force_delete", ADMIN);
    r.put("backup:export-import", ADMIN); // Cinder's names: export_record
    r.put("backup:backup-import", ADMIN); // and import_record
    r.put("limits_extension:used_limits", READER);
    r.put("volume_extension:quotas:show", ADMIN);
    r.put("volume_extension:quotas:update", ADMIN);
    volumeTypes(r);
  }

  /** Cinder's volume type names: admins manage types, every project reads the ones open to it. */
  private static void volumeTypes(Map<String, String> r) {
    for (String manage : new String[] {"volume_extension:types_manage", "volume_extension:type_create",
        "volume_extension:type_update", "volume_extension:type_delete", "volume_extension:access_types_qos_specs_id",
        "volume_extension:types_extra_specs:create", "volume_extension:types_extra_specs:update",
        "volume_extension:types_extra_specs:delete", "volume_extension:types_extra_specs:read_sensitive",
        "volume_extension:volume_type_access:addProjectAccess", "volume_extension:volume_type_access:removeProjectAccess",
        "volume_extension:volume_type_access:get_all_for_type"}) {
      r.put(manage, ADMIN);
    }
    r.put("volume_extension:type_get", READER);
    r.put("volume_extension:type_get_all", READER);
    r.put("volume_extension:access_types_extra_specs", READER);
    r.put("volume_extension:types_extra_specs:index", READER);
    r.put("volume_extension:types_extra_specs:show", READER);
    r.put("volume_extension:volume_type_access", READER);
  }

  /**
   * Neutron's names, with its deprecated defaults (Zed still honours them): a network's owner may
   * do more on it than the projects it is shared with. Targets carry the resource's
   * {@code project_id}, its network's owner ({@code network:tenant_id}), whether that network is
   * {@code shared} or {@code router:external}, and a port's {@code device_owner}.
   */
  private static void networks(Map<String, String> r) {
    r.put("admin_only", ADMIN);
    r.put("regular_user", "");
    r.put("network_owner", "project_id:%(network:tenant_id)s");
    r.put("admin_or_network_owner", "rule:context_is_admin or rule:network_owner");
    r.put("network_member", "rule:context_is_admin or ((role:member or role:admin) and rule:network_owner)");
    r.put("shared", "field:networks:shared=True");
    r.put("external", "field:networks:router:external=True");
    r.put("network_device", "field:port:device_owner=~^network:");
    r.put("create_network", MEMBER);
    r.put("get_network", READER + " or rule:shared or rule:external");
    r.put("update_network", MEMBER);
    r.put("delete_network", MEMBER);
    for (String verb : new String[] {"create_network:", "update_network:"}) {
      for (String attr : new String[] {"shared", "router:external", "provider:network_type",
          "provider:physical_network", "provider:segmentation_id"}) {
        r.put(verb + attr, ADMIN);
      }
      r.put(verb + "port_security_enabled", MEMBER);
    }
    r.put("get_network:router:external", "rule:regular_user");
    for (String attr : new String[] {"network_type", "physical_network", "segmentation_id"}) {
      r.put("get_network:provider:" + attr, ADMIN);
    }
    // subnets belong to their network: its owner (a member) or the admin makes and changes them
    r.put("create_subnet", "rule:network_member");
    r.put("get_subnet", READER + " or rule:shared");
    r.put("update_subnet", "rule:network_member");
    r.put("delete_subnet", "rule:network_member");
    ports(r);
    routers(r);
    // subnet pools: a project's own, usable (not writable) by all when shared; only admins share one
    // or make one the default
    r.put("shared_subnetpools", "field:subnetpools:shared=True");
    r.put("create_subnetpool", MEMBER);
    r.put("create_subnetpool:shared", ADMIN);
    r.put("create_subnetpool:is_default", ADMIN);
    r.put("get_subnetpool", READER + " or rule:shared_subnetpools");
    r.put("update_subnetpool", MEMBER);
    r.put("update_subnetpool:is_default", ADMIN);
    r.put("delete_subnetpool", MEMBER);
    // security groups and their rules: the project's own
    r.put("create_security_group", MEMBER);
    r.put("get_security_group", READER);
    r.put("update_security_group", MEMBER);
    r.put("delete_security_group", MEMBER);
    r.put("create_security_group_rule", MEMBER);
    r.put("get_security_group_rule", READER);
    r.put("delete_security_group_rule", MEMBER);
    r.put("get_quota", READER);
    r.put("update_quota", ADMIN);
    r.put("delete_quota", ADMIN);
  }

  private static void ports(Map<String, String> r) {
    r.put("create_port", MEMBER);
    r.put("get_port", READER + " or rule:network_owner");
    r.put("update_port", MEMBER);
    r.put("delete_port", MEMBER + " or rule:network_member");
    for (String verb : new String[] {"create_port:", "update_port:"}) {
      // a device owner that claims to be the network's own (network:dhcp, a router) is its owner's to set
      r.put(verb + "device_owner", "not rule:network_device or rule:admin_or_network_owner");
      r.put(verb + "fixed_ips", "rule:admin_or_network_owner or rule:shared");
      r.put(verb + "fixed_ips:ip_address", "rule:admin_or_network_owner");
      r.put(verb + "fixed_ips:subnet_id", "rule:admin_or_network_owner or rule:shared");
      r.put(verb + "port_security_enabled", "rule:admin_or_network_owner");
      r.put(verb + "binding:host_id", ADMIN);
      r.put(verb + "binding:profile", ADMIN);
      r.put(verb + "binding:vnic_type", MEMBER);
      r.put(verb + "allowed_address_pairs", "rule:admin_or_network_owner");
      r.put(verb + "allowed_address_pairs:ip_address", "rule:admin_or_network_owner");
      r.put(verb + "allowed_address_pairs:mac_address", "rule:admin_or_network_owner");
    }
    r.put("create_port:mac_address", "rule:admin_or_network_owner");
    r.put("update_port:mac_address", ADMIN);
    for (String attr : new String[] {"vif_type", "vif_details", "host_id", "profile"}) {
      r.put("get_port:binding:" + attr, ADMIN);
    }
  }

  /** Neutron's router rules: a project's own; SNAT and a gateway's addresses are the admin's to pick. */
  private static void routers(Map<String, String> r) {
    for (String verb : new String[] {"create_router", "update_router", "delete_router", "add_router_interface",
        "remove_router_interface", "add_extraroutes", "remove_extraroutes"}) {
      r.put(verb, MEMBER);
    }
    r.put("get_router", READER);
    for (String verb : new String[] {"create_floatingip", "update_floatingip", "delete_floatingip"}) {
      r.put(verb, MEMBER);
    }
    r.put("get_floatingip", READER);
    r.put("create_floatingip:floating_ip_address", ADMIN);
    for (String verb : new String[] {"create_router", "update_router"}) {
      r.put(verb + ":external_gateway_info:enable_snat", ADMIN);
      r.put(verb + ":external_gateway_info:external_fixed_ips", ADMIN);
    }
  }

  /** Keystone's names; its targets are as Keystone's ({@code target.user.id}, ...). */
  private static void identity(Map<String, String> r) {
    for (String kind : new String[] {"domain", "project", "user", "role", "region", "service", "endpoint"}) {
      for (String verb : new String[] {"create_", "update_", "delete_"}) r.put("identity:" + verb + kind, ADMIN);
    }
    r.put("identity:list_domains", ADMIN);
    r.put("identity:get_domain", ADMIN);
    r.put("identity:list_projects", ADMIN); // every project; a user lists its own at /auth/projects
    r.put("identity:get_project", ADMIN); // any project; a user always sees its own
    r.put("identity:list_user_projects", "rule:admin_api or user_id:%(target.user.id)s");
    r.put("identity:list_users", ADMIN);
    // regions are no secret (Keystone lets anyone read them); services and endpoints are the admin's
    r.put("identity:list_regions", "@");
    r.put("identity:get_region", "@");
    for (String kind : new String[] {"service", "endpoint"}) {
      r.put("identity:list_" + kind + "s", ADMIN);
      r.put("identity:get_" + kind, ADMIN);
    }
    r.put("identity:get_user", "rule:admin_api or user_id:%(target.user.id)s");
    for (String grant : new String[] {"list_grants", "check_grant", "create_grant", "revoke_grant"}) {
      r.put("identity:" + grant, ADMIN);
    }
    for (String g : new String[] {"create_group", "update_group", "delete_group", "list_groups", "get_group",
        "list_users_in_group", "add_user_to_group", "check_user_in_group", "remove_user_from_group"}) {
      r.put("identity:" + g, ADMIN);
    }
    r.put("identity:list_groups_for_user", "rule:admin_api or user_id:%(target.user.id)s");
    r.put("identity:list_role_assignments", "rule:admin_api or user_id:%(user.id)s");
    r.put("identity:validate_token", "rule:admin_api or rule:token_subject");
    r.put("identity:revoke_token", "rule:admin_api or rule:token_subject");
  }
}
