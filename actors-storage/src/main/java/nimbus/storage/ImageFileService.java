package nimbus.storage;

import nimbus.cluster.CborSerializable;
import nimbus.cluster.Rejection;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.SourceRef;
import org.apache.pekko.stream.javadsl.StreamRefs;
import org.apache.pekko.util.ByteString;

/**
 * The image store as the cluster reaches it: hosts stream image files from it (on first use, into
 * their cache) and stream server snapshots into it. Runs on control nodes, found through the
 * receptionist; bytes travel as stream references, with back-pressure, never as one message.
 */
public final class ImageFileService {
  public static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "image-files");

  /** What the image file service does. */
  public sealed interface Command extends CborSerializable {}

  /** Streams the stored file with this SHA-512 to the asker. */
  public record OpenFile(String sha512, ActorRef<StatusReply<SourceRef<ByteString>>> replyTo) implements Command {}

  /** Keeps {@code data} in the store, not as any image's file (a disk moving between hosts). */
  public record StoreFile(SourceRef<ByteString> data, ActorRef<StatusReply<StoredFile>> replyTo) implements Command {}

  /** Uploads {@code data} as the file of the queued image {@code imageId}; answers once it is active. */
  public record Upload(String imageId, SourceRef<ByteString> data, ActorRef<StatusReply<Image>> replyTo)
      implements Command {}

  private ImageFileService() {}

  public static Behavior<Command> create(ImageUploads uploads) {
    return Behaviors.setup(ctx -> {
      ctx.getSystem().receptionist().tell(Receptionist.register(KEY, ctx.getSelf()));
      Materializer materializer = Materializer.createMaterializer(ctx);
      return Behaviors.receive(Command.class)
          .onMessage(OpenFile.class, m -> {
            var file = uploads.store().read(m.sha512());
            if (file.isEmpty()) {
              m.replyTo().tell(Rejection.notFound("No image file " + m.sha512() + " in the store"));
            } else {
              m.replyTo().tell(StatusReply.success(file.get().runWith(StreamRefs.sourceRef(), materializer)));
            }
            return Behaviors.same();
          })
          .onMessage(StoreFile.class, m -> {
            uploads.storeFile(m.data().getSource()).whenComplete((file, failure) ->
                m.replyTo().tell(failure == null ? StatusReply.success(file)
                    : StatusReply.error(ImageUploads.cause(failure).getMessage())));
            return Behaviors.same();
          })
          .onMessage(Upload.class, m -> {
            uploads.upload(m.imageId(), m.data().getSource()).whenComplete((image, failure) ->
                m.replyTo().tell(failure == null ? StatusReply.success(image)
                    : StatusReply.error(ImageUploads.cause(failure).getMessage())));
            return Behaviors.same();
          })
          .build();
    });
  }
}
