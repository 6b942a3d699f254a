package nimbus.node.storage;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 * A storage host's backup agent: stores its volumes' chunks ({@link BackupChunks}), read as raw
 * bytes through its backend (a file, or an RBD image's {@code rbd export}), writes them back into
 * volumes (a file, or {@code rbd import-diff}), and forgets backups. It registers under {@link BackupHostCommand#of} its host;
 * the work runs on the blocking executor, one piece at a time per backup. A repeat of the work under
 * way (a restarted entity asking again) hears its outcome too; another command for that backup goes
 * unanswered, and its step asks again.
 */
public final class BackupAgent {
  private BackupAgent() {}

  /** Messages the agent handles. */
  public sealed interface Message {}

  private record Received(BackupHostCommand command) implements Message {}

  private record Finished(String backupId, StatusReply<?> outcome) implements Message {}

  /** The work under way per backup: what it is (command kind and volume), and who waits for it. */
  private record Work(String what, List<ActorRef<StatusReply<?>>> askers) {}

  /**
   * The agent of storage host {@code host}: the backend's volumes backed up into {@code chunks};
   * {@code fileless}: the backend keeps no files (libvirt's test driver), its volumes read as zeros.
   */
  public static Behavior<Message> create(String host, StorageBackend backend, BackupChunks chunks, boolean fileless,
      Executor blocking) {
    return Behaviors.setup(ctx -> {
      ActorRef<BackupHostCommand> inbox = ctx.messageAdapter(BackupHostCommand.class, Received::new);
      ctx.getSystem().receptionist().tell(Receptionist.register(BackupHostCommand.of(host), inbox));
      Map<String, Work> busy = new HashMap<>();
      return Behaviors.receive(Message.class)
          .onMessage(Received.class, m -> {
            accept(ctx, busy, m.command(), backend, chunks, fileless, blocking);
            return Behaviors.same();
          })
          .onMessage(Finished.class, m -> {
            busy.remove(m.backupId()).askers().forEach(asker -> asker.tell(m.outcome()));
            return Behaviors.same();
          })
          .build();
    });
  }

  private static void accept(ActorContext<Message> ctx, Map<String, Work> busy, BackupHostCommand command,
      StorageBackend backend, BackupChunks chunks, boolean fileless, Executor blocking) {
    if (command instanceof BackupHostCommand.StoreChunks c) {
      run(ctx, busy, c.backupId(), "store " + c.volumeId() + c.snapshotId().map(s -> " snapshot " + s).orElse(""), () ->
          fileless ? chunks.storeZeros(c.backupId(), backend.volumes().getOrDefault(c.volumeId(), 0L))
              : chunks.store(c.backupId(), () -> backend.openRaw(c.volumeId(), c.snapshotId())),
          c.replyTo(), blocking);
    } else if (command instanceof BackupHostCommand.RestoreChunks c) {
      run(ctx, busy, c.backupId(), "restore " + c.volumeId(), () -> {
        if (!fileless || c.rbdImage().isPresent()) {
          try (RawWriter volume = c.rbdImage().isPresent() ? backend.rawWriterOf(c.volumeId(), c.rbdImage().get())
              : backend.rawWriter(c.volumeId())) {
            chunks.restore(c.chunks(), volume);
          } catch (IOException e) {
            throw new StorageException("Restore of the backup failed: " + e.getMessage(), e);
          }
        } else if (c.chunks().stream().anyMatch(h -> !h.isEmpty())) {
          throw new StorageException("Volume " + c.volumeId() + " has no file to restore the backup's bytes into", null);
        }
        return Done.getInstance();
      }, c.replyTo(), blocking);
    } else if (command instanceof BackupHostCommand.AdoptChunks c) {
      run(ctx, busy, c.backupId(), "adopt", () -> {
        chunks.adopt(c.backupId(), c.chunks());
        return Done.getInstance();
      }, c.replyTo(), blocking);
    } else if (command instanceof BackupHostCommand.RemoveChunks c) {
      run(ctx, busy, c.backupId(), "remove", () -> {
        chunks.remove(c.backupId());
        return Done.getInstance();
      }, c.replyTo(), blocking);
    }
  }

  @SuppressWarnings("unchecked")
  private static <T> void run(ActorContext<Message> ctx, Map<String, Work> busy, String backupId, String what,
      Supplier<T> work, ActorRef<StatusReply<T>> replyTo, Executor blocking) {
    // the outcome is this work's own, of type T, whoever of its askers hears it
    ActorRef<StatusReply<?>> asker = (ActorRef<StatusReply<?>>) (Object) replyTo;
    Work underWay = busy.get(backupId);
    if (underWay != null) {
      if (underWay.what().equals(what)) underWay.askers().add(asker);
      return;
    }
    busy.put(backupId, new Work(what, new ArrayList<>(List.of(asker))));
    ctx.pipeToSelf(CompletableFuture.supplyAsync(work, blocking), (value, e) -> new Finished(backupId,
        e == null ? StatusReply.success(value) : StatusReply.error(StorageAgent.reason(e))));
  }
}
