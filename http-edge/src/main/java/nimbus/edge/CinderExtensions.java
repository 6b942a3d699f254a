package nimbus.edge;

import java.util.List;
import java.util.Map;

/** The Cinder API extensions this block storage API implements, as Cinder's {@code /extensions} lists them. */
final class CinderExtensions {
  private CinderExtensions() {}

  static final List<Map<String, Object>> ALL = List.of(
      of("os-admin-actions", "AdminActions", "Enable admin actions.", "2012-08-25T00:00:00+00:00"),
      of("os-availability-zone", "AvailabilityZones", "Describe Availability Zones.", "2013-06-27T00:00:00+00:00"),
      of("os-extended-snapshot-attributes", "ExtendedSnapshotAttributes", "Extended SnapshotAttributes support.",
          "2012-06-19T00:00:00+00:00"),
      of("os-quota-sets", "Quotas", "Quota management support.", "2011-08-08T00:00:00+00:00"),
      of("os-types-extra-specs", "TypesExtraSpecs", "Type extra specs support.", "2011-08-24T00:00:00+00:00"),
      of("os-types-manage", "TypesManage", "Types manage support.", "2011-08-24T00:00:00+00:00"),
      of("os-used-limits", "UsedLimits", "Provide data on limited resources that are being used.",
          "2013-10-03T00:00:00+00:00"),
      of("os-vol-tenant-attr", "VolumeTenantAttribute", "Expose the internal project_id as an attribute of a volume.",
          "2011-11-03T00:00:00+00:00"),
      of("os-volume-actions", "VolumeActions", "Enable volume actions.", "2012-05-31T00:00:00+00:00"),
      of("os-volume-type-access", "VolumeTypeAccess", "Volume type access support.", "2014-06-26T00:00:00Z"));

  private static Map<String, Object> of(String alias, String name, String description, String updated) {
    return Map.of("alias", alias, "name", name, "description", description, "updated", updated, "links", List.of());
  }
}
