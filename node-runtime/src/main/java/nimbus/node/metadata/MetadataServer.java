package nimbus.node.metadata;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;
import nimbus.node.dataplane.MetadataProxy;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The agent's metadata server: OpenStack's and EC2's documents ({@link MetadataDocuments}) of the
 * guest that asks. It listens on the host's loopback only, behind the proxy
 * ({@link MetadataProxy}), which alone says which network a request came from and from which
 * address; the guest on this host whose port on that network has that address is the one whose
 * documents are served. A request the proxy did not describe, or from an address no guest here
 * holds, gets 404: nothing tells one guest about another.
 */
public final class MetadataServer {
  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(5);
  private static final Pattern ID = Pattern.compile("[0-9a-fA-F-]{36}");
  private static final Pattern ADDRESS = Pattern.compile("[0-9a-fA-F:.]{2,45}");

  private MetadataServer() {}

  /** Listens on {@code 127.0.0.1:port} (0: any free port; the binding says which). */
  public static CompletionStage<ServerBinding> bind(ActorSystem<?> system, ActorRef<LocalGuests.Command> guests, int port) {
    return Http.get(system).newServerAt("127.0.0.1", port).bind(route(system, guests));
  }

  static Route route(ActorSystem<?> system, ActorRef<LocalGuests.Command> guests) {
    return Directives.get(() -> Directives.extractRequest(request -> {
      Optional<String> network = header(request, MetadataProxy.NETWORK_HEADER).filter(n -> ID.matcher(n).matches());
      Optional<String> address = header(request, MetadataProxy.ADDRESS_HEADER).filter(a -> ADDRESS.matcher(a).matches());
      if (network.isEmpty() || address.isEmpty()) return notFound();
      String path = request.getUri().path();
      CompletionStage<Optional<LocalGuests.Guest>> found = AskPattern.ask(guests,
          replyTo -> new LocalGuests.Find(network.get(), address.get(), replyTo), ASK_TIMEOUT, system.scheduler());
      return Directives.onSuccess(found, guest -> guest
          .flatMap(g -> MetadataDocuments.of(g.instance(), g.nics()).at(path))
          .map(doc -> Directives.complete(HttpResponse.create().withEntity(contentType(doc.contentType()), doc.bytes())))
          .orElseGet(MetadataServer::notFound));
    }));
  }

  /** One value of the header, as the proxy sets it; several (a list) are not the proxy's. */
  private static Optional<String> header(HttpRequest request, String name) {
    return request.getHeader(name).map(HttpHeader::value).map(String::strip).filter(v -> !v.contains(","));
  }

  private static Route notFound() {
    return Directives.complete(StatusCodes.NOT_FOUND, "Not Found");
  }

  private static ContentType contentType(String type) {
    return type.equals(MetadataDocuments.JSON) ? ContentTypes.APPLICATION_JSON : ContentTypes.TEXT_PLAIN_UTF8;
  }
}
