package nimbus.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.path.NodePath;
import java.util.List;

/**
 * The JSON Schema (draft 2020-12) a request body must match: {@code schemas/<name>.json} of this
 * module's resources, ported from the schemas Nova, Keystone and Glance publish for the same
 * request. A route class declares its schemas in static fields, so each is read once, when the
 * routes are built, and a missing or broken file stops the start. The first violation is a 400
 * worded as Nova words it: "Invalid input for field/attribute name. Value: 5. string expected".
 */
public final class RequestSchema {
  private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(
      SpecificationVersion.DRAFT_2020_12, registry -> registry.schemaRegistryConfig(SchemaRegistryConfig.builder()
          // 2020-12 treats "format" as a note unless told otherwise; Nova's formats are checks
          .formatAssertionsEnabled(true)
          // a schema may word a keyword's failure itself (a pattern's message would be the regex)
          .errorMessageKeyword("errorMessage")
          .build()));
  /** An echoed value is the offending scalar, cut short: an error never repeats a whole body. */
  private static final int MAX_ECHO = 64;

  private final String name;
  private final Schema schema;

  private RequestSchema(String name, Schema schema) {
    this.name = name;
    this.schema = schema;
  }

  /** Loads {@code schemas/<name>.json} and whatever it refers to; fails if any is missing or invalid. */
  public static RequestSchema named(String name) {
    Schema schema = REGISTRY.getSchema(SchemaLocation.of("classpath:schemas/" + name + ".json"));
    schema.initializeValidators(); // resolves every $ref now, not on the first request
    return new RequestSchema(name, schema);
  }

  public String name() {
    return name;
  }

  /** Answers {@code body}, or throws a 400 {@link ApiError} naming its first violation. */
  public JsonNode validate(JsonNode body) {
    List<Error> errors = schema.validate(body);
    if (!errors.isEmpty()) throw ApiError.badRequest(message(errors.get(0)));
    return body;
  }

  /**
   * Answers {@code body}, or throws Neutron's 400 for its first violation: "Invalid input for
   * cidr. Reason: ..." (neutron-lib's validators word their failures so).
   */
  public JsonNode validateAsNeutron(JsonNode body) {
    List<Error> errors = schema.validate(body);
    if (errors.isEmpty()) return body;
    Error error = errors.get(0);
    String field = field(error.getInstanceLocation());
    JsonNode value = error.getInstanceNode();
    String echo = value == null || value.isContainerNode() ? "" : "'" + shortened(value.isTextual() ? value.asText()
        : value.toString()) + "' is not valid: ";
    throw NeutronErrors.badRequest(field.isEmpty() ? "Invalid input: " + error.getMessage()
        : "Invalid input for " + field + ". Reason: " + echo + error.getMessage() + ".");
  }

  static String message(Error error) {
    String field = field(error.getInstanceLocation());
    if (field.isEmpty()) return "Invalid input: " + error.getMessage();
    JsonNode value = error.getInstanceNode();
    String echo = value == null || value.isContainerNode() ? "" : " Value: " + shortened(value.toString()) + ".";
    return "Invalid input for field/attribute " + field + "." + echo + " " + error.getMessage();
  }

  /** The innermost property name on the path (an array's index names no field). */
  private static String field(NodePath path) {
    for (int i = path.getNameCount() - 1; i >= 0; i--) {
      if (path.getElement(i) instanceof String s) return s;
    }
    return "";
  }

  private static String shortened(String text) {
    return text.length() <= MAX_ECHO ? text : text.substring(0, MAX_ECHO) + "...";
  }
}
