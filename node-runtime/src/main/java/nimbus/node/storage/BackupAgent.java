package nimbus.node.storage;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import nimbus.storage.BackupHostCommand;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.pattern.StatusReply;

/**
 * A storage host's backup agent: stores its volumes' chunks ({@link BackupChunks}), writes them
 * back into volumes, and forgets backups. It registers under {@link BackupHostCommand#of} its host;
 * the work runs on the blocking executor, one piece at a time per backup (a command for a backup
 * being worked on goes unanswered, and its step asks again).
 */
public final class BackupAgent {
  private BackupAgent() {}

  /** Messages the agent handles. */
  public sealed interface Message {}

  private record Received(BackupHostCommand command) implements Message {}

  private record Finished(String backupId, Runnable answer) implements Message {}

  /**
   * The agent of storage host {@code host}: the backend's volumes backed up into {@code chunks};
   * {@code fileless}: the backend keeps no files (libvirt's test driver), its volumes read as zeros.
   */
  public static Behavior<Message> create(String host, StorageBackend backend, BackupChunks chunks, boolean fileless,
      Executor blocking) {
    return Behaviors.setup(ctx -> {
      ActorRef<BackupHostCommand> inbox = ctx.messageAdapter(BackupHostCommand.class, Received::new);
      ctx.getSystem().receptionist().tell(Receptionist.register(BackupHostCommand.of(host), inbox));
      Set<String> busy = new HashSet<>();
      return Behaviors.receive(Message.class)
          .onMessage(Received.class, m -> {
            accept(ctx, busy, m.command(), backend, chunks, fileless, blocking);
            return Behaviors.same();
          })
          .onMessage(Finished.class, m -> {
            busy.remove(m.backupId());
            m.answer().run();
            return Behaviors.same();
          })
          .build();
    });
  }

  private static void accept(ActorContext<Message> ctx, Set<String> busy, BackupHostCommand command,
      StorageBackend backend, BackupChunks chunks, boolean fileless, Executor blocking) {
    if (command instanceof BackupHostCommand.StoreChunks c) {
      run(ctx, busy, c.backupId(), () -> {
        Path file = Path.of(backend.path(c.volumeId()));
        return fileless ? chunks.storeZeros(c.backupId(), backend.volumes().getOrDefault(c.volumeId(), 0L))
            : chunks.store(c.backupId(), file);
      }, c.replyTo(), blocking);
    } else if (command instanceof BackupHostCommand.RestoreChunks c) {
      run(ctx, busy, c.backupId(), () -> {
        Path file = Path.of(backend.path(c.volumeId()));
        if (!fileless) {
          chunks.restore(c.chunks(), file);
        } else if (c.chunks().stream().anyMatch(h -> !h.isEmpty())) {
          throw new StorageException("Volume " + c.volumeId() + " has no file to restore the backup's bytes into", null);
        }
        return Done.getInstance();
      }, c.replyTo(), blocking);
    } else if (command instanceof BackupHostCommand.RemoveChunks c) {
      run(ctx, busy, c.backupId(), () -> {
        chunks.remove(c.backupId());
        return Done.getInstance();
      }, c.replyTo(), blocking);
    }
  }

  private static <T> void run(ActorContext<Message> ctx, Set<String> busy, String backupId, Supplier<T> work,
      ActorRef<StatusReply<T>> replyTo, Executor blocking) {
    if (!busy.add(backupId)) return;
    ctx.pipeToSelf(CompletableFuture.supplyAsync(work, blocking), (value, e) -> new Finished(backupId,
        e == null ? () -> replyTo.tell(StatusReply.success(value)) : () -> replyTo.tell(StatusReply.error(reason(e)))));
  }

  private static String reason(Throwable e) {
    Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
    return cause.getMessage() == null ? cause.toString() : cause.getMessage();
  }
}
