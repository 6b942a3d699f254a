package nimbus.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import nimbus.cluster.Rejection;
import nimbus.testing.EntityTestSupport;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A project's volume quota: volumes, snapshots and gigabytes, idempotent by volume and snapshot, an extend's growth counted once. */
class VolumeQuotaEntityTest extends EntityTestSupport {
  private EventSourcedBehaviorTestKit<VolumeQuotaEntity.Command, VolumeQuotaEntity.Event, VolumeQuotaEntity.Quota> kit;

  @BeforeEach
  void fresh() {
    kit = EventSourcedBehaviorTestKit.create(testKit.system(),
        VolumeQuotaEntity.create(UUID.randomUUID().toString(), Map.of("volumes", 2, "gigabytes", 10, "snapshots", 2)));
  }

  private <T> StatusReply<T> run(Function<ActorRef<StatusReply<T>>, VolumeQuotaEntity.Command> command) {
    return kit.<StatusReply<T>>runCommand(command::apply).reply();
  }

  private StatusReply<org.apache.pekko.Done> reserve(String id, int gb) {
    return run(r -> new VolumeQuotaEntity.Reserve(id, gb, r));
  }

  @Test
  void aRetypeMovesTheVolumeToTheNewTypesCountsInOneStepUnlessTheNewTypesLimitsRefuse() {
    this.<VolumeQuotaEntity.Quota>run(r -> new VolumeQuotaEntity.SetLimits(Map.of("volumes_gold", 1,
        "gigabytes_silver", 2), r));
    assertTrue(this.<org.apache.pekko.Done>run(r -> new VolumeQuotaEntity.Reserve("a", 2, "bronze", r)).isSuccess());
    assertTrue(this.<org.apache.pekko.Done>run(r -> new VolumeQuotaEntity.Reserve("b", 3, "bronze", r)).isSuccess());
    assertTrue(this.<org.apache.pekko.Done>run(r -> new VolumeQuotaEntity.Reserve("a", 2, "gold", r)).isSuccess());
    assertEquals(1, kit.getState().usedOfType("volumes", "gold"));
    assertEquals(2, kit.getState().usedOfType("gigabytes", "gold"));
    assertEquals(1, kit.getState().usedOfType("volumes", "bronze"), "no longer counted under its old type");
    assertEquals(3, kit.getState().usedOfType("gigabytes", "bronze"));
    Rejection full = Rejection.from(this.<org.apache.pekko.Done>run(
        r -> new VolumeQuotaEntity.Reserve("b", 3, "gold", r)).getError());
    assertEquals(Rejection.Kind.TOO_MANY, full.kind());
    assertEquals("VolumeLimitExceeded: Maximum number of volumes allowed (1) exceeded for quota 'volumes_gold'.", full.message());
    Rejection big = Rejection.from(this.<org.apache.pekko.Done>run(
        r -> new VolumeQuotaEntity.Reserve("b", 3, "silver", r)).getError());
    assertTrue(big.message().contains("gigabytes_silver quota. Requested 3G, quota is 2G and 0G has been consumed."),
        big.message());
    assertEquals(1, kit.getState().usedOfType("volumes", "bronze"), "a refused retype leaves the volume where it was");
    assertEquals(5, kit.getState().used("gigabytes"), "a retype changes no total");
  }

