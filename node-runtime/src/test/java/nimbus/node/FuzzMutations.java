package nimbus.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * A valid JSON body with a few of its values made wrong: a value replaced by one of another
 * type or an odd one, a member removed, an unknown member added. Such bodies get past the
 * parser into the routes' own checks, where a malformed one would stop at the parser.
 */
final class FuzzMutations {
  private FuzzMutations() {}

  enum Kind { REPLACE, REMOVE, ADD }

  /** One change: {@code where} picks the slot (modulo their number) in document order. */
  record Mutation(Kind kind, int where, String name, String value) {}

  static Arbitrary<String> of(String template, List<String> ids) {
    Arbitrary<Mutation> mutation = Combinators.combine(
        Arbitraries.of(Kind.class), Arbitraries.integers().between(0, 1000),
        FuzzValues.strings().filter(s -> s.length() < 300), FuzzValues.jsonValues(ids)).as(Mutation::new);
    return mutation.list().ofMinSize(1).ofMaxSize(3).map(ms -> apply(template, ms));
  }

  static String apply(String template, List<Mutation> mutations) {
    JsonNode doc;
    try {
      doc = Api.JSON.readTree(template);
    } catch (Exception e) {
      throw new IllegalArgumentException("template is not JSON: " + template, e);
    }
    for (Mutation m : mutations) {
      List<Slot> slots = new ArrayList<>();
      collect(doc, slots);
      if (slots.isEmpty()) break;
      Slot slot = slots.get(m.where() % slots.size());
      switch (m.kind()) {
        case REPLACE -> slot.set(new Raw(m.value()));
        case REMOVE -> slot.remove();
        case ADD -> {
          // into the container the slot is in
          if (slot.parent() instanceof ObjectNode o) o.putPOJO(m.name(), new Raw(m.value()));
          if (slot.parent() instanceof ArrayNode a) a.addPOJO(new Raw(m.value()));
        }
      }
    }
    return write(doc);
  }

  /** A value as JSON text, put in the tree as it is (it may be no valid JSON for Jackson to hold). */
  record Raw(String json) {}

  /** A place in the document: a member of an object or an element of an array. */
  record Slot(JsonNode parent, String field, int index) {
    void set(Raw value) {
      if (parent instanceof ObjectNode o) o.putPOJO(field, value);
      else ((ArrayNode) parent).set(index, ((ArrayNode) parent).pojoNode(value));
    }

    void remove() {
      if (parent instanceof ObjectNode o) o.remove(field);
      else ((ArrayNode) parent).remove(index);
    }
  }

  private static void collect(JsonNode node, List<Slot> slots) {
    if (node instanceof ObjectNode o) {
      for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        slots.add(new Slot(o, e.getKey(), -1));
        collect(e.getValue(), slots);
      }
    } else if (node instanceof ArrayNode a) {
      for (int i = 0; i < a.size(); i++) {
        slots.add(new Slot(a, null, i));
        collect(a.get(i), slots);
      }
    }
  }

  /** Writes the tree with our own quoting (Jackson would not write a lone surrogate as one). */
  private static String write(JsonNode node) {
    if (node.isPojo()) return ((Raw) ((com.fasterxml.jackson.databind.node.POJONode) node).getPojo()).json();
    if (node.isTextual()) return FuzzValues.quote(node.asText());
    StringBuilder out = new StringBuilder();
    if (node instanceof ObjectNode o) {
      out.append('{');
      o.fields().forEachRemaining(e -> {
        if (out.length() > 1) out.append(", ");
        out.append(FuzzValues.quote(e.getKey())).append(": ").append(write(e.getValue()));
      });
      return out.append('}').toString();
    }
    if (node instanceof ArrayNode a) {
      out.append('[');
      for (int i = 0; i < a.size(); i++) out.append(i > 0 ? ", " : "").append(write(a.get(i)));
      return out.append(']').toString();
    }
    return node.toString();
  }
}
