package nimbus.edge;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/** JSON in and out of the API. */
public final class Json {
  public static final ObjectMapper MAPPER = new ObjectMapper();

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
    requireNoNul(node);
    return node;
  }

  /**
   * Refuses a NUL anywhere in a request's strings: no OpenStack API has a use for one, and the
   * read side's PostgreSQL cannot store it (a stored one would stop a projection for good).
   */
  static void requireNoNul(JsonNode node) {
    java.util.ArrayDeque<JsonNode> todo = new java.util.ArrayDeque<>(java.util.List.of(node));
    while (!todo.isEmpty()) {
      JsonNode n = todo.pop();
      if (n.isTextual() && n.asText().indexOf('\0') >= 0) throw ApiError.badRequest("Invalid input: a string holds a NUL character");
      n.fieldNames().forEachRemaining(name -> {
        if (name.indexOf('\0') >= 0) throw ApiError.badRequest("Invalid input: a name holds a NUL character");
      });
      n.elements().forEachRemaining(todo::push);
    }
  }

  public static HttpResponse response(int status, JsonNode body) {
    try {
      return HttpResponse.create().withStatus(status)
          .withEntity(ContentTypes.APPLICATION_JSON, MAPPER.writeValueAsBytes(body));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write JSON", e);
    }
  }
}