  /**
   * A retype whose copy failed moves its quota back to the old type even when that type's limits
   * filled meanwhile (a reserve would be refused, and the volume would stay retyping for ever).
   */
  @Test
  void aFailedRetypesQuotaMovesBackWhateverTheOldTypesLimits() {
    this.<VolumeQuotaEntity.Quota>run(r -> new VolumeQuotaEntity.SetLimits(Map.of("volumes_bronze", 1), r));
    assertTrue(this.<org.apache.pekko.Done>run(r -> new VolumeQuotaEntity.Reserve("a", 2, "bronze", r)).isSuccess());
    assertTrue(this.<org.apache.pekko.Done>run(r -> new VolumeQuotaEntity.Reserve("a", 2, "gold", r)).isSuccess());
    assertTrue(this.<org.apache.pekko.Done>run(r -> new VolumeQuotaEntity.Reserve("b", 1, "bronze", r)).isSuccess());
    assertTrue(this.<org.apache.pekko.Done>run(r -> new VolumeQuotaEntity.Reserve("a", 2, "bronze", r)).isError(),
        "a reserve is refused: bronze is full");
    assertTrue(this.<org.apache.pekko.Done>run(r -> new VolumeQuotaEntity.CountAgainAs("a", "bronze", r)).isSuccess());
    assertEquals(2, kit.getState().usedOfType("volumes", "bronze"));
    assertEquals(0, kit.getState().usedOfType("volumes", "gold"));
    assertEquals(3, kit.getState().used("gigabytes"));
    assertTrue(this.<org.apache.pekko.Done>run(r -> new VolumeQuotaEntity.CountAgainAs("gone", "bronze", r)).isSuccess(),
        "nothing held: nothing to count");
    assertEquals(2, kit.getState().used("volumes"));
  }

  @Test
  void theEleventhGigabyteIsRefusedWithCindersMessage() {
    assertTrue(reserve("a", 6).isSuccess());
    StatusReply<org.apache.pekko.Done> over = reserve("b", 5);
    Rejection why = Rejection.from(over.getError());
    assertEquals(Rejection.Kind.TOO_MANY, why.kind());
    assertTrue(why.message().contains("Requested 5G, quota is 10G and 6G has been consumed."), why.message());
    assertTrue(reserve("b", 4).isSuccess());
  }

  @Test
  void aTypesLimitStopsTheNextVolumeOfThatTypeOnlyAndItsGigabytesAreCountedApart() {
    this.<VolumeQuotaEntity.Quota>run(r -> new VolumeQuotaEntity.SetLimits(Map.of("volumes", 5, "volumes_gold", 1,
        "gigabytes_silver", 3), r));
    assertTrue(this.<org.apache.pekko.Done>run(r -> new VolumeQuotaEntity.Reserve("a", 1, "gold", r)).isSuccess());
    Rejection why = Rejection.from(this.<org.apache.pekko.Done>run(
        r -> new VolumeQuotaEntity.Reserve("b", 1, "gold", r)).getError());
    assertEquals(Rejection.Kind.TOO_MANY, why.kind());
    assertEquals("VolumeLimitExceeded: Maximum number of volumes allowed (1) exceeded for quota 'volumes_gold'.", why.message());
    assertTrue(this.<org.apache.pekko.Done>run(r -> new VolumeQuotaEntity.Reserve("b", 2, "silver", r)).isSuccess());
    Rejection big = Rejection.from(this.<org.apache.pekko.Done>run(
        r -> new VolumeQuotaEntity.Reserve("c", 2, "silver", r)).getError());
    assertTrue(big.message().contains("exceeds allowed gigabytes_silver quota. Requested 2G, quota is 3G and 2G has been"
        + " consumed."), big.message());
    assertTrue(reserve("c", 2).isSuccess(), "an untyped volume counts against no type");
    assertTrue(this.<org.apache.pekko.Done>run(r -> new VolumeQuotaEntity.Reserve("a", 1, "gold", r)).isSuccess(),
        "the same volume again is not one more");
    kit.restart();
    assertEquals(1, kit.getState().usedOfType("volumes", "gold"));
    assertEquals(2, kit.getState().usedOfType("gigabytes", "silver"));
    this.<org.apache.pekko.Done>run(r -> new VolumeQuotaEntity.Release("a", r));
    assertEquals(0, kit.getState().usedOfType("volumes", "gold"));
  }

