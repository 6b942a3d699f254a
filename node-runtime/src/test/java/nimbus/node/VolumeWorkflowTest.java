package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import nimbus.cluster.Rejection;
import nimbus.node.storage.LibvirtPoolBackend;
import nimbus.storage.Volume;
import nimbus.storage.VolumeEntity;
import nimbus.storage.VolumeQuotaEntity;
import org.apache.pekko.Done;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Volumes through a whole all-in-one node on libvirt's test driver: the entity's quota and file
 * steps reach the project's quota entity and the node's storage agent (found through the
 * receptionist), the file appears in the pool and goes with the volume, the quota is given back.
 */
class VolumeWorkflowTest {
  private static Node node;
  @RegisterExtension
  static final RunningNode NODE = RunningNode.allInOne(Map.of(), (n, a) -> node = n);
  private static final Duration WAIT = Duration.ofSeconds(20);

  private static ClusterSharding sharding() {
    return ClusterSharding.get(node.system());
  }

  private static StatusReply<Volume> ask(String id, java.util.function.Function<
      org.apache.pekko.actor.typed.ActorRef<StatusReply<Volume>>, VolumeEntity.Command> command) throws Exception {
    return sharding().entityRefFor(VolumeEntity.TYPE_KEY, id).ask(command::apply, WAIT)
        .toCompletableFuture().get();
  }

  private static Volume awaitStatus(String id, String status) throws Exception {
    return Eventually.await(WAIT, () -> {
      Volume v = ask(id, VolumeEntity.Get::new).getValue();
      assertEquals(status, v.status());
      return v;
    });
  }

  private static VolumeQuotaEntity.Quota quota(String project) throws Exception {
    return sharding().entityRefFor(VolumeQuotaEntity.TYPE_KEY, project)
        .<StatusReply<VolumeQuotaEntity.Quota>>ask(VolumeQuotaEntity.Get::new, WAIT).toCompletableFuture().get().getValue();
  }

  @Test
  void aVolumeGetsItsFileOnTheNodesPoolAndGivesFileAndQuotaBackWhenDeleted() throws Exception {
    String id = UUID.randomUUID().toString();
    String project = "p-" + UUID.randomUUID();
    Volume asked = Volume.requested(id, project, "u", "v", "", 1, Map.of(), "nova", "__DEFAULT__", Instant.now());
    assertEquals(Volume.CREATING, ask(id, r -> new VolumeEntity.Create(asked, r)).getValue().status());
    Volume available = awaitStatus(id, Volume.AVAILABLE);
    assertEquals(Optional.of(node.settings().host().name()), available.host());
    try (LibvirtPoolBackend pool = new LibvirtPoolBackend("test:///default", "default-pool", Optional.empty())) {
      assertEquals(1024L * 1024 * 1024, pool.volumes().get(id));
      assertEquals(1, quota(project).used("volumes"));
      assertEquals(1, quota(project).used("gigabytes"));
      StatusReply<Done> deleting = sharding().entityRefFor(VolumeEntity.TYPE_KEY, id)
          .<StatusReply<Done>>ask(VolumeEntity.Delete::new, WAIT).toCompletableFuture().get();
      assertTrue(deleting.isSuccess());
      Eventually.await(WAIT, () -> {
        assertTrue(Rejection.isNotFound(ask(id, VolumeEntity.Get::new).getError()));
        return Boolean.TRUE;
      });
      assertFalse(pool.volumes().containsKey(id));
      assertEquals(0, quota(project).used("gigabytes"));
    }
  }

  @Test
  void aVolumeOverTheProjectsQuotaIsRefusedWith413AndNeverMade() throws Exception {
    String project = "p-" + UUID.randomUUID();
    String id = UUID.randomUUID().toString();
    Volume huge = Volume.requested(id, project, "u", "big", "", 1001, Map.of(), "nova", "__DEFAULT__", Instant.now());
    StatusReply<Volume> refused = ask(id, r -> new VolumeEntity.Create(huge, r));
    assertEquals(Rejection.Kind.TOO_MANY, Rejection.from(refused.getError()).kind());
    assertTrue(Rejection.isNotFound(ask(id, VolumeEntity.Get::new).getError()));
    assertEquals(0, quota(project).used("volumes"));
  }
}
