package nimbus.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.junit.jupiter.api.Test;

/** Version discovery (no token needed), the compute microversion header, and the 401 of a missing token. */
class VersionsRouteTest extends ApiRouteTest {

  @Test
  void versionsAreDiscoveredWithoutAToken() {
    JsonNode all = json(api.run(HttpRequest.GET("/compute")), 200);
    assertTrue(all.path("versions").isArray() && all.path("versions").size() > 0, all.toString());
    assertEquals(all, json(api.run(HttpRequest.GET("/compute/")), 200), "Nova answers its root 200, with or without /");
    assertEquals("v2.1", json(api.run(HttpRequest.GET("/compute/v2.1")), 200).path("version").path("id").asText());
    assertEquals("v2.0", all.path("versions").path(0).path("id").asText(), "Nova lists v2.0 first");
    assertEquals("v2.0", json(api.run(HttpRequest.GET("/compute/v2/")), 200).path("version").path("id").asText());
    assertEquals(300, api.run(HttpRequest.GET("/identity")).statusCode());
    assertEquals("ok", json(api.run(HttpRequest.GET("/healthz")), 200).path("status").asText());
  }

  @Test
  void theLegacyV2ApiIsServedWithoutMicroversions() {
    var legacy = api.run(get("/compute/v2/flavors", member));
    assertEquals(json(api.run(get("/compute/v2.1/flavors", member)), 200), json(legacy, 200));
    assertTrue(legacy.response().getHeader("OpenStack-API-Version").isEmpty(), "v2.0 negotiates nothing");
    assertTrue(legacy.response().getHeader("x-compute-request-id").isPresent());
    keystoneError(api.run(HttpRequest.GET("/compute/v2/servers")), 401);
  }

  @Test
  void aRequestWithoutATokenIsRefusedInKeystonesFormat() {
    keystoneError(api.run(HttpRequest.GET("/compute/v2.1/servers")), 401);
    keystoneError(api.run(get("/compute/v2.1/servers", "not-a-token")), 401);
  }

  @Test
  void aMalformedOrUnknownMicroversionIsRefusedInNovasFormat() {
    assertEquals("Invalid API version request: two",
        novaError(api.run(get("/compute/v2.1/servers", member)
            .addHeader(RawHeader.create("OpenStack-API-Version", "compute two"))), 400, "badRequest"));
    novaError(api.run(get("/compute/v2.1/servers", member)
        .addHeader(RawHeader.create("X-OpenStack-Nova-API-Version", "2.9999"))), 406, "notAcceptable");
  }

  @Test
  void theAnswerNamesTheNegotiatedVersion() {
    var latest = api.run(get("/compute/v2.1/servers", member)
        .addHeader(RawHeader.create("OpenStack-API-Version", "compute latest")));
    assertEquals("compute " + ComputeVersions.MAX, latest.response().getHeader("OpenStack-API-Version").get().value());
    var none = api.run(get("/compute/v2.1/servers", member));
    assertEquals(ComputeVersions.MIN, none.response().getHeader("X-OpenStack-Nova-API-Version").get().value());
  }

  /** The version document declares what the routes implement: 2.26 (server tags) at most. */
  @Test
  void theVersionDocumentDeclaresTwoTwentySix() {
    JsonNode v = json(api.run(HttpRequest.GET("/compute/v2.1")), 200).path("version");
    assertEquals("2.26", v.path("version").asText(), v.toString());
    assertEquals("2.1", v.path("min_version").asText());
    novaError(api.run(get("/compute/v2.1/servers", member)
        .addHeader(org.apache.pekko.http.javadsl.model.headers.RawHeader.create("OpenStack-API-Version", "compute 2.27"))),
        406, "notAcceptable");
  }
}