  @Test
  void backupsAreCountedApartFromVolumesWithCindersLimitsAndMessages() {
    this.<VolumeQuotaEntity.Quota>run(r -> new VolumeQuotaEntity.SetLimits(Map.of("backups", 2, "backup_gigabytes", 5), r));
    assertTrue(this.<org.apache.pekko.Done>run(r -> new VolumeQuotaEntity.ReserveBackup("b1", 3, r)).isSuccess());
    assertTrue(this.<org.apache.pekko.Done>run(r -> new VolumeQuotaEntity.ReserveBackup("b1", 3, r)).isSuccess());
    Rejection big = Rejection.from(this.<org.apache.pekko.Done>run(
        r -> new VolumeQuotaEntity.ReserveBackup("b2", 3, r)).getError());
    assertEquals(Rejection.Kind.TOO_MANY, big.kind());
    assertTrue(big.message().contains("Requested 3G, quota is 5G and 3G has been consumed."), big.message());
    assertTrue(this.<org.apache.pekko.Done>run(r -> new VolumeQuotaEntity.ReserveBackup("b2", 2, r)).isSuccess());
    Rejection many = Rejection.from(this.<org.apache.pekko.Done>run(
        r -> new VolumeQuotaEntity.ReserveBackup("b3", 0, r)).getError());
    assertTrue(many.message().startsWith("BackupLimitExceeded"), many.message());
    kit.restart();
    assertEquals(2, kit.getState().used("backups"));
    assertEquals(5, kit.getState().used("backup_gigabytes"));
    assertEquals(0, kit.getState().used("gigabytes"), "volumes' gigabytes are not backups'");
    this.<org.apache.pekko.Done>run(r -> new VolumeQuotaEntity.ReleaseBackup("b1", r));
    assertEquals(1, kit.getState().used("backups"));
  }

  @Test
  void aThirdVolumeIsRefusedAndTheSameReserveTwiceCountsOnce() {
    assertTrue(reserve("a", 1).isSuccess());
    assertTrue(reserve("a", 1).isSuccess());
    assertTrue(reserve("b", 1).isSuccess());
    Rejection why = Rejection.from(reserve("c", 1).getError());
    assertEquals(Rejection.Kind.TOO_MANY, why.kind());
    assertTrue(why.message().contains("Maximum number of volumes allowed (2) exceeded for quota 'volumes'."));
    assertEquals(2, kit.getState().used("gigabytes"));
  }

  @Test
  void anExtendCountsOnlyItsGrowthAndShrinkingBackAlwaysPasses() {
    assertTrue(reserve("a", 4).isSuccess());
    assertTrue(reserve("b", 2).isSuccess());
    assertTrue(reserve("a", 8).isSuccess(), "4 more: 10 in all");
    this.<VolumeQuotaEntity.Quota>run(r -> new VolumeQuotaEntity.SetLimits(Map.of("gigabytes", 1), r));
    assertTrue(reserve("a", 4).isSuccess(), "giving back passes even over a lowered limit");
    assertEquals(6, kit.getState().used("gigabytes"));
    assertTrue(this.<org.apache.pekko.Done>run(r -> new VolumeQuotaEntity.Release("a", r)).isSuccess());
    assertTrue(this.<org.apache.pekko.Done>run(r -> new VolumeQuotaEntity.Release("a", r)).isSuccess(), "released twice is fine");
    assertEquals(1, kit.getState().used("volumes"));
    kit.restart();
    assertEquals(2, kit.getState().used("gigabytes"));
  }

