package nimbus.edge;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.headers.EntityTag;

/**
 * The dashboard's files, read once from the jar's {@code dashboard/} resources: only the files
 * named here are served, each with its content type and an entity tag of its bytes (browsers
 * revalidate and get 304 while the node's jar is the same).
 */
final class DashboardFiles {
  static final List<String> NAMES = List.of("index.html", "style.css", "dom.js", "api.js", "app.js",
      "login.js", "instances.js", "launch.js", "server.js", "live.js", "overview.js", "images.js", "networks.js",
      "routers.js", "securitygroups.js", "keypairs.js", "topology.js", "volumes.js", "snapshots.js", "servergroups.js",
      "adminhypervisors.js", "admininstances.js", "adminflavors.js", "adminidentity.js", "adminquotas.js");

  /** One file: its bytes, content type and entity tag. */
  record File(byte[] bytes, ContentType type, EntityTag tag) {
    org.apache.pekko.http.javadsl.model.ResponseEntity entity() {
      return HttpEntities.create(type, bytes);
    }
  }

  private final Map<String, File> files = new LinkedHashMap<>();

  DashboardFiles() {
    for (String name : NAMES) files.put(name, load(name));
  }

  Optional<File> file(String name) {
    return Optional.ofNullable(files.get(name));
  }

  private static File load(String name) {
    try (InputStream in = DashboardFiles.class.getResourceAsStream("/dashboard/" + name)) {
      if (in == null) throw new IllegalStateException("The dashboard's file " + name + " is missing from the jar.");
      byte[] bytes = in.readAllBytes();
      return new File(bytes, typeOf(name), EntityTag.create(digest(bytes), false));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static ContentType typeOf(String name) {
    if (name.endsWith(".html")) return ContentTypes.TEXT_HTML_UTF8;
    if (name.endsWith(".css")) return MediaTypes.TEXT_CSS.toContentType(HttpCharsets.UTF_8);
    return MediaTypes.APPLICATION_JAVASCRIPT.toContentType(HttpCharsets.UTF_8);
  }

  private static String digest(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes), 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
