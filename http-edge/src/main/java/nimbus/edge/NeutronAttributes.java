package nimbus.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One Neutron resource's attribute map (neutron-lib's RESOURCE_ATTRIBUTE_MAP, with the extensions
 * Nimbus advertises): which attributes a POST may set, which a PUT may change, which lists filter
 * and sort on, and how a filter's text converts. Requests are checked against it before their
 * JSON Schema, in Neutron's order and words.
 */
record NeutronAttributes(String resource, String collection, Map<String, Attribute> attributes) {

  /** How a filter value converts (neutron-lib's converters). */
  enum Kind { STRING, BOOLEAN, INTEGER, OTHER }

  /** {@code required}: no default, so a POST must give it. */
  record Attribute(String name, boolean post, boolean put, boolean required, boolean filter, boolean sort, Kind kind) {}

  static Builder of(String resource, String collection) {
    return new Builder(resource, collection);
  }

  /** Attributes in the order Neutron's map holds them (policy checks name them in this order). */
  List<String> names() {
    return List.copyOf(attributes.keySet());
  }

  /**
   * The objects a POST body holds: {@code {"network": {...}}} or, in bulk, {@code {"networks": [...]}}
   * (each entry bare or wrapped), each checked as a create.
   */
  List<ObjectNode> created(JsonNode body) {
    List<ObjectNode> items = new ArrayList<>();
    if (body.has(collection)) {
      JsonNode all = body.get(collection);
      if (!all.isArray()) throw NeutronErrors.badRequest("Invalid input: " + collection + " must be a list");
      if (all.isEmpty()) throw NeutronErrors.badRequest("Resources required");
      for (JsonNode entry : all) items.add(object(entry.has(resource) ? entry.get(resource) : entry));
    } else if (body.has(resource)) {
      items.add(object(body.get(resource)));
    } else {
      throw NeutronErrors.badRequest("Unable to find '" + resource + "' in request body");
    }
    for (ObjectNode item : items) checkCreate(item);
    return items;
  }

  /** The object a PUT body holds, checked as an update. */
  ObjectNode updated(JsonNode body) {
    if (!body.has(resource)) throw NeutronErrors.badRequest("Unable to find '" + resource + "' in request body");
    ObjectNode item = object(body.get(resource));
    unknown(item);
    item.fieldNames().forEachRemaining(name -> {
      if (!attributes.get(name).put()) throw NeutronErrors.badRequest("Cannot update read-only attribute " + name);
    });
    return item;
  }

  private static ObjectNode object(JsonNode node) {
    if (!(node instanceof ObjectNode o)) throw NeutronErrors.badRequest("Body contains invalid data");
    return o;
  }

  private void checkCreate(ObjectNode item) {
    unknown(item);
    for (Attribute a : attributes.values()) {
      if (item.has(a.name()) && !a.post()) {
        throw NeutronErrors.badRequest("Attribute '" + a.name() + "' not allowed in POST");
      }
    }
    for (Attribute a : attributes.values()) {
      if (a.required() && !item.has(a.name())) {
        throw NeutronErrors.badRequest("Failed to parse request. Required attribute '" + a.name() + "' not specified");
      }
    }
  }

  private void unknown(ObjectNode item) {
    List<String> extra = new ArrayList<>();
    item.fieldNames().forEachRemaining(name -> {
      if (!attributes.containsKey(name)) extra.add(name);
    });
    if (!extra.isEmpty()) throw NeutronErrors.badRequest("Unrecognized attribute(s) '" + String.join(", ", extra) + "'");
  }

  Optional<Attribute> attribute(String name) {
    return Optional.ofNullable(attributes.get(name));
  }

  /** Builds a map in order. */
  static final class Builder {
    private final String resource;
    private final String collection;
    private final Map<String, Attribute> attributes = new LinkedHashMap<>();

    private Builder(String resource, String collection) {
      this.resource = resource;
      this.collection = collection;
    }

    /** {@code flags}: P (post), U (put), R (required), F (filter), S (sort). */
    Builder add(String name, String flags, Kind kind) {
      attributes.put(name, new Attribute(name, flags.contains("P"), flags.contains("U"), flags.contains("R"),
          flags.contains("F"), flags.contains("S"), kind));
      return this;
    }

    /** The attributes every resource with standard attributes has (and project-id's). */
    Builder standard() {
      return add("tenant_id", "PFS", Kind.STRING).add("project_id", "PFS", Kind.STRING)
          .add("description", "PUFS", Kind.STRING).add("tags", "F", Kind.OTHER)
          .add("created_at", "FS", Kind.STRING).add("updated_at", "FS", Kind.STRING)
          .add("revision_number", "FS", Kind.INTEGER);
    }

    NeutronAttributes build() {
      // in order: not Map.copyOf
      return new NeutronAttributes(resource, collection, java.util.Collections.unmodifiableMap(new LinkedHashMap<>(attributes)));
    }
  }
}