  @Test
  void snapshotsCountAsSnapshotsAndTheirGigabytesAndAreGivenBackOnce() {
    assertTrue(reserve("a", 4).isSuccess());
    assertTrue(this.<org.apache.pekko.Done>run(r -> new VolumeQuotaEntity.ReserveSnapshot("s1", 4, r)).isSuccess());
    assertTrue(this.<org.apache.pekko.Done>run(r -> new VolumeQuotaEntity.ReserveSnapshot("s1", 4, r)).isSuccess(), "the same twice counts once");
    StatusReply<org.apache.pekko.Done> big = this.<org.apache.pekko.Done>run(r -> new VolumeQuotaEntity.ReserveSnapshot("s2", 3, r));
    assertEquals("VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. Requested"
        + " 3G, quota is 10G and 8G has been consumed.", Rejection.from(big.getError()).message());
    assertTrue(this.<org.apache.pekko.Done>run(r -> new VolumeQuotaEntity.ReserveSnapshot("s2", 1, r)).isSuccess());
    StatusReply<org.apache.pekko.Done> third = this.<org.apache.pekko.Done>run(r -> new VolumeQuotaEntity.ReserveSnapshot("s3", 1, r));
    assertEquals(Rejection.Kind.TOO_MANY, Rejection.from(third.getError()).kind());
    assertEquals("SnapshotLimitExceeded: Maximum number of snapshots allowed (2) exceeded", Rejection.from(third.getError()).message());
    VolumeQuotaEntity.Quota q = this.<VolumeQuotaEntity.Quota>run(VolumeQuotaEntity.Get::new).getValue();
    assertEquals(2, q.used(VolumeQuotaEntity.SNAPSHOTS));
    assertEquals(1, q.used(VolumeQuotaEntity.VOLUMES));
    assertEquals(9, q.used(VolumeQuotaEntity.GIGABYTES));
    assertTrue(this.<org.apache.pekko.Done>run(r -> new VolumeQuotaEntity.ReleaseSnapshot("s1", r)).isSuccess());
    assertTrue(this.<org.apache.pekko.Done>run(r -> new VolumeQuotaEntity.ReleaseSnapshot("s1", r)).isSuccess());
    kit.restart();
    q = this.<VolumeQuotaEntity.Quota>run(VolumeQuotaEntity.Get::new).getValue();
    assertEquals(1, q.used(VolumeQuotaEntity.SNAPSHOTS));
    assertEquals(5, q.used(VolumeQuotaEntity.GIGABYTES));
  }

  @Test
  void aSnapshotCountsUnderItsVolumesTypeAndTheTypesSnapshotLimitStopsTheNextOfThatTypeOnly() {
    this.<VolumeQuotaEntity.Quota>run(r -> new VolumeQuotaEntity.SetLimits(Map.of("snapshots_gold", 1, "snapshots", 10,
        "gigabytes", 100), r));
    assertTrue(this.<org.apache.pekko.Done>run(r -> new VolumeQuotaEntity.ReserveSnapshot("s1", 2, "gold", r)).isSuccess());
    StatusReply<org.apache.pekko.Done> over = run(r -> new VolumeQuotaEntity.ReserveSnapshot("s2", 2, "gold", r));
    assertEquals(Rejection.Kind.TOO_MANY, Rejection.from(over.getError()).kind());
    assertEquals("SnapshotLimitExceeded: Maximum number of snapshots allowed (1) exceeded",
        Rejection.from(over.getError()).message());
    assertTrue(this.<org.apache.pekko.Done>run(r -> new VolumeQuotaEntity.ReserveSnapshot("s3", 2, "silver", r)).isSuccess(),
        "another type's");
    kit.restart();
    VolumeQuotaEntity.Quota q = this.<VolumeQuotaEntity.Quota>run(VolumeQuotaEntity.Get::new).getValue();
    assertEquals(List.of(1, 2, 1), List.of(q.usedOfType(VolumeQuotaEntity.SNAPSHOTS, "gold"),
        q.usedOfType(VolumeQuotaEntity.GIGABYTES, "gold"), q.usedOfType(VolumeQuotaEntity.SNAPSHOTS, "silver")));
    this.<VolumeQuotaEntity.Quota>run(r -> new VolumeQuotaEntity.SetLimits(Map.of("gigabytes_silver", 3), r));
    StatusReply<org.apache.pekko.Done> big = run(r -> new VolumeQuotaEntity.ReserveSnapshot("s4", 2, "silver", r));
    assertTrue(Rejection.from(big.getError()).message().contains("exceeds allowed gigabytes_silver quota"),
        Rejection.from(big.getError()).message());
    assertTrue(this.<org.apache.pekko.Done>run(r -> new VolumeQuotaEntity.ReleaseSnapshot("s1", r)).isSuccess());
    assertTrue(this.<org.apache.pekko.Done>run(r -> new VolumeQuotaEntity.ReserveSnapshot("s2", 2, "gold", r)).isSuccess(),
        "room again once one is given back");
  }
}
