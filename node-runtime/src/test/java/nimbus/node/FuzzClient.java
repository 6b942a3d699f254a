package nimbus.node;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Sends generated requests over real HTTP and judges each answer: never a 5xx, never longer
 * than {@link #TIMEOUT} (a hang), and every error in the error format of the service asked.
 */
final class FuzzClient {
  static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final int EARLY_RESPONSE_BODY = 16 * 1024;
  /** The nimbus.api.max-body-bytes ApiFuzzTest gives its node. */
  private static final int MAX_BODY_BYTES = 64 * 1024;
  /** A Java or Scala stack frame, or an exception's class name: internals a client must not see. */
  private static final Pattern INTERNALS = Pattern.compile(
      "\\sat [\\w$.]+\\(|\\b(?:java|javax|scala|org\\.apache|com\\.fasterxml|nimbus)\\.[\\w.$]*(?:Exception|Error)\\b");
  /** Nova's name for each error status (nova/api/openstack/wsgi.py), as NovaErrors answers them. */
  private static final Map<Integer, String> NOVA_NAMES = Map.ofEntries(
      Map.entry(400, "badRequest"), Map.entry(401, "unauthorized"), Map.entry(403, "forbidden"),
      Map.entry(404, "itemNotFound"), Map.entry(405, "badMethod"), Map.entry(406, "notAcceptable"),
      Map.entry(409, "conflictingRequest"), Map.entry(413, "overLimit"), Map.entry(415, "badMediaType"),
      Map.entry(429, "overLimit"));

  record Answer(int status, String contentType, String body) {}

  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private final String base;
  private final FuzzTargets targets;

  FuzzClient(String base, FuzzTargets targets) {
    this.base = base;
    this.targets = targets;
  }

  /** Sends {@code request} and fails unless the answer is one a client may get; null if excluded. */
  Answer exchange(FuzzRequest request) {
    Answer answer = send(request);
    if (answer == null) return null;
    String problem = problem(request, answer);
    if (problem != null) {
      throw new AssertionError(problem + "\n  request: " + request + "\n  answer: " + answer.status() + " "
          + answer.contentType() + " " + abbreviate(answer.body()));
    }
    return answer;
  }

  private Answer send(FuzzRequest request) {
    byte[] body = request.resolvedBody(targets);
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + targets.resolve(request.path())))
        .timeout(TIMEOUT)
        .method(request.method(), body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    switch (request.caller()) {
      case FUZZER -> b.header("X-Auth-Token", targets.fuzzer.token());
      case ADMIN -> b.header("X-Auth-Token", targets.admin.token());
      case NOBODY -> { }
    }
    request.headers().forEach((name, value) -> b.header(name, targets.resolve(value)));
    try {
      HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
      return new Answer(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""),
          new String(r.body(), StandardCharsets.UTF_8));
    } catch (HttpTimeoutException e) {
      throw new AssertionError("no answer within " + TIMEOUT + " (a hang)\n  request: " + request, e);
    } catch (IOException e) {
      // refused before its body is read (a body over nimbus.api.max-body-bytes, or an image file
      // upload, which streams, refused with 401, 404 or 409), the connection closes behind the
      // answer and a client still sending may lose it: reading such a body only to refuse it
      // would cost what the limit is there to save (clients use Expect: 100-continue)
      boolean upload = request.method().equals("PUT") && request.path().endsWith("/file");
      if (body != null && (body.length > MAX_BODY_BYTES || upload && body.length > EARLY_RESPONSE_BODY)) return null;
      throw new AssertionError("request failed: " + e + "\n  request: " + request, e);
    } catch (Exception e) {
      throw new AssertionError("request failed: " + e + "\n  request: " + request, e);
    }
  }

  /** What is wrong with an answer, or null if nothing is. */
  private static String problem(FuzzRequest request, Answer answer) {
    int status = answer.status();
    if (status >= 500) return "a server error";
    if (status < 400 || request.method().equals("HEAD")) return null;
    JsonNode body;
    try {
      body = Api.JSON.readTree(answer.body());
    } catch (Exception e) {
      return "an error body that is not JSON";
    }
    if (!answer.contentType().startsWith("application/json")) return "an error body not typed application/json";
    if (INTERNALS.matcher(answer.body()).find()) return "an error body that shows the service's internals";
    // keystonemiddleware answers other services' 401s in Keystone's format; so does the API a
    // request too malformed to route (URI or headers too long), whose service is not known
    boolean keystone = request.service() == FuzzRequest.Service.IDENTITY || status == 401 || status == 414 || status == 431;
    return keystone ? keystoneError(body, status) : switch (request.service()) {
      case IMAGE -> glanceError(body, status);
      case NETWORK -> neutronError(body);
      default -> novaError(body, status);
    };
  }

  /** {@code {"NeutronError": {"type": "NetworkNotFound", "message": "...", "detail": ""}}} */
  private static String neutronError(JsonNode body) {
    JsonNode e = body.path("NeutronError");
    if (body.size() != 1 || !e.isObject()) return "not Neutron's error format";
    if (!e.path("type").asText().matches("[A-Z][A-Za-z0-9]+")) return "an error without Neutron's type";
    if (!e.path("message").isTextual() || e.path("message").asText().isBlank()) return "an error without a message";
    if (!e.path("detail").isTextual()) return "an error without a detail";
    return null;
  }

  /** {@code {"error": {"code": 404, "title": "Not Found", "message": "..."}}} */
  private static String keystoneError(JsonNode body, int status) {
    JsonNode e = body.path("error");
    if (body.size() != 1 || !e.isObject()) return "not Keystone's error format";
    return detail(e, status, true);
  }

  /** {@code {"code": 404, "title": "Not Found", "message": "..."}} */
  private static String glanceError(JsonNode body, int status) {
    if (!body.isObject()) return "not Glance's error format";
    return detail(body, status, true);
  }

  /** {@code {"itemNotFound": {"code": 404, "message": "..."}}} */
  private static String novaError(JsonNode body, int status) {
    String name = NOVA_NAMES.get(status);
    if (name == null) return "a status Nova has no error name for";
    JsonNode e = body.path(name);
    if (body.size() != 1 || !e.isObject()) return "not Nova's error format (expected \"" + name + "\")";
    return detail(e, status, false);
  }

  private static String detail(JsonNode e, int status, boolean titled) {
    if (e.path("code").asInt() != status || !e.path("code").isInt()) return "an error code that is not the status";
    if (!e.path("message").isTextual() || e.path("message").asText().isBlank()) return "an error without a message";
    if (titled && !e.path("title").isTextual()) return "an error without a title";
    return null;
  }

  private static String abbreviate(String s) {
    return s.length() > 600 ? s.substring(0, 600) + "..." : s;
  }
}
