package nimbus.node.storage;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;
import nimbus.cluster.Rejection;
import nimbus.storage.StorageHostCommand;
import nimbus.storage.Volume;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.pattern.StatusReply;

/**
 * A storage host's agent: makes (empty or from images), grows, copies, uploads into images, moves to and
 * from RBD backends (a retype) and removes volumes' and snapshots' files in its
 * {@link StorageBackend}
 * as volume entities ask ({@link StorageHostCommand}), and reconciles the backend with the
 * entities when it starts and then periodically: a file of Nimbus's whose volume is gone, or
 * belongs to another host, is removed, as is a snapshot's whose snapshot is gone, and its own
 * leftovers (partial copies, upload temporaries) once no work for their volume or snapshot runs.
 * Nothing the backend does not name as its own is touched.
 *
 * <p>A volume attached to a server on another host is exported over NBD ({@link NbdExports}); the
 * reconciliation, also run as the agent starts, stops the exports no attachment needs, starts
 * again the daemons of those it needs that are gone, and brings up to date which hosts may
 * connect to the exports' ports (the cluster's compute hosts, joining and leaving).
 *
 * <p>Backend calls run on the blocking executor, one at a time per volume. The same command asked
 * again while its work runs (its entity restarted, or its ask timed out on a long copy) is answered
 * with that work's outcome when it ends, so work that outlasts an ask is never started over; any
 * other command for a busy volume goes unanswered (the entity's step asks again).
 */
public final class StorageAgent {
  private static final long GIB = 1024L * 1024 * 1024;

  /** Messages the agent understands: the storage hosts' protocol, and its own. */
  public sealed interface Message {}

  private record Received(StorageHostCommand command) implements Message {}

  private record Finished(String volumeId, Object value, Optional<String> failure) implements Message {}

  /**
   * Work under way for a volume: what it does (a command's kind and arguments, its asker aside; or
   * the reconciliation's, which nobody asks), and the answers owed to its askers.
   */
  private record Work(Object what, List<Answer> answers) {}

  /** How one asker is answered, with the work's value or its failure. */
  private interface Answer {
    void with(Object value, Optional<String> failure);
  }

  private record Reconcile() implements Message {}

  /**
   * Volumes found in the backend ({@code files}) and exported ({@code exported}), with what the
   * entities say of each (empty: no such volume), and the snapshots' files whose snapshot is gone.
   */
  private record Found(Set<String> files, Set<String> exported, Map<String, Optional<Volume>> volumes,
      Set<String> goneSnapshots, long asOf) implements Message {}

  /** The backend's leftovers: file name to the id of the volume or snapshot it was written for. */
  private record Leftovers(Map<String, String> files) implements Message {}

  private record ReconcileFailed(String reason) implements Message {}

  /** The NBD ports' rules are up to date. */
  private record Protected() implements Message {}

  /** Where the host finds an image's bytes, as {@code VolumeImage#file} names them. Blocking (it may fetch them). */
  @FunctionalInterface
  public interface ImageFiles {
    java.nio.file.Path file(String ref) throws java.io.IOException;
  }

  /** Where the host uploads volumes' bytes as images' data (the image store's own upload). Blocking. */
  public interface ImageSink {
    /** Whether the image has its data already (an upload asked again after it was done). */
    boolean hasData(String imageId) throws java.io.IOException;

    /** Uploads {@code file} as the data of the queued image; returns once the image is active. */
    void upload(String imageId, java.nio.file.Path file) throws java.io.IOException;
  }

