package nimbus.edge;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * JSON in and out of the API. Responses are records (views named as each service names its
 * fields) that Jackson writes; {@code Optional} fields marked to be left out when empty are.
 */
public final class Json {
  public static final ObjectMapper MAPPER = new ObjectMapper().registerModule(new Jdk8Module())
      // a number like 1e400 stays exact instead of becoming Infinity, which validators choke on
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

  private Json() {}

  /** Parses a request body; anything but a JSON object is a 400. */
  public static JsonNode parseObject(String body) {
    JsonNode node;
    try {
      node = MAPPER.readTree(body);
    } catch (JsonProcessingException e) {
      throw ApiError.badRequest("Malformed request body: " + e.getOriginalMessage());
    }
    if (node == null || !node.isObject()) {
      throw ApiError.badRequest("Malformed request body: a JSON object is required");
    }
    requireStorable(node);
    return node;
  }

  /**
   * Refuses strings (values and names) the service cannot keep: a NUL, which no OpenStack API
   * has a use for and the read side's PostgreSQL cannot store (a stored one would stop a
   * projection for good); and a lone UTF-16 surrogate (a JSON escape such as "\ud800" that is
   * no character), which the journal's CBOR cannot write: the entity's event would be rejected
   * and the request answered 503 only when its ask timed out.
   */
  static void requireStorable(JsonNode node) {
    java.util.ArrayDeque<JsonNode> todo = new java.util.ArrayDeque<>(java.util.List.of(node));
    while (!todo.isEmpty()) {
      JsonNode n = todo.pop();
      if (n.isTextual()) requireStorable(n.asText(), "string");
      n.fieldNames().forEachRemaining(name -> requireStorable(name, "name"));
      n.elements().forEachRemaining(todo::push);
    }
  }

  private static void requireStorable(String s, String what) {
    if (s.indexOf('\0') >= 0) throw ApiError.badRequest("Invalid input: a " + what + " holds a NUL character");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++; // a pair: one character beyond the Basic Multilingual Plane
      } else if (Character.isSurrogate(c)) {
        throw ApiError.badRequest("Invalid input: a " + what + " holds a lone surrogate (\\u"
            + Integer.toHexString(c) + "), which is no Unicode character");
      }
    }
  }

  /** A response with {@code body} (a record, a map of records, or a tree) as JSON. */
  public static HttpResponse response(int status, Object body) {
    try {
      return HttpResponse.create().withStatus(status)
          .withEntity(ContentTypes.APPLICATION_JSON, MAPPER.writeValueAsBytes(body));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write JSON", e);
    }
  }
}
