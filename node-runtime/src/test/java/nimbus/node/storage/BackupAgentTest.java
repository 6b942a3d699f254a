package nimbus.node.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import nimbus.storage.BackupHostCommand;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The backup agent while a volume's bytes are moving: who hears the outcome of the work under way. */
class BackupAgentTest {
  private final ActorTestKit kit = ActorTestKit.create();

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
  }

  @Test
  void aRepeatOfTheWorkUnderWayHearsItsOutcomeAndOtherWorkOnThatBackupWaits(@TempDir Path dir) throws Exception {
    Path volume = dir.resolve("volume");
    Files.write(volume, new byte[3 * 1024]);
    Files.write(volume, "marker".getBytes(), java.nio.file.StandardOpenOption.WRITE);
    CountDownLatch reading = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    StorageBackend backend = new OneFile(volume, reading, release);
    kit.spawn(BackupAgent.create("h1", backend, new BackupChunks(dir.resolve("chunks"), 1024), false,
        Executors.newCachedThreadPool()));
    ActorRef<BackupHostCommand> agent = agentOf("h1");

    TestProbe<StatusReply<BackupHostCommand.Manifest>> first = kit.createTestProbe();
    agent.tell(new BackupHostCommand.StoreChunks("b1", "v1", Optional.empty(), first.getRef()));
    assertEquals(true, reading.await(10, TimeUnit.SECONDS));
    // the entity's ask ended (or the entity restarted) and it asks again while the bytes still move
    TestProbe<StatusReply<BackupHostCommand.Manifest>> again = kit.createTestProbe();
    agent.tell(new BackupHostCommand.StoreChunks("b1", "v1", Optional.empty(), again.getRef()));
    TestProbe<StatusReply<Done>> removal = kit.createTestProbe();
    agent.tell(new BackupHostCommand.RemoveChunks("b1", removal.getRef()));
    release.countDown();

    BackupHostCommand.Manifest stored = first.receiveMessage(Duration.ofSeconds(10)).getValue();
    assertEquals(3, stored.chunks().size());
    assertEquals(stored, again.receiveMessage(Duration.ofSeconds(10)).getValue());
    removal.expectNoMessage(Duration.ofMillis(300));
  }

  private ActorRef<BackupHostCommand> agentOf(String host) {
    TestProbe<Receptionist.Listing> listing = kit.createTestProbe();
    return listing.awaitAssert(Duration.ofSeconds(10), () -> {
      kit.system().receptionist().tell(Receptionist.find(BackupHostCommand.of(host), listing.getRef()));
      return listing.receiveMessage().getServiceInstances(BackupHostCommand.of(host)).stream().findAny().orElseThrow();
    });
  }

  /** One volume's file, whose path is given out only once the test lets it (the bytes "moving" meanwhile). */
  private record OneFile(Path file, CountDownLatch reading, CountDownLatch release) implements StorageBackend {
    @Override
    public String path(String volumeId) {
      reading.countDown();
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return file.toString();
    }

    @Override
    public Map<String, Long> volumes() {
      return Map.of("v1", 3L * 1024);
    }

    @Override
    public Set<String> snapshots() {
      return Set.of();
    }

    @Override
    public Map<String, String> leftovers() {
      return Map.of();
    }

    @Override
    public void removeLeftover(String name) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void create(String volumeId, long bytes) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void resize(String volumeId, long bytes) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void remove(String volumeId) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void snapshot(String volumeId, String snapshotId) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void removeSnapshot(String snapshotId) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void createFrom(String volumeId, String snapshotId, long bytes) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void cloneVolume(String volumeId, String sourceId, long bytes) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void createFromImage(String volumeId, Path image, String diskFormat, long bytes) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Path exportImage(String volumeId, String diskFormat) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void close() {}
  }
}
