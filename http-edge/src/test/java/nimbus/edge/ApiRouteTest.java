package nimbus.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.UUID;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.testkit.TestRoute;
import org.apache.pekko.http.javadsl.testkit.TestRouteResult;

/**
 * Base of the route tests: the API's routes with the default policy on the shared test node,
 * callers of a project of the test's own (a member, a reader), one of another project, and the
 * cloud's admin.
 */
abstract class ApiRouteTest extends JUnit5RouteTest {
  protected final EdgeCloud cloud = EdgeCloud.get();
  protected final TestRoute api = testRoute(cloud.api(Policy.defaults()));
  protected final String project = "p-" + UUID.randomUUID().toString().substring(0, 8);
  protected final String otherProject = "p-" + UUID.randomUUID().toString().substring(0, 8);
  protected final String member = cloud.token(project, "member-of-" + project, "member");
  protected final String reader = cloud.token(project, "reader-of-" + project, "reader");
  protected final String stranger = cloud.token(otherProject, "member-of-" + otherProject, "member");
  protected final String admin = cloud.adminToken();

  @Override
  protected org.apache.pekko.actor.ActorSystem classicSystem() {
    return cloud.classic();
  }

  protected static HttpRequest get(String uri, String token) {
    return HttpRequest.GET(uri).addHeader(RawHeader.create("X-Auth-Token", token));
  }

  protected static HttpRequest delete(String uri, String token) {
    return HttpRequest.DELETE(uri).addHeader(RawHeader.create("X-Auth-Token", token));
  }

  protected static HttpRequest post(String uri, String token, String json) {
    return send(HttpRequest.POST(uri), token, json);
  }

  protected static HttpRequest put(String uri, String token, String json) {
    return send(HttpRequest.PUT(uri), token, json);
  }

  protected static HttpRequest patch(String uri, String token, String json, String contentType) {
    return HttpRequest.create(uri).withMethod(HttpMethods.PATCH).addHeader(RawHeader.create("X-Auth-Token", token))
        .withEntity(ContentTypes.parse(contentType), org.apache.pekko.util.ByteString.fromString(json));
  }

  private static HttpRequest send(HttpRequest request, String token, String json) {
    return request.addHeader(RawHeader.create("X-Auth-Token", token)).withEntity(ContentTypes.APPLICATION_JSON, json);
  }

  /** The response's JSON body, after checking its status. */
  protected static JsonNode json(TestRouteResult result, int status) {
    assertEquals(status, result.statusCode(), result.entityString());
    try {
      return Json.MAPPER.readTree(result.entityString());
    } catch (java.io.IOException e) {
      throw new AssertionError("not JSON: " + result.entityString(), e);
    }
  }

  /** Nova's error body: {@code {"<name>": {"code": status, "message": ...}}}; answers the message. */
  protected static String novaError(TestRouteResult result, int status, String name) {
    JsonNode error = json(result, status).path(name);
    assertEquals(status, error.path("code").asInt(), result.entityString());
    return error.path("message").asText();
  }

  /** Glance's error body: {@code {"code": status, "title": ..., "message": ...}}; answers the message. */
  protected static String glanceError(TestRouteResult result, int status) {
    JsonNode body = json(result, status);
    assertEquals(status, body.path("code").asInt(), result.entityString());
    assertEquals(false, body.path("title").asText().isEmpty(), result.entityString());
    return body.path("message").asText();
  }

  /** Keystone's error body: {@code {"error": {"code": status, "title": ..., "message": ...}}}; answers the message. */
  protected static String keystoneError(TestRouteResult result, int status) {
    JsonNode error = json(result, status).path("error");
    assertEquals(status, error.path("code").asInt(), result.entityString());
    return error.path("message").asText();
  }
}