  /**
   * The agent of storage host {@code host}, serving backend {@code backendName} (what a volume
   * type's {@code volume_backend_name} asks for); {@code lookup} reads a volume's entity (empty when
   * there is no such volume, or it is gone), {@code snapshotGone} whether a snapshot is gone (a
   * failure when it cannot tell), {@code images} finds images' bytes on this host, {@code uploads}
   * takes volumes' bytes into images, {@code exports} serves volumes to other hosts (none: a backend
   * without files, whose volumes no other host can open).
   */
  public static Behavior<Message> create(String host, String backendName, StorageBackend backend,
      Function<String, CompletionStage<Optional<Volume>>> lookup,
      Function<String, CompletionStage<Boolean>> snapshotGone, ImageFiles images, ImageSink uploads,
      Optional<NbdExports> exports, Duration reconcileInterval, Executor blocking) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      ActorRef<StorageHostCommand> inbox = ctx.messageAdapter(StorageHostCommand.class, Received::new);
      ctx.getSystem().receptionist().tell(Receptionist.register(StorageHostCommand.ANY, inbox));
      ctx.getSystem().receptionist().tell(Receptionist.register(StorageHostCommand.of(host), inbox));
      ctx.getSystem().receptionist().tell(Receptionist.register(StorageHostCommand.backend(backendName), inbox));
      // at once, not an interval later: a crash's leftovers, and exports a guest elsewhere may be
      // waiting for (their daemons may have gone with the host)
      ctx.getSelf().tell(new Reconcile());
      timers.startTimerWithFixedDelay("reconcile", new Reconcile(), reconcileInterval);
      return new StorageAgent(ctx, host, backend, lookup, snapshotGone, images, uploads, exports, blocking).running();
    }));
  }

  private final ActorContext<Message> ctx;
  private final String host;
  private final StorageBackend backend;
  private final Function<String, CompletionStage<Optional<Volume>>> lookup;
  private final Function<String, CompletionStage<Boolean>> snapshotGone;
  private final Executor blocking;
  private final ImageFiles images;
  private final ImageSink uploads;
  private final Optional<NbdExports> exports;
  private final Map<String, Work> busy = new java.util.HashMap<>();
  /**
   * When each volume was last exported, counted in exports: a reconciliation that read the entities
   * before it must not stop that export.
   */
  private final Map<String, Long> lastExport = new java.util.HashMap<>();
  private long exportsGiven;

  private StorageAgent(ActorContext<Message> ctx, String host, StorageBackend backend,
      Function<String, CompletionStage<Optional<Volume>>> lookup,
      Function<String, CompletionStage<Boolean>> snapshotGone, ImageFiles images, ImageSink uploads,
      Optional<NbdExports> exports, Executor blocking) {
    this.ctx = ctx;
    this.snapshotGone = snapshotGone;
    this.exports = exports;
    this.uploads = uploads;
    this.images = images;
    this.host = host;
    this.backend = backend;
    this.lookup = lookup;
    this.blocking = blocking;
  }

  private Behavior<Message> running() {
    return Behaviors.receive(Message.class)
        .onMessage(Received.class, m -> {
          accept(m.command());
          return Behaviors.same();
        })
        .onMessage(Finished.class, m -> {
          busy.remove(m.volumeId()).answers().forEach(a -> a.with(m.value(), m.failure()));
          return Behaviors.same();
        })
        .onMessage(Reconcile.class, m -> {
          reconcile();
          return Behaviors.same();
        })
        .onMessage(Found.class, m -> {
          m.volumes().forEach((id, volume) -> {
            if (m.files().contains(id) && orphan(volume)) run(Reconcile.class, id, () -> backend.remove(id), done -> {}, failed -> {});
          });
          m.goneSnapshots().forEach(id -> run(Reconcile.class, id, () -> backend.removeSnapshot(id), done -> {}, failed -> {}));
          exports.ifPresent(nbd -> m.exported().forEach(id -> {
            if (exportNeeded(m.volumes().get(id))) {
              run(Reconcile.class, id, () -> nbd.export(id, java.nio.file.Path.of(backend.path(id))), done -> {}, failed -> {});
            } else if (lastExport.getOrDefault(id, 0L) <= m.asOf()) {
              run(Reconcile.class, id, () -> nbd.unexport(id), done -> {}, failed -> {});
            }
          }));
          return Behaviors.same();
        })
        .onMessage(Leftovers.class, m -> {
          // a leftover is removed only while no work for its id runs: that work may be writing it
          m.files().forEach((name, id) -> run(Reconcile.class, id, () -> backend.removeLeftover(name), done -> {}, failed -> {}));
          return Behaviors.same();
        })
        .onMessage(Protected.class, m -> Behaviors.same())
        .onMessage(ReconcileFailed.class, m -> {
          if (org.apache.pekko.actor.CoordinatedShutdown.get(ctx.getSystem()).getShutdownReason().isEmpty()) {
            ctx.getLog().warn("reconciliation of storage host {} failed: {}", host, m.reason());
          }
          return Behaviors.same();
        })
        .onSignal(org.apache.pekko.actor.typed.PostStop.class, s -> {
          CompletableFuture.runAsync(backend::close, blocking);
          return Behaviors.same();
        })
        .build();
  }

  /**
   * A file whose volume is gone, is held by another host, or is stored nowhere (a create that
   * failed or timed out, whose host made the file late) is no volume's here.
   */
  private boolean orphan(Optional<Volume> volume) {
    if (volume.isEmpty()) return true;
    Volume v = volume.get();
    // a retype's new host holds the bytes before the volume names it
    if (v.status().equals(Volume.CREATING) || v.status().equals(Volume.RETYPING)) return false;
    return !v.stored() || v.host().isPresent() && !v.host().get().equals(host);
  }

  /**
   * An export is needed while its volume is attached, or being attached, to a server on another
   * host (and kept while the entity cannot be read).
   */
  private boolean exportNeeded(Optional<Volume> volume) {
    if (volume == null) return true;
    return volume.flatMap(Volume::attachment).filter(a -> !a.hostName().equals(Optional.of(host))).isPresent();
  }

  private void accept(StorageHostCommand command) {
    if (command instanceof StorageHostCommand.CreateVolume c) {
      run(c, c.volumeId(), () -> backend.create(c.volumeId(), c.gigabytes() * GIB),
          done -> c.replyTo().tell(StatusReply.success(host)), failed -> c.replyTo().tell(StatusReply.error(failed)));
    } else if (command instanceof StorageHostCommand.ResizeVolume c) {
      run(c, c.volumeId(), () -> backend.resize(c.volumeId(), c.gigabytes() * GIB),
          done -> c.replyTo().tell(StatusReply.ack()), failed -> c.replyTo().tell(StatusReply.error(failed)));
    } else if (command instanceof StorageHostCommand.ExportVolume c) {
      if (backend.direct()) {
        // a network store: every host opens the volume itself, nothing to export
        work(c, c.volumeId(), () -> backend.path(c.volumeId()), path -> c.replyTo().tell(StatusReply.success(path)),
            failed -> c.replyTo().tell(StatusReply.error(failed)));
        return;
      }
      if (!c.toHost().equals(host) && exports.isEmpty()) {
        c.replyTo().tell(Rejection.conflict("Volume " + c.volumeId() + " is stored on host " + host
            + " and cannot be attached to a server on host " + c.toHost()
            + ": this host's storage keeps no files to serve over the network"));
        return;
      }
      if (!c.toHost().equals(host) && !busy.containsKey(c.volumeId())) lastExport.put(c.volumeId(), ++exportsGiven);
      // the storage host's own guests open the file; any other host's reach it over NBD
      work(c, c.volumeId(), () -> c.toHost().equals(host) ? localPath(c.volumeId())
              : exports.orElseThrow().export(c.volumeId(), java.nio.file.Path.of(backend.path(c.volumeId()))).uri(),
          path -> c.replyTo().tell(StatusReply.success(path)), failed -> c.replyTo().tell(StatusReply.error(failed)));
    } else if (command instanceof StorageHostCommand.SnapshotVolume c) {
      run(c, c.snapshotId(), () -> backend.snapshot(c.volumeId(), c.snapshotId()),
          done -> c.replyTo().tell(StatusReply.ack()), failed -> c.replyTo().tell(StatusReply.error(failed)));
    } else if (command instanceof StorageHostCommand.RemoveSnapshot c) {
      run(c, c.snapshotId(), () -> backend.removeSnapshot(c.snapshotId()),
          done -> c.replyTo().tell(StatusReply.ack()), failed -> c.replyTo().tell(StatusReply.error(failed)));
    } else if (command instanceof StorageHostCommand.CreateVolumeFrom c) {
      run(c, c.volumeId(), () -> backend.createFrom(c.volumeId(), c.snapshotId(), c.gigabytes() * GIB),
          done -> c.replyTo().tell(StatusReply.success(host)), failed -> c.replyTo().tell(StatusReply.error(failed)));
    } else if (command instanceof StorageHostCommand.CloneVolume c) {
      run(c, c.volumeId(), () -> backend.cloneVolume(c.volumeId(), c.sourceId(), c.gigabytes() * GIB),
          done -> c.replyTo().tell(StatusReply.success(host)), failed -> c.replyTo().tell(StatusReply.error(failed)));
    } else if (command instanceof StorageHostCommand.CreateVolumeFromImage c) {
      run(c, c.volumeId(), () -> backend.createFromImage(c.volumeId(), imageFile(c.file()), c.diskFormat(), c.gigabytes() * GIB),
          done -> c.replyTo().tell(StatusReply.success(host)), failed -> c.replyTo().tell(StatusReply.error(failed)));
    } else if (command instanceof StorageHostCommand.UploadToImage c) {
      run(c, c.volumeId(), () -> upload(c), done -> c.replyTo().tell(StatusReply.ack()), failed -> {
        // the tenant sees only that the image never became active: the operator reads why here
        ctx.getLog().warn("upload of volume {} into image {} failed: {}", c.volumeId(), c.imageId(), failed);
        c.replyTo().tell(StatusReply.error(failed));
      });
    } else if (command instanceof StorageHostCommand.ReceiverOf c) {
      work(c, c.volumeId(), () -> new StorageHostCommand.Receiver(host, backend.rbdTarget(c.volumeId())),
          found -> c.replyTo().tell(StatusReply.success(found)), failed -> c.replyTo().tell(StatusReply.error(failed)));
    } else if (command instanceof StorageHostCommand.SourceOf c) {
      StatusReply<String> noImage = Rejection.conflict("Volume " + c.volumeId() + " is no image of an RBD backend on host "
          + host + ".");
      work(c, c.volumeId(), () -> backend.volumes().containsKey(c.volumeId()) ? backend.rbdTarget(c.volumeId())
              : Optional.<String>empty(),
          found -> c.replyTo().tell(found.map(StatusReply::success).orElse(noImage)), failed -> c.replyTo().tell(noImage));
    } else if (command instanceof StorageHostCommand.ReceiveVolume c) {
      run(c, c.volumeId(), () -> backend.receive(c.volumeId(), c.source(), c.gigabytes() * GIB),
          done -> c.replyTo().tell(StatusReply.success(host)), failed -> c.replyTo().tell(StatusReply.error(failed)));
    } else if (command instanceof StorageHostCommand.SendVolume c) {
      run(c, c.volumeId(), () -> backend.send(c.volumeId(), c.target(), c.gigabytes() * GIB),
          done -> c.replyTo().tell(StatusReply.ack()), failed -> c.replyTo().tell(StatusReply.error(failed)));
    } else if (command instanceof StorageHostCommand.CheckExport c) {
      if (exports.isPresent()) {
        long asOf = exportsGiven;
        NbdExports nbd = exports.get();
        // only a host that serves the volume reads its entity
        CompletionStage<Found> found = CompletableFuture.supplyAsync(() -> nbd.recorded(c.volumeId()).isPresent(), blocking)
            .thenCompose(serving -> serving ? lookup.apply(c.volumeId())
                .thenApply(volume -> new Found(Set.of(), Set.of(c.volumeId()), Map.of(c.volumeId(), volume), Set.of(), asOf))
                : CompletableFuture.completedFuture(new Found(Set.of(), Set.of(), Map.of(), Set.of(), asOf)));
        ctx.pipeToSelf(found, (result, e) -> e == null ? result : new ReconcileFailed(reason(e)));
      }
    } else if (command instanceof StorageHostCommand.RemoveVolume c) {
      run(c, c.volumeId(), () -> {
        exports.ifPresent(nbd -> nbd.unexport(c.volumeId()));
        backend.remove(c.volumeId());
      },
          done -> c.replyTo().tell(StatusReply.ack()), failed -> c.replyTo().tell(StatusReply.error(failed)));
    }
  }

  /**
   * The file's path for a guest of this host. A volume attaches to one server at a time, so no other
   * host needs its export any more: stopped first (its detach's word may not have come yet), as the
   * daemon holds the file's write lock. Blocking.
   */
  private String localPath(String volumeId) {
    exports.ifPresent(nbd -> nbd.unexport(volumeId));
    return backend.path(volumeId);
  }

  /** {@link #work} of what answers nothing but done. */
  private void run(Object kind, String volumeId, Runnable work, java.util.function.Consumer<Done> ok,
      java.util.function.Consumer<String> failed) {
    work(kind, volumeId, () -> {
      work.run();
      return Done.getInstance();
    }, ok, failed);
  }

  /**
   * Runs {@code work} on the blocking executor unless the volume is busy, and answers once it is
   * done; while work of the same {@code kind} (a command, or the reconciliation) runs, this asker is
   * answered with its outcome instead.
   */
  @SuppressWarnings("unchecked")
  private <T> void work(Object kind, String volumeId, java.util.function.Supplier<T> work,
      java.util.function.Consumer<T> ok, java.util.function.Consumer<String> failed) {
    Answer answer = (value, failure) -> {
      if (failure.isPresent()) failed.accept(failure.get());
      else ok.accept((T) value);
    };
    Object what = kind instanceof StorageHostCommand c ? sameWork(c) : kind;
    Work underWay = busy.get(volumeId);
    if (underWay != null) {
      if (underWay.what().equals(what) && what != Reconcile.class) underWay.answers().add(answer);
      return;
    }
    busy.put(volumeId, new Work(what, new java.util.ArrayList<>(List.of(answer))));
    ctx.pipeToSelf(CompletableFuture.supplyAsync(work, blocking),
        (value, e) -> new Finished(volumeId, value, e == null ? Optional.empty() : Optional.of(reason(e))));
  }

  /** What a command asks done: its kind and its arguments, whoever asks. */
  private static List<Object> sameWork(StorageHostCommand command) {
    List<Object> what = new java.util.ArrayList<>(List.of(command.getClass()));
    for (java.lang.reflect.RecordComponent part : command.getClass().getRecordComponents()) {
      if (part.getName().equals("replyTo")) continue;
      try {
        what.add(part.getAccessor().invoke(command));
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException(e);
      }
    }
    return what;
  }

  /** The volume's bytes converted, then uploaded; an image that has its data already is left as it is. */
  private void upload(StorageHostCommand.UploadToImage c) {
    try {
      if (uploads.hasData(c.imageId())) return;
      java.nio.file.Path file = backend.exportImage(c.volumeId(), c.diskFormat());
      try {
        uploads.upload(c.imageId(), file);
      } finally {
        java.nio.file.Files.deleteIfExists(file);
      }
    } catch (java.io.IOException e) {
      throw new StorageException("Upload to image failed: " + e.getMessage(), e);
    }
  }

  private java.nio.file.Path imageFile(String ref) {
    try {
      return images.file(ref);
    } catch (java.io.IOException e) {
      throw new StorageException("Image file unavailable: " + e.getMessage(), e);
    }
  }

  /** A failure's own words, unwrapped from the future that carried it. */
  static String reason(Throwable e) {
    Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
    return cause.getMessage() == null ? cause.toString() : cause.getMessage();
  }

  private void reconcile() {
    long asOf = exportsGiven;
    CompletionStage<Found> found = CompletableFuture.supplyAsync(() -> new Found(
            Set.copyOf(backend.volumes().keySet()),
            exports.map(NbdExports::volumes).map(Set::copyOf).orElse(Set.of()), Map.of(), Set.of(), asOf), blocking)
        .thenCompose(listed -> {
          Set<String> ids = new HashSet<>(listed.files());
          ids.addAll(listed.exported());
          Map<String, Optional<Volume>> out = new java.util.concurrent.ConcurrentHashMap<>();
          CompletableFuture<?>[] asks = List.copyOf(ids).stream().map(id -> lookup.apply(id)
              .thenAccept(v -> out.put(id, v)).exceptionally(unread -> null).toCompletableFuture())
              .toArray(CompletableFuture[]::new);
          return CompletableFuture.allOf(asks)
              .thenApply(all -> new Found(listed.files(), listed.exported(), Map.copyOf(out), Set.of(), asOf));
        });
    CompletionStage<Set<String>> gone = CompletableFuture.supplyAsync(backend::snapshots, blocking)
        .thenCompose(ids -> {
          Set<String> out = java.util.concurrent.ConcurrentHashMap.newKeySet();
          CompletableFuture<?>[] asks = ids.stream().map(id -> snapshotGone.apply(id).thenAccept(g -> {
            if (g) out.add(id);
          }).toCompletableFuture()).toArray(CompletableFuture[]::new);
          return CompletableFuture.allOf(asks).thenApply(all -> Set.copyOf(out));
        });
    ctx.pipeToSelf(found.thenCombine(gone, (f, g) -> new Found(f.files(), f.exported(), f.volumes(), g, f.asOf())),
        (result, e) -> e == null ? result : new ReconcileFailed(reason(e)));
    exports.ifPresent(nbd -> ctx.pipeToSelf(CompletableFuture.runAsync(nbd::protect, blocking),
        (v, e) -> e == null ? new Protected() : new ReconcileFailed(reason(e))));
    // the leftovers need no entity: removed even while the entities cannot answer
    ctx.pipeToSelf(CompletableFuture.supplyAsync(backend::leftovers, blocking),
        (files, e) -> e == null ? new Leftovers(files) : new ReconcileFailed(reason(e)));
  }
}
