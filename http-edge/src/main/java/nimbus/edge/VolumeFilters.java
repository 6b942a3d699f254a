package nimbus.edge;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import nimbus.storage.Volume;

/**
 * What Cinder's microversions change in volume lists and views: 3.2's {@code bootable} filter
 * (before it, only {@code false}/{@code False} means not bootable), 3.4's {@code glance_metadata}
 * filter, 3.10's {@code group_id} filter (no volume is in a group here, so it keeps none), 3.12's
 * summary with 3.36's metadata, 3.21's {@code provider_id} in the volume view.
 */
final class VolumeFilters {
  static final String BOOTABLE = "3.2";
  static final String GLANCE_METADATA = "3.4";
  static final String GROUP = "3.10";
  static final String SUMMARY = "3.12";
  static final String PROVIDER_ID = "3.21";
  static final String SUMMARY_METADATA = "3.36";

  private VolumeFilters() {}

  /** The filters of the query at {@code version}; a bad one is a 400, as Cinder's. */
  static Predicate<Volume> of(Map<String, String> q, Microversion version) {
    Predicate<Volume> kept = v -> true;
    String bootable = q.get("bootable");
    if (bootable != null) {
      boolean wanted = bootable(bootable, version);
      kept = kept.and(v -> v.bootable() == wanted);
    }
    String glance = q.get("glance_metadata");
    if (glance != null && version.atLeast(GLANCE_METADATA)) {
      Map<String, String> wanted = glanceMetadata(glance);
      kept = kept.and(v -> v.image().isPresent()
          && VolumeRoutes.imageMetadata(v.image().get()).entrySet().containsAll(wanted.entrySet()));
    }
    if (q.containsKey("group_id") && version.atLeast(GROUP)) kept = v -> false;
    return kept;
  }

  private static boolean bootable(String value, Microversion version) {
    if (!version.atLeast(BOOTABLE)) return !value.equals("false") && !value.equals("False");
    String v = value.toLowerCase(Locale.ROOT);
    if (List.of("t", "true", "1").contains(v)) return true;
    if (List.of("f", "false", "0").contains(v)) return false;
    throw ApiError.badRequest("Invalid input received: bootable={" + value + "}");
  }

  /** A JSON object of strings (Cinder reads the filter as a literal dict). */
  private static Map<String, String> glanceMetadata(String text) {
    JsonNode node;
    try {
      node = Json.parseObject(text);
    } catch (RuntimeException e) {
      throw ApiError.badRequest("Invalid input received: glance_metadata must be a JSON object of strings.");
    }
    Map<String, String> m = new LinkedHashMap<>();
    for (var fields = node.fields(); fields.hasNext(); ) {
      var e = fields.next();
      if (!e.getValue().isValueNode()) {
        throw ApiError.badRequest("Invalid input received: glance_metadata must be a JSON object of strings.");
      }
      m.put(e.getKey(), e.getValue().asText());
    }
    return m;
  }

  /** A volume's view at {@code version}. */
  static Map<String, Object> shown(Map<String, Object> view, Microversion version) {
    // Cinder's provider_id is its driver's name for the volume; the file's name is the volume's id here
    if (version.atLeast(PROVIDER_ID)) view.put("provider_id", null);
    return view;
  }

  static Map<String, Object> summary(List<Volume> volumes, Microversion version) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("total_size", volumes.stream().mapToLong(Volume::size).sum());
    m.put("total_count", volumes.size());
    if (version.atLeast(SUMMARY_METADATA)) {
      Map<String, TreeSet<String>> values = new TreeMap<>();
      for (Volume v : volumes) {
        v.metadata().forEach((k, val) -> values.computeIfAbsent(k, x -> new TreeSet<>()).add(val));
      }
      Map<String, List<String>> metadata = new LinkedHashMap<>();
      values.forEach((k, vs) -> metadata.put(k, new ArrayList<>(vs)));
      m.put("metadata", metadata);
    }
    return m;
  }
}
