package nimbus.node.agent;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import nimbus.node.storage.StorageAgent;
import nimbus.storage.Image;
import nimbus.storage.ImageEntity;
import nimbus.storage.ImageFileService;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.SourceRef;
import org.apache.pekko.stream.javadsl.FileIO;
import org.apache.pekko.stream.javadsl.StreamConverters;
import org.apache.pekko.stream.javadsl.StreamRefs;
import org.apache.pekko.util.ByteString;

/**
 * A host's way to the image store: it streams image files from the cluster's image file
 * service and streams snapshots into it. Blocking: call it on the blocking dispatcher.
 */
public final class ImageStoreClient implements StorageAgent.ImageSink {
  /** How long a host waits for the image file service to become known (a node that just started). */
  private static final Duration FIND_SERVICE = Duration.ofSeconds(30);

  private final ActorSystem<?> system;
  private final Duration timeout;
  // kept current by a receptionist subscription: a one-off find right after start can come back empty
  private final AtomicReference<Set<ActorRef<ImageFileService.Command>>> services = new AtomicReference<>(Set.of());
  private final CompletableFuture<Void> found = new CompletableFuture<>();

  public ImageStoreClient(ActorSystem<?> system, Duration timeout) {
    this.system = system;
    this.timeout = timeout;
    system.systemActorOf(Behaviors.<Receptionist.Listing>setup(ctx -> {
      ctx.getSystem().receptionist().tell(Receptionist.subscribe(ImageFileService.KEY, ctx.getSelf()));
      return Behaviors.receiveMessage(listing -> {
        Set<ActorRef<ImageFileService.Command>> now = listing.getServiceInstances(ImageFileService.KEY);
        services.set(now);
        if (!now.isEmpty()) found.complete(null);
        return Behaviors.same();
      });
    }), "image-store-client-" + UUID.randomUUID(), Props.empty());
  }

  /** The stored file with this SHA-512, as a stream to read (and close). */
  public InputStream open(String sha512) throws IOException {
    SourceRef<ByteString> source = ask(r -> new ImageFileService.OpenFile(sha512, r), "fetch image file " + sha512);
    return source.getSource().runWith(StreamConverters.asInputStream(timeout), Materializer.matFromSystem(system));
  }

  /** Uploads {@code file} as the data of the queued image {@code imageId}; returns once the image is active. */
  @Override
  public void upload(String imageId, Path file) throws IOException {
    SourceRef<ByteString> data = FileIO.fromPath(file).runWith(StreamRefs.sourceRef(), Materializer.matFromSystem(system));
    this.<Image>ask(r -> new ImageFileService.Upload(imageId, data, r), "upload image " + imageId);
  }

  /** Keeps {@code file} in the image store (a disk moving to another host); answers its SHA-512. */
  public String storeFile(Path file) throws IOException {
    SourceRef<ByteString> data = FileIO.fromPath(file).runWith(StreamRefs.sourceRef(), Materializer.matFromSystem(system));
    return this.<nimbus.storage.StoredFile>ask(r -> new ImageFileService.StoreFile(data, r), "store the disk " + file)
        .sha512();
  }

  /** Whether the image has its data already (a snapshot or a volume's upload sent again after it was done). */
  @Override
  public boolean hasData(String imageId) throws IOException {
    try {
      return await(image(imageId).<Image>askWithStatus(ImageEntity.Get::new, timeout)).status().equals("active");
    } catch (ExecutionException | TimeoutException e) {
      throw new IOException("cannot read image " + imageId + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted reading image " + imageId);
    }
  }

  /** Deletes an image whose data will never come (a failed snapshot), as Nova does. */
  public void discard(String imageId) {
    image(imageId).<org.apache.pekko.Done>askWithStatus(ImageEntity.Discard::new, timeout);
  }

  private org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef<ImageEntity.Command> image(String imageId) {
    return ClusterSharding.get(system).entityRefFor(ImageEntity.TYPE_KEY, imageId);
  }

  private <T> T ask(Function<ActorRef<StatusReply<T>>, ImageFileService.Command> message, String what)
      throws IOException {
    try {
      Set<ActorRef<ImageFileService.Command>> known = knownServices();
      if (known.isEmpty()) throw new IOException("cannot " + what + ": no image store is reachable from this host");
      ActorRef<ImageFileService.Command> service = known.iterator().next();
      StatusReply<T> reply = await(AskPattern.<ImageFileService.Command, StatusReply<T>>ask(
          service, message::apply, timeout, system.scheduler()));
      if (reply.isError()) throw new IOException("cannot " + what + ": " + reply.getError().getMessage());
      return reply.getValue();
    } catch (ExecutionException | TimeoutException e) {
      throw new IOException("cannot " + what + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + what);
    }
  }

  /** The image file services known now, after waiting a while for the first if none is yet. */
  private Set<ActorRef<ImageFileService.Command>> knownServices() throws InterruptedException, ExecutionException {
    try {
      found.get(FIND_SERVICE.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      return Set.of();
    }
    return services.get();
  }

  private <T> T await(CompletionStage<T> stage) throws InterruptedException, ExecutionException, TimeoutException {
    return stage.toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }
}
