package nimbus.compute;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import nimbus.cluster.Rejection;
import nimbus.config.ComputeSettings;
import nimbus.storage.Image;
import nimbus.storage.ImageMetadata;
import nimbus.testing.EntityTestSupport;
import nimbus.testing.ManualClock;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The server lifecycle, driven message by message against a scripted set of hosts. */
class ServerEntityTest extends EntityTestSupport {

  private final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
  private final ComputeSettings settings = new ComputeSettings(Duration.ofSeconds(60),
      Duration.ofSeconds(30), Duration.ofMillis(200), 2, ComputeSettings.Weigher.SPREAD,
      Duration.ofSeconds(10), 10, 20, 51200, Duration.ofSeconds(90), 10, 10);
  private ScriptedHosts hosts;
  private final ScriptedImages images = new ScriptedImages();
  private ScriptedPorts ports;
  private ScriptedVolumes volumes;
  private EventSourcedBehaviorTestKit<ServerEntity.Command, ServerEntity.Event, ServerEntity.State> kit;
  private String id;

  @BeforeEach
  void fresh() {
    hosts = new ScriptedHosts();
    ports = new ScriptedPorts();
    volumes = new ScriptedVolumes();
    id = UUID.randomUUID().toString();
    kit = EventSourcedBehaviorTestKit.create(testKit.system(),
        ServerEntity.create(id, hosts, images, ports, volumes, settings, clock, Optional.empty()));
  }

  private static ServerSpec spec() {
    return new ServerSpec("web-1", "p1", "u1", Flavor.byId("42").orElseThrow(),
        BootSource.none("img"), Map.of("role", "web"), Optional.of("my-key"), Optional.empty(), Optional.empty())
        .withGuestData(Optional.of(PUBLIC_KEY), Optional.of(USER_DATA), true);
  }

  private static final String PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG9v me@host";
  private static final String USER_DATA = "I2Nsb3VkLWNvbmZpZwo=";

  private ServerView create() {
    var result = kit.<StatusReply<ServerView>>runCommand(r -> new ServerEntity.Create(spec(), r));
    assertInstanceOf(ServerEntity.ServerRequested.class, result.event());
    return result.reply().getValue();
  }

  private ServerView get() {
    return kit.<StatusReply<ServerView>>runCommand(ServerEntity.Get::new).reply().getValue();
  }

  private void awaitStatus(String status) {
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(status, get().status());
      return null;
    });
  }

  private void activeOn(String host) {
    hosts.up(host);
    create();
    hosts.awaitCommand(host, HostAgentCommand.SpawnServer.class);
    kit.runCommand(new ServerEntity.Spawned(host, PowerState.RUNNING));
    awaitStatus("ACTIVE");
  }

  @Test
  void buildsOnTheBestHostAndBecomesActive() {
    hosts.up("h1");
    ServerView building = create();
    assertEquals("BUILD", building.status());
    assertEquals(Optional.of("scheduling"), building.taskState());
    HostAgentCommand.SpawnServer spawn = hosts.awaitCommand("h1", HostAgentCommand.SpawnServer.class);
    assertEquals(List.of("h1"), hosts.claimedOn());
    // what the guest reads about itself goes to its host
    assertEquals(id, spawn.instance().serverId());
    assertEquals(Optional.of("my-key"), spawn.instance().keyName());
    assertEquals(Optional.of(PUBLIC_KEY), spawn.instance().publicKey());
    assertEquals(Optional.of(USER_DATA), spawn.instance().userData());
    assertTrue(spawn.instance().configDrive());
    assertTrue(building.configDrive());
    assertEquals("spawning", get().taskState().orElseThrow());

    kit.runCommand(new ServerEntity.Spawned("h1", PowerState.RUNNING));
    ServerView active = get();
    assertEquals("ACTIVE", active.status());
    assertEquals(Optional.of("h1"), active.host());
    assertEquals(PowerState.RUNNING.code, active.powerState());
    assertTrue(active.launchedAt().isPresent());
  }

  @Test
  void aResizeHoldsBothFlavorsUntilConfirmed() {
    activeOn("h1");
    Flavor small = Flavor.byId("42").orElseThrow();
    Flavor tiny = Flavor.byId("1").orElseThrow();
    assertTrue(kit.<StatusReply<Done>>runCommand(r -> new ServerEntity.Resize(tiny, r)).reply().isSuccess());
    HostAgentCommand.ResizeServer resize = hosts.awaitCommand("h1", HostAgentCommand.ResizeServer.class);
    assertEquals(small.resources().max(tiny.resources()), hosts.claimed.get(hosts.claimed.size() - 1));
    assertEquals(tiny.resources(), resize.spawn().resources());
    assertEquals("RESIZE", get().status());
    kit.runCommand(new ServerEntity.TaskDone("h1", Task.RESIZE_MIGRATING, PowerState.RUNNING));
    assertEquals("VERIFY_RESIZE", get().status());
    assertEquals("1", get().flavor().id());
    kit.restart();
    assertEquals("VERIFY_RESIZE", get().status(), "a restart keeps the resize waiting");

    assertTrue(kit.<StatusReply<Done>>runCommand(ServerEntity.ConfirmResize::new).reply().isSuccess());
    assertEquals("ACTIVE", get().status());
    assertEquals("1", get().flavor().id());
    assertEquals(tiny.resources(), hosts.claimed.get(hosts.claimed.size() - 1), "the host now holds the new flavor only");
    assertEquals(List.of(tiny.resources()), hosts.quotaAdjustments);
  }

  @Test
  void aRevertedResizeGoesBackToTheOldFlavor() {
    activeOn("h1");
    Flavor tiny = Flavor.byId("1").orElseThrow();
    kit.<StatusReply<Done>>runCommand(r -> new ServerEntity.Resize(tiny, r));
    hosts.awaitCommand("h1", HostAgentCommand.ResizeServer.class);
    kit.runCommand(new ServerEntity.TaskDone("h1", Task.RESIZE_MIGRATING, PowerState.RUNNING));
    hosts.clearCommands();
    assertTrue(kit.<StatusReply<Done>>runCommand(ServerEntity.RevertResize::new).reply().isSuccess());
    assertEquals("REVERT_RESIZE", get().status());
    HostAgentCommand.ResizeServer back = hosts.awaitCommand("h1", HostAgentCommand.ResizeServer.class);
    assertEquals(Task.RESIZE_REVERTING, back.task());
    assertEquals(Flavor.byId("42").orElseThrow().resources(), back.spawn().resources());
    kit.runCommand(new ServerEntity.TaskDone("h1", Task.RESIZE_REVERTING, PowerState.RUNNING));
    assertEquals("ACTIVE", get().status());
    assertEquals("42", get().flavor().id());
  }

  @Test
  void aResizeTheHostCannotHoldEndsWhereItBegan() {
    activeOn("h1");
    hosts.refuseClaimsOn("h1");
    kit.<StatusReply<Done>>runCommand(r -> new ServerEntity.Resize(Flavor.byId("1").orElseThrow(), r));
    awaitStatus("ACTIVE");
    assertEquals("42", get().flavor().id());
    List<InstanceAction> actions = kit.<StatusReply<ServerEntity.Actions>>runCommand(ServerEntity.GetActions::new)
        .reply().getValue().actions();
    assertEquals("resize", actions.get(actions.size() - 1).action());
    assertEquals(Optional.of("Error"), actions.get(actions.size() - 1).message());
  }

  @Test
  void aResizeTheHostCannotHoldMovesTheServerToAnotherHost() {
    activeOn("h1");
    hosts.up("h2");
    hosts.refuseClaimsOn("h1");
    Flavor tiny = Flavor.byId("1").orElseThrow();
    kit.<StatusReply<Done>>runCommand(r -> new ServerEntity.Resize(tiny, r));
    hosts.awaitCommand("h1", HostAgentCommand.ExportDisk.class);
    assertEquals(tiny.resources(), hosts.claimed.get(hosts.claimed.size() - 1), "the target holds the new flavor");
    kit.runCommand(new ServerEntity.DiskExported("h1", Optional.of("ab12")));
    HostAgentCommand.SpawnServer spawn = hosts.awaitCommand("h2", HostAgentCommand.SpawnServer.class);
    assertEquals(Optional.of(BootSource.STORE_PREFIX + "ab12"), spawn.boot().disk(), "it boots the copied disk");
    assertEquals(tiny.resources(), spawn.resources());
    kit.runCommand(new ServerEntity.Spawned("h2", PowerState.RUNNING));
    assertEquals("VERIFY_RESIZE", get().status());
    assertEquals(Optional.of("h2"), get().host());
    kit.restart();

    hosts.clearCommands();
    assertTrue(kit.<StatusReply<Done>>runCommand(ServerEntity.ConfirmResize::new).reply().isSuccess());
    assertEquals("ACTIVE", get().status());
    hosts.awaitCommand("h1", HostAgentCommand.DestroyServer.class);
    assertTrue(hosts.released().contains("h1"), "the source gives its room back");
  }

  @Test
  void aMovedServerRevertsToItsSource() {
    activeOn("h1");
    hosts.up("h2");
    hosts.refuseClaimsOn("h1");
    kit.<StatusReply<Done>>runCommand(r -> new ServerEntity.Resize(Flavor.byId("1").orElseThrow(), r));
    hosts.awaitCommand("h1", HostAgentCommand.ExportDisk.class);
    kit.runCommand(new ServerEntity.DiskExported("h1", Optional.empty()));
    hosts.awaitCommand("h2", HostAgentCommand.SpawnServer.class);
    kit.runCommand(new ServerEntity.Spawned("h2", PowerState.RUNNING));
    hosts.clearCommands();

    kit.<StatusReply<Done>>runCommand(ServerEntity.RevertResize::new);
    assertEquals("REVERT_RESIZE", get().status());
    hosts.awaitCommand("h2", HostAgentCommand.DestroyServer.class);
    kit.runCommand(new ServerEntity.Destroyed("h2"));
    assertEquals("ACTIVE", get().status());
    assertEquals(Optional.of("h1"), get().host());
    assertEquals("42", get().flavor().id());
    hosts.awaitCommand("h1", HostAgentCommand.StartServer.class);
    assertTrue(hosts.released().contains("h2"), "the target gives its room back");
  }

  @Test
  void aSnapshotRunsOnTheHostAndTheServerGoesBackToWhatItWas() {
    activeOn("h1");
    assertTrue(kit.<StatusReply<Done>>runCommand(r -> new ServerEntity.CreateImage(queuedImage("image-1"), r)).reply().isSuccess());
    assertEquals(Optional.of("image_snapshot"), get().taskState());
    assertEquals("image-1", hosts.awaitCommand("h1", HostAgentCommand.SnapshotServer.class).imageId());
    assertTrue(kit.<StatusReply<Done>>runCommand(ServerEntity.Stop::new).reply().isError(), "one task at a time");
    kit.runCommand(new ServerEntity.TaskDone("h1", Task.IMAGE_SNAPSHOT, PowerState.RUNNING));
    assertEquals("ACTIVE", get().status());
    assertEquals(Optional.empty(), get().taskState());
  }

  @Test
  void aPausedServerIsSnapshottedAndStaysPaused() {
    activeOn("h1");
    kit.<StatusReply<Done>>runCommand(ServerEntity.Pause::new);
    kit.runCommand(new ServerEntity.TaskDone("h1", Task.PAUSING, PowerState.PAUSED));
    assertEquals("PAUSED", get().status());
    assertTrue(kit.<StatusReply<Done>>runCommand(r -> new ServerEntity.CreateImage(queuedImage("image-2"), r)).reply().isSuccess());
    assertEquals("PAUSED", get().status());
    assertEquals(Optional.of("image_snapshot"), get().taskState());
    hosts.awaitCommand("h1", HostAgentCommand.SnapshotServer.class);
    kit.runCommand(new ServerEntity.TaskDone("h1", Task.IMAGE_SNAPSHOT, PowerState.PAUSED));
    assertEquals("PAUSED", get().status());
    assertEquals(Optional.empty(), get().taskState());
  }

  @Test
  void aResizeOverTheQuotaIsRefusedAndLeavesNoTrace() {
    activeOn("h1");
    int claims = hosts.claimed.size();
    hosts.quotaRefusal = Optional.of(new Rejection(Rejection.Kind.FORBIDDEN, "Quota exceeded for cores"));
    StatusReply<Done> refused = kit.<StatusReply<Done>>runCommand(
        r -> new ServerEntity.Resize(Flavor.byId("1").orElseThrow(), r)).reply();
    assertEquals(Rejection.Kind.FORBIDDEN, Rejection.from(refused.getError()).kind());
    assertEquals("ACTIVE", get().status());
    assertEquals(claims, hosts.claimed.size(), "no host was asked for room");
    List<InstanceAction> actions = kit.<StatusReply<ServerEntity.Actions>>runCommand(ServerEntity.GetActions::new)
        .reply().getValue().actions();
    assertEquals(List.of("create"), actions.stream().map(InstanceAction::action).toList());
  }

  @Test
  void aResizeHoldsItsQuotaBeforeItClaimsAndResumesThatStepAfterARestart() {
    activeOn("h1");
    Flavor tiny = Flavor.byId("1").orElseThrow();
    Resources larger = Flavor.byId("42").orElseThrow().resources().max(tiny.resources());
    kit.<StatusReply<Done>>runCommand(r -> new ServerEntity.Resize(tiny, r));
    hosts.awaitCommand("h1", HostAgentCommand.ResizeServer.class);
    assertEquals(List.of(larger), hosts.quotaReservations);
    kit.restart();
    hosts.clearCommands();
    hosts.awaitCommand("h1", HostAgentCommand.ResizeServer.class); // the step in flight is sent again
    assertEquals(List.of(larger), hosts.quotaReservations, "a held quota is not asked again");
  }

  @Test
  void aSnapshotCreatesItsImageFirstAndDiscardsItWhenTheHostFails() {
    activeOn("h1");
    assertTrue(kit.<StatusReply<Done>>runCommand(r -> new ServerEntity.CreateImage(queuedImage("image-3"), r))
        .reply().isSuccess());
    assertEquals(List.of("image-3"), images.created, "answered once the image exists");
    hosts.awaitCommand("h1", HostAgentCommand.SnapshotServer.class);
    kit.runCommand(new ServerEntity.TaskFailedOnHost("h1", Task.IMAGE_SNAPSHOT, "disk full"));
    awaitStatus("ACTIVE");
    assertEquals(List.of("image-3"), images.discarded, "an image that will never have data goes");
    List<InstanceAction> actions = kit.<StatusReply<ServerEntity.Actions>>runCommand(ServerEntity.GetActions::new)
        .reply().getValue().actions();
    assertEquals(Optional.of("Error"), actions.get(actions.size() - 1).message());
  }

  @Test
  void aSnapshotWhoseImageIsRefusedDoesNotHappen() {
    activeOn("h1");
    images.refusal = Optional.of(new Rejection(Rejection.Kind.TOO_MANY, "image_count_total exceeded"));
    StatusReply<Done> refused = kit.<StatusReply<Done>>runCommand(
        r -> new ServerEntity.CreateImage(queuedImage("image-4"), r)).reply();
    assertEquals(Rejection.Kind.TOO_MANY, Rejection.from(refused.getError()).kind());
    assertEquals("ACTIVE", get().status());
    assertEquals(Optional.empty(), get().taskState());
  }

  @Test
  void aServerDeletedMidSnapshotDiscardsTheImage() {
    activeOn("h1");
    kit.<StatusReply<Done>>runCommand(r -> new ServerEntity.CreateImage(queuedImage("image-5"), r));
    hosts.awaitCommand("h1", HostAgentCommand.SnapshotServer.class);
    assertTrue(kit.<StatusReply<Done>>runCommand(ServerEntity.Delete::new).reply().isSuccess());
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(images.discarded.contains("image-5"));
      return null;
    });
  }

  @Test
  void endsInErrorWhenNoHostFits() {
    create();
    awaitStatus("ERROR");
    assertTrue(get().fault().orElseThrow().message().startsWith("No valid host was found"));
  }

  @Test
  void rightAfterANodeStartsItWaitsForHostsToReport() {
    hosts.settled = false;
    create();
    hosts.up("late");
    hosts.awaitCommand("late", HostAgentCommand.SpawnServer.class);
    assertEquals("BUILD", get().status());
  }

  @Test
  void aRefusedClaimMovesToTheNextHost() {
    hosts.up("h1");
    hosts.up("h2");
    hosts.refuseClaimsOn("h1");
    create();
    hosts.awaitCommand("h2", HostAgentCommand.SpawnServer.class);
    kit.runCommand(new ServerEntity.Spawned("h2", PowerState.RUNNING));
    assertEquals(Optional.of("h2"), get().host());
  }

  @Test
  void aFailedSpawnOnTheOnlyHostEndsInErrorWithTheReason() {
    hosts.up("h1");
    create();
    hosts.awaitCommand("h1", HostAgentCommand.SpawnServer.class);
    kit.runCommand(new ServerEntity.SpawnFailed("h1", "Image refused on this host"));
    awaitStatus("ERROR");
    assertTrue(get().fault().orElseThrow().message().contains("Image refused on this host"),
        get().fault().orElseThrow().message());
  }

  @Test
  void aFailedSpawnReschedulesThenGivesUpWithTheReason() {
    hosts.up("h1");
    hosts.up("h2");
    create();
    String first = hosts.awaitSpawnOnAnyBut("");
    kit.runCommand(new ServerEntity.SpawnFailed(first, "disk full"));
    assertTrue(hosts.released().contains(first));
    String second = hosts.awaitSpawnOnAnyBut(first);
    kit.runCommand(new ServerEntity.SpawnFailed(second, "kernel missing"));
    awaitStatus("ERROR");
    assertTrue(get().fault().orElseThrow().message().contains("kernel missing"));
    assertTrue(hosts.released().contains(second));
  }

  @Test
  void aBuildThatNeverAnswersTimesOut() {
    hosts.up("h1");
    create();
    hosts.awaitCommand("h1", HostAgentCommand.SpawnServer.class);
    clock.advance(settings.buildTimeout().plusSeconds(1));
    awaitStatus("ERROR");
    assertTrue(get().fault().orElseThrow().message().contains("timed out"));
    assertTrue(hosts.released().contains("h1"));
  }

  @Test
  void recoversMidBuildAndCarriesOn() {
    hosts.up("h1");
    create();
    hosts.awaitCommand("h1", HostAgentCommand.SpawnServer.class);
    hosts.clearCommands();
    kit.restart();
    // the restarted entity claims again (idempotent) and re-sends the spawn
    hosts.awaitCommand("h1", HostAgentCommand.SpawnServer.class);
    kit.runCommand(new ServerEntity.Spawned("h1", PowerState.RUNNING));
    assertEquals("ACTIVE", get().status());
  }

  private StatusReply<ServerEntity.Metadata> changeMetadata(Map<String, String> items, boolean replace,
      Optional<String> delete) {
    return kit.<StatusReply<ServerEntity.Metadata>>runCommand(r -> new ServerEntity.ChangeMetadata(items, replace, delete, r))
        .reply();
  }

  @Test
  void metadataChangesInSettledStatesOnlyAndSurvivesARestart() {
    hosts.up("h1");
    create();
    assertEquals(Rejection.Kind.CONFLICT,
        Rejection.from(changeMetadata(Map.of("a", "1"), false, Optional.empty()).getError()).kind(), "not while building");
    hosts.awaitCommand("h1", HostAgentCommand.SpawnServer.class);
    kit.runCommand(new ServerEntity.Spawned("h1", PowerState.RUNNING));

    assertEquals(Map.of("role", "web", "a", "1"), changeMetadata(Map.of("a", "1"), false, Optional.empty()).getValue().items());
    assertEquals(Map.of("b", "2"), changeMetadata(Map.of("b", "2"), true, Optional.empty()).getValue().items());
    assertEquals(Map.of(), changeMetadata(Map.of(), false, Optional.of("b")).getValue().items());
    assertEquals(Rejection.Kind.NOT_FOUND,
        Rejection.from(changeMetadata(Map.of(), false, Optional.of("b")).getError()).kind());
    Map<String, String> many = new java.util.HashMap<>();
    for (int i = 0; i < 129; i++) many.put("k" + i, "v");
    assertEquals(Rejection.Kind.FORBIDDEN, Rejection.from(changeMetadata(many, false, Optional.empty()).getError()).kind());

    changeMetadata(Map.of("kept", "yes"), false, Optional.empty());
    kit.restart();
    assertEquals(Map.of("kept", "yes"), get().metadata());
    assertTrue(get().configDrive(), "new metadata leave what the guest reads about itself");
  }

  /** Found by ApiFuzzTest: an interface change a building server cannot take is refused, not a crash. */
  @Test
  void nicChangesOutsideASettledStateAreRefused() {
    hosts.up("h1");
    create();
    var detach = kit.<StatusReply<Done>>runCommand(r -> new ServerEntity.DetachNic("port-1", r));
    assertEquals(Rejection.Kind.CONFLICT, Rejection.from(detach.reply().getError()).kind());
    var attach = kit.<StatusReply<Done>>runCommand(r -> new ServerEntity.AttachNic(
        NicRequest.onNetwork("net-1", Optional.empty()), "port-2", r));
    assertEquals(Rejection.Kind.CONFLICT, Rejection.from(attach.reply().getError()).kind());
  }

  @Test
  void stopStartAndReboot() {
    activeOn("h1");
    var stop = kit.<StatusReply<Done>>runCommand(ServerEntity.Stop::new);
    assertTrue(stop.reply().isSuccess());
    assertEquals("powering-off", get().taskState().orElseThrow());
    hosts.awaitCommand("h1", HostAgentCommand.StopServer.class);
    var again = kit.<StatusReply<Done>>runCommand(ServerEntity.Stop::new);
    assertEquals(Rejection.Kind.CONFLICT, Rejection.from(again.reply().getError()).kind());
    kit.runCommand(new ServerEntity.TaskDone("h1", Task.POWERING_OFF, PowerState.SHUTDOWN));
    assertEquals("SHUTOFF", get().status());

    var startWhileStopped = kit.<StatusReply<Done>>runCommand(r -> new ServerEntity.Reboot(false, r));
    assertTrue(startWhileStopped.reply().isError());
    kit.<StatusReply<Done>>runCommand(ServerEntity.Start::new);
    hosts.awaitCommand("h1", HostAgentCommand.StartServer.class);
    kit.runCommand(new ServerEntity.TaskDone("h1", Task.POWERING_ON, PowerState.RUNNING));
    assertEquals("ACTIVE", get().status());

    kit.<StatusReply<Done>>runCommand(r -> new ServerEntity.Reboot(true, r));
    assertEquals("HARD_REBOOT", get().status());
    hosts.awaitCommand("h1", HostAgentCommand.RebootServer.class);
    kit.runCommand(new ServerEntity.TaskDone("h1", Task.REBOOTING_HARD, PowerState.RUNNING));
    assertEquals("ACTIVE", get().status());
  }

  @Test
  void pauseUnpauseSuspendResume() {
    activeOn("h1");
    assertTrue(kit.<StatusReply<Done>>runCommand(ServerEntity.Pause::new).reply().isSuccess());
    assertEquals("pausing", get().taskState().orElseThrow());
    hosts.awaitCommand("h1", HostAgentCommand.PauseServer.class);
    kit.runCommand(new ServerEntity.TaskDone("h1", Task.PAUSING, PowerState.PAUSED));
    assertEquals("PAUSED", get().status());
    assertTrue(kit.<StatusReply<Done>>runCommand(ServerEntity.Suspend::new).reply().isError());
    kit.<StatusReply<Done>>runCommand(ServerEntity.Unpause::new);
    hosts.awaitCommand("h1", HostAgentCommand.UnpauseServer.class);
    kit.runCommand(new ServerEntity.TaskDone("h1", Task.UNPAUSING, PowerState.RUNNING));
    assertEquals("ACTIVE", get().status());

    kit.<StatusReply<Done>>runCommand(ServerEntity.Suspend::new);
    hosts.awaitCommand("h1", HostAgentCommand.SuspendServer.class);
    // the domain stopping while it is being suspended is no stop
    kit.runCommand(new ServerEntity.PowerObserved("h1", PowerState.SHUTDOWN, true));
    kit.runCommand(new ServerEntity.TaskDone("h1", Task.SUSPENDING, PowerState.SUSPENDED));
    assertEquals("SUSPENDED", get().status());
    assertEquals(PowerState.SUSPENDED.code, get().powerState());
    kit.restart();
    assertEquals("SUSPENDED", get().status());
    kit.<StatusReply<Done>>runCommand(ServerEntity.Resume::new);
    hosts.awaitCommand("h1", HostAgentCommand.ResumeServer.class);
    kit.runCommand(new ServerEntity.TaskDone("h1", Task.RESUMING, PowerState.RUNNING));
    assertEquals("ACTIVE", get().status());
  }

  @Test
  void rebuildRespawnsFromTheNewImage() {
    activeOn("h1");
    hosts.clearCommands();
    BootSource other = BootSource.none("other-image");
    var reply = kit.<StatusReply<ServerView>>runCommand(r -> new ServerEntity.Rebuild(other, Optional.of("rebuilt"), AccessAddresses.NONE, r));
    assertEquals("rebuilding", reply.reply().getValue().taskState().orElseThrow());
    assertEquals("other-image", get().imageId());
    assertEquals("rebuilt", get().name());
    HostAgentCommand.RebuildServer rebuild = hosts.awaitCommand("h1", HostAgentCommand.RebuildServer.class);
    assertEquals("other-image", rebuild.spawn().boot().imageId());
    // a rebuild keeps the user data, key and config drive (Nova's 2.1 rebuild cannot change them)
    assertEquals(Optional.of(USER_DATA), rebuild.spawn().instance().userData());
    assertEquals(Optional.of(PUBLIC_KEY), rebuild.spawn().instance().publicKey());
    assertTrue(rebuild.spawn().instance().configDrive());
    assertEquals("rebuilt", rebuild.spawn().instance().name());
    kit.runCommand(new ServerEntity.TaskDone("h1", Task.REBUILDING, PowerState.RUNNING));
    assertEquals("ACTIVE", get().status());
    assertTrue(get().taskState().isEmpty());
  }

  @Test
  void eachActionRecordsTheRequestThatBeganItAndKeepsItOverARestart() {
    hosts.up("h1");
    kit.<StatusReply<ServerView>>runCommand(r -> new ServerEntity.ForRequest("req-create",
        new ServerEntity.Create(spec(), r)));
    hosts.awaitCommand("h1", HostAgentCommand.SpawnServer.class);
    kit.runCommand(new ServerEntity.Spawned("h1", PowerState.RUNNING));
    awaitStatus("ACTIVE");
    var stop = kit.<StatusReply<Done>>runCommand(r -> new ServerEntity.ForRequest("req-stop", new ServerEntity.Stop(r)));
    assertTrue(stop.reply().isSuccess());
    assertEquals(Optional.of("req-stop"), ((ServerEntity.StopRequested) stop.event()).requestId());
    // a command that came without a request records none
    kit.runCommand(new ServerEntity.TaskDone("h1", Task.POWERING_OFF, PowerState.SHUTDOWN));
    kit.<StatusReply<Done>>runCommand(ServerEntity.Start::new);
    kit.restart();
    List<InstanceAction> actions = kit.<StatusReply<ServerEntity.Actions>>runCommand(ServerEntity.GetActions::new)
        .reply().getValue().actions();
    assertEquals(List.of("create", "stop", "start"), actions.stream().map(InstanceAction::action).toList());
    assertEquals(List.of(Optional.of("req-create"), Optional.of("req-stop"), Optional.empty()),
        actions.stream().map(InstanceAction::requestId).toList());
  }

  @Test
  void accessAddressesAreSetAtCreateAndChangedOneByOneByUpdatesAndRebuilds() {
    hosts.up("h1");
    AccessAddresses given = new AccessAddresses(Optional.of("192.0.2.10"), Optional.of("2001:db8::10"));
    kit.<StatusReply<ServerView>>runCommand(r -> new ServerEntity.Create(spec().withAccess(given), r));
    hosts.awaitCommand("h1", HostAgentCommand.SpawnServer.class);
    kit.runCommand(new ServerEntity.Spawned("h1", PowerState.RUNNING));
    assertEquals(given, get().access());

    var renamed = kit.<StatusReply<ServerView>>runCommand(r -> new ServerEntity.Update(Optional.of("web-2"),
        new AccessAddresses(Optional.of("192.0.2.20"), Optional.empty()), r));
    assertEquals("web-2", renamed.reply().getValue().name());
    assertEquals(new AccessAddresses(Optional.of("192.0.2.20"), Optional.of("2001:db8::10")),
        renamed.reply().getValue().access());
    var unchanged = kit.<StatusReply<ServerView>>runCommand(r -> new ServerEntity.Update(Optional.empty(),
        AccessAddresses.NONE, r));
    assertTrue(unchanged.events().isEmpty(), "nothing to change, nothing persisted");
    assertEquals("web-2", unchanged.reply().getValue().name());

    var rebuilt = kit.<StatusReply<ServerView>>runCommand(r -> new ServerEntity.Rebuild(BootSource.none("img"),
        Optional.empty(), new AccessAddresses(Optional.empty(), Optional.of("2001:db8::30")), r));
    assertEquals(new AccessAddresses(Optional.of("192.0.2.20"), Optional.of("2001:db8::30")),
        rebuilt.reply().getValue().access());
    kit.restart();
    assertEquals(new AccessAddresses(Optional.of("192.0.2.20"), Optional.of("2001:db8::30")), get().access());
  }

  /** Nova's tags: refused while building, one added once, 50 at most, a missing one 404; kept across a restart. */
  @Test
  void tagsAreChangedInSettledStatesAndKept() {
    hosts.up("h1");
    kit.<StatusReply<ServerView>>runCommand(r -> new ServerEntity.Create(spec(), r));
    var building = kit.<StatusReply<ServerEntity.Tags>>runCommand(r -> new ServerEntity.ChangeTags(Optional.empty(),
        Optional.of("a"), Optional.empty(), r));
    assertTrue(building.reply().getError().getMessage().contains("Cannot 'update tag' instance"),
        building.reply().getError().getMessage());
    hosts.awaitCommand("h1", HostAgentCommand.SpawnServer.class);
    kit.runCommand(new ServerEntity.Spawned("h1", PowerState.RUNNING));

    var replaced = kit.<StatusReply<ServerEntity.Tags>>runCommand(r -> new ServerEntity.ChangeTags(
        Optional.of(List.of("b", "a", "b")), Optional.empty(), Optional.empty(), r));
    assertEquals(List.of("b", "a"), replaced.reply().getValue().tags(), "each tag once, in order");
    var again = kit.<StatusReply<ServerEntity.Tags>>runCommand(r -> new ServerEntity.ChangeTags(Optional.empty(),
        Optional.of("a"), Optional.empty(), r));
    assertFalse(again.reply().getValue().changed());
    assertTrue(again.events().isEmpty(), "nothing to change, nothing persisted");
    var missing = kit.<StatusReply<ServerEntity.Tags>>runCommand(r -> new ServerEntity.ChangeTags(Optional.empty(),
        Optional.empty(), Optional.of("zz"), r));
    assertTrue(missing.reply().isError());
    List<String> fifty = new java.util.ArrayList<>();
    for (int i = 0; i < 50; i++) fifty.add("t" + i);
    kit.<StatusReply<ServerEntity.Tags>>runCommand(r -> new ServerEntity.ChangeTags(Optional.of(fifty),
        Optional.empty(), Optional.empty(), r));
    var tooMany = kit.<StatusReply<ServerEntity.Tags>>runCommand(r -> new ServerEntity.ChangeTags(Optional.empty(),
        Optional.of("t50"), Optional.empty(), r));
    assertTrue(tooMany.reply().getError().getMessage().contains("per-server limit 50"));
    kit.restart();
    assertEquals(fifty, get().tags());
  }

  @Test
  void aDomainThatWentDownOnTheHostMakesTheServerShutoff() {
    activeOn("h1");
    kit.runCommand(new ServerEntity.PowerObserved("h1", PowerState.SHUTDOWN, true));
    assertEquals("SHUTOFF", get().status());
    assertEquals(PowerState.SHUTDOWN.code, get().powerState());
  }

  @Test
  void aDomainTheHostLostIsSpawnedAgain() {
    activeOn("h1");
    hosts.clearCommands();
    kit.runCommand(new ServerEntity.PowerObserved("h1", PowerState.NOSTATE, false));
    HostAgentCommand.SpawnServer spawn = hosts.awaitCommand("h1", HostAgentCommand.SpawnServer.class);
    assertTrue(spawn.start());
    assertEquals("ACTIVE", get().status());
  }

  @Test
  void deleteDestroysOnTheHostThenReleasesAndDisappears() {
    activeOn("h1");
    var delete = kit.<StatusReply<Done>>runCommand(ServerEntity.Delete::new);
    assertTrue(delete.reply().isSuccess());
    assertEquals("deleting", get().taskState().orElseThrow());
    hosts.awaitCommand("h1", HostAgentCommand.DestroyServer.class);
    ports.releaseAnswer = null; // its ports' release goes unanswered for now
    kit.runCommand(new ServerEntity.Destroyed("h1"));
    assertInstanceOf(ServerEntity.Deleted.class, kit.getState());
    assertEquals("DELETED", get().status(), "shown until what it held is given back, its ports first");
    ports.releaseAnswer = StatusReply.ack();
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(((ServerEntity.Deleted) kit.getState()).released(), "what it held is given back, as a step");
      return null;
    });
    var gone = kit.<StatusReply<ServerView>>runCommand(ServerEntity.Get::new);
    assertEquals(Rejection.Kind.NOT_FOUND, Rejection.from(gone.reply().getError()).kind());
    assertTrue(hosts.released().contains("h1"));
    // the release step was asked again while its ports did not answer: each part is idempotent
    assertEquals(List.of("p1/" + id), hosts.quotaReleases.stream().distinct().toList());
  }

  @Test
  void deleteDuringABuildDestroysAndReleasesOnTheBuildingHost() {
    hosts.up("h1");
    create();
    hosts.awaitCommand("h1", HostAgentCommand.SpawnServer.class);
    kit.<StatusReply<Done>>runCommand(ServerEntity.Delete::new);
    hosts.awaitCommand("h1", HostAgentCommand.DestroyServer.class);
    kit.runCommand(new ServerEntity.Destroyed("h1"));
    assertInstanceOf(ServerEntity.Deleted.class, kit.getState());
    assertTrue(hosts.released().contains("h1"));
  }

  @Test
  void deleteWithAnUnresponsiveHostStillEndsDeleted() {
    activeOn("h1");
    kit.<StatusReply<Done>>runCommand(ServerEntity.Delete::new);
    clock.advance(settings.taskTimeout().plusSeconds(1));
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertInstanceOf(ServerEntity.Deleted.class, kit.getState());
      return null;
    });
  }

  @Test
  void createIsIdempotentAndUnknownServersAreNotFound() {
    hosts.up("h1");
    create();
    hosts.awaitCommand("h1", HostAgentCommand.SpawnServer.class); // the claim's event is written before
    var again = kit.<StatusReply<ServerView>>runCommand(r -> new ServerEntity.Create(spec(), r));
    assertTrue(again.reply().isSuccess());
    assertTrue(again.hasNoEvents());

    var other = EventSourcedBehaviorTestKit.<ServerEntity.Command, ServerEntity.Event, ServerEntity.State>create(
        testKit.system(), ServerEntity.create(UUID.randomUUID().toString(), hosts, images, ports, volumes, settings, clock,
            Optional.empty()));
    var missing = other.<StatusReply<ServerView>>runCommand(ServerEntity.Get::new);
    assertEquals(Rejection.Kind.NOT_FOUND, Rejection.from(missing.reply().getError()).kind());
  }

  // ---------------------------------------------------------------- ports

  private static final NicRequest ON_NET1 = NicRequest.onNetwork("net1", Optional.empty());

  private ServerView createOnNetworks(List<NicRequest> nics) {
    ServerSpec s = spec();
    ServerSpec withNics = new ServerSpec(s.name(), s.projectId(), s.userId(), s.flavor(), s.boot(), s.metadata(),
        s.keyName(), s.group(), s.availabilityZone(), ServerNetworks.of(nics));
    return kit.<StatusReply<ServerView>>runCommand(r -> new ServerEntity.Create(withNics, r)).reply().getValue();
  }

  @Test
  void portsAreMadeBeforeSchedulingAndBoundToTheHostBeforeTheSpawn() {
    hosts.up("h1");
    createOnNetworks(List.of(ON_NET1));
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(ports.asked.size() >= 2, "the allocation is asked until answered: " + ports.asked);
      return null;
    });
    assertTrue(hosts.claimedOn().isEmpty(), "no host before the ports");
    ports.answer = StatusReply.success(List.of(ports.port(id)));
    HostAgentCommand.SpawnServer spawn = hosts.awaitCommand("h1", HostAgentCommand.SpawnServer.class);
    assertEquals(List.of("bind h1"), ports.bound);
    assertEquals(List.of(ports.port(id).boundTo("h1")), spawn.ports());
    assertFalse(spawn.hostLocal());
    kit.runCommand(new ServerEntity.Spawned("h1", PowerState.RUNNING));
    assertEquals("10.0.0.5", get().ports().get(0).fixedIps().get(0).ipAddress());
  }

  @Test
  void portsThatCannotBeMadeEndTheBuildAndGoWithTheDelete() {
    hosts.up("h1");
    createOnNetworks(List.of(ON_NET1));
    ports.answer = Rejection.of(Rejection.Kind.CONFLICT, "IpAddressGenerationFailure: No more IP addresses available");
    awaitStatus("ERROR");
    assertTrue(get().fault().orElseThrow().message().contains("No more IP addresses available"));
    assertTrue(hosts.claimedOn().isEmpty());
    kit.<StatusReply<Done>>runCommand(ServerEntity.Delete::new);
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(((ServerEntity.Deleted) kit.getState()).released());
      return null;
    });
    assertEquals(List.of(ServerPorts.portId(id, 0) + " deleted"), ports.released);
  }

  @Test
  void portsThatNeverAnswerEndTheBuildAtTheTaskTimeout() {
    hosts.up("h1");
    createOnNetworks(List.of(ON_NET1));
    clock.advance(settings.taskTimeout().plusSeconds(1));
    awaitStatus("ERROR");
    assertTrue(get().fault().orElseThrow().message().contains("timed out waiting for its ports"));
  }

  private ServerPort extraPort(String portId) {
    return new ServerPort(portId, "net2", "second", "fa:16:3e:00:00:07",
        List.of(new nimbus.network.FixedIp("sub2", "10.1.0.7")), true, Optional.empty());
  }

  private TestProbe<StatusReply<Done>> attachNic(String portId) {
    TestProbe<StatusReply<Done>> client = testKit.createTestProbe();
    kit.runCommand(new ServerEntity.AttachNic(NicRequest.onNetwork("net2", Optional.empty()), portId, client.ref()));
    return client;
  }

  @Test
  void aNicIsAttachedAsStepsAndTheClientAnsweredOncePlugged() {
    activeOn("h1");
    TestProbe<StatusReply<Done>> client = attachNic("p2");
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(ports.asked.contains("p2"));
      return null;
    });
    ports.oneAnswer = StatusReply.success(extraPort("p2"));
    HostAgentCommand.AttachNic plug = hosts.awaitCommand("h1", HostAgentCommand.AttachNic.class);
    assertEquals(Optional.of("h1"), plug.port().boundTo());
    assertTrue(ports.bound.contains("bind h1"));
    client.expectNoMessage(Duration.ofMillis(100));
    kit.runCommand(new ServerEntity.NicPlugged("h1", "p2"));
    assertTrue(client.receiveMessage(Duration.ofSeconds(5)).isSuccess());
    assertEquals("ACTIVE", get().status());
    assertEquals(List.of("p2"), get().ports().stream().map(ServerPort::portId).toList());
    assertTrue(kit.<StatusReply<ServerEntity.Actions>>runCommand(ServerEntity.GetActions::new).reply().getValue()
        .actions().stream().anyMatch(a -> a.action().equals("attach_interface")));
  }

  @Test
  void aNicTheHostCannotPlugIsTakenOutAndItsPortGivenBack() {
    activeOn("h1");
    ports.oneAnswer = StatusReply.success(extraPort("p3"));
    TestProbe<StatusReply<Done>> client = attachNic("p3");
    hosts.awaitCommand("h1", HostAgentCommand.AttachNic.class);
    kit.runCommand(new ServerEntity.NicPlugFailed("h1", "p3", "no such bridge"));
    assertTrue(client.receiveMessage(Duration.ofSeconds(5)).getError().getMessage().contains("no such bridge"));
    hosts.awaitCommand("h1", HostAgentCommand.DetachNic.class);
    kit.runCommand(new ServerEntity.NicUnplugged("h1", "p3"));
    awaitStatus("ACTIVE");
    assertEquals(List.of("p3 deleted"), ports.released);
    assertTrue(get().ports().isEmpty());
  }

  @Test
  void aDetachedNicIsUnpluggedThenItsPortDeletedAndADeleteGivesBackTheRest() {
    activeOn("h1");
    ports.oneAnswer = StatusReply.success(extraPort("p4"));
    TestProbe<StatusReply<Done>> client = attachNic("p4");
    hosts.awaitCommand("h1", HostAgentCommand.AttachNic.class);
    kit.runCommand(new ServerEntity.NicPlugged("h1", "p4"));
    client.receiveMessage(Duration.ofSeconds(5));
    assertTrue(kit.<StatusReply<Done>>runCommand(r -> new ServerEntity.DetachNic("p4", r)).reply().isSuccess());
    assertTrue(kit.<StatusReply<Done>>runCommand(r -> new ServerEntity.DetachNic("p4", r)).reply().isError(),
        "one NIC change at a time");
    hosts.awaitCommand("h1", HostAgentCommand.DetachNic.class);
    kit.runCommand(new ServerEntity.NicUnplugged("h1", "p4"));
    awaitStatus("ACTIVE");
    assertEquals(List.of("p4 deleted"), ports.released);
    assertTrue(kit.<StatusReply<Done>>runCommand(r -> new ServerEntity.DetachNic("p4", r)).reply().isError(),
        "no longer attached");
  }

  @Test
  void aMovedServersPortsAreBoundToItsTargetBeforeTheSpawnThereAndBackWhenReverted() {
    hosts.up("h1");
    createOnNetworks(List.of(ON_NET1));
    ports.answer = StatusReply.success(List.of(ports.port(id)));
    hosts.awaitCommand("h1", HostAgentCommand.SpawnServer.class);
    kit.runCommand(new ServerEntity.Spawned("h1", PowerState.RUNNING));
    hosts.up("h2");
    hosts.refuseClaimsOn("h1");
    kit.<StatusReply<Done>>runCommand(r -> new ServerEntity.Resize(Flavor.byId("1").orElseThrow(), r));
    hosts.awaitCommand("h1", HostAgentCommand.ExportDisk.class);
    kit.runCommand(new ServerEntity.DiskExported("h1", Optional.empty()));
    HostAgentCommand.SpawnServer spawn = hosts.awaitCommand("h2", HostAgentCommand.SpawnServer.class);
    assertEquals(List.of("bind h1", "bind h2"), ports.bound, "bound to the target before the spawn there");
    assertEquals(Optional.of("h2"), spawn.ports().get(0).boundTo());
    kit.runCommand(new ServerEntity.Spawned("h2", PowerState.RUNNING));
    kit.<StatusReply<Done>>runCommand(ServerEntity.RevertResize::new);
    hosts.awaitCommand("h2", HostAgentCommand.DestroyServer.class);
    kit.runCommand(new ServerEntity.Destroyed("h2"));
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals("bind h1", ports.bound.get(ports.bound.size() - 1), "back where it is again");
      return null;
    });
  }

  /** Answers the ports step as the test says (none yet: no answer, as a lost message); binds and releases succeed. */
  // ---------------------------------------------------------------- volumes

  private TestProbe<StatusReply<Done>> attachVolume(String volumeId) {
    TestProbe<StatusReply<Done>> client = testKit.createTestProbe();
    kit.runCommand(new ServerEntity.AttachVolume(volumeId, "att-" + volumeId, Optional.empty(), client.ref()));
    return client;
  }

  /** Attached on h1 (its own storage host) through every step, the client answered once it is in use. */
  private void attached(String volumeId) {
    TestProbe<StatusReply<Done>> client = attachVolume(volumeId);
    hosts.awaitCommand("h1", HostAgentCommand.AttachVolume.class, c -> c.volumeId().equals(volumeId));
    kit.runCommand(new ServerEntity.VolumePlugged("h1", volumeId));
    assertTrue(client.receiveMessage(Duration.ofSeconds(5)).isSuccess());
  }

  @Test
  void aVolumeIsReservedExportedPluggedThenInUseAndTheClientAnsweredOnlyThen() {
    activeOn("h1");
    TestProbe<StatusReply<Done>> client = attachVolume("v1");
    HostAgentCommand.AttachVolume plug = hosts.awaitCommand("h1", HostAgentCommand.AttachVolume.class);
    assertEquals(List.of("reserve v1 att-v1 " + id + " p1", "export h1 v1 h1"), volumes.calls);
    assertEquals("/pool/nimbus-volume-v1", plug.path());
    assertEquals("/dev/vdb", plug.device());
    client.expectNoMessage(Duration.ofMillis(100));
    kit.runCommand(new ServerEntity.VolumePlugged("h1", "v1"));
    assertTrue(client.receiveMessage(Duration.ofSeconds(5)).isSuccess());
    assertTrue(volumes.calls.contains("complete v1 att-v1 /dev/vdb h1"));
    assertEquals(List.of(new ServerVolume("v1", "att-v1", "/dev/vdb", Optional.of("/pool/nimbus-volume-v1"))),
        get().volumes());
    assertEquals("ACTIVE", get().status());
    assertTrue(kit.<StatusReply<ServerEntity.Actions>>runCommand(ServerEntity.GetActions::new).reply().getValue()
        .actions().stream().anyMatch(a -> a.action().equals("attach_volume")));
    attached("v2");
    assertEquals(List.of("/dev/vdb", "/dev/vdc"), get().volumes().stream().map(ServerVolume::device).toList(),
        "the next free virtio disk, as Nova picks it");
    var again = kit.<StatusReply<Done>>runCommand(r -> new ServerEntity.AttachVolume("v1", "att-x", Optional.empty(), r));
    assertEquals(Rejection.Kind.INVALID, Rejection.from(again.reply().getError()).kind());
  }

  @Test
  void aDomainDefinedAgainKeepsItsVolumesAndAServerWithVolumesIsNotMovedByAResize() {
    activeOn("h1");
    hosts.up("h2");
    attached("v1");
    Flavor tiny = Flavor.byId("1").orElseThrow();
    kit.<StatusReply<Done>>runCommand(r -> new ServerEntity.Resize(tiny, r));
    HostAgentCommand.ResizeServer resize = hosts.awaitCommand("h1", HostAgentCommand.ResizeServer.class);
    assertEquals(List.of(new ServerVolume("v1", "att-v1", "/dev/vdb", Optional.of("/pool/nimbus-volume-v1"))),
        resize.spawn().volumes(), "the domain is redefined with the volume's disk");
    kit.runCommand(new ServerEntity.TaskDone("h1", Task.RESIZE_MIGRATING, PowerState.RUNNING));
    assertTrue(kit.<StatusReply<Done>>runCommand(ServerEntity.ConfirmResize::new).reply().isSuccess());
    hosts.clearCommands();
    kit.<StatusReply<ServerView>>runCommand(r -> new ServerEntity.Rebuild(BootSource.none("other-image"), Optional.empty(),
        AccessAddresses.NONE, r));
    assertEquals(List.of("/dev/vdb"), hosts.awaitCommand("h1", HostAgentCommand.RebuildServer.class).spawn().volumes()
        .stream().map(ServerVolume::device).toList(), "a rebuild keeps the volume attached, as Nova's");
    kit.runCommand(new ServerEntity.TaskDone("h1", Task.REBUILDING, PowerState.RUNNING));
    awaitStatus("ACTIVE");

    // its own host has no room: without volumes it would move to h2, whose host cannot reach the volume's file
    hosts.clearCommands();
    hosts.refuseClaimsOn("h1");
    kit.<StatusReply<Done>>runCommand(r -> new ServerEntity.Resize(Flavor.byId("42").orElseThrow(), r));
    awaitStatus("ACTIVE");
    assertEquals("1", get().flavor().id());
    assertEquals(Optional.of("h1"), get().host());
    List<InstanceAction> actions = kit.<StatusReply<ServerEntity.Actions>>runCommand(ServerEntity.GetActions::new)
        .reply().getValue().actions();
    assertEquals("resize", actions.get(actions.size() - 1).action());
    assertEquals(Optional.of("Error"), actions.get(actions.size() - 1).message());
    assertFalse(hosts.claimedOn().contains("h2"), "no room was claimed on the other host");
  }

  @Test
  void aVolumeTheVolumeOrItsStorageHostRefusesIsReleasedAndNeverPlugged() {
    activeOn("h1");
    volumes.reserveAnswer = Rejection.invalid("Invalid volume: Volume v1 status must be available to reserve");
    TestProbe<StatusReply<Done>> client = attachVolume("v1");
    assertEquals(Rejection.Kind.INVALID, Rejection.from(client.receiveMessage(Duration.ofSeconds(5)).getError()).kind());
    awaitStatus("ACTIVE");
    volumes.reserveAnswer = null;
    volumes.exportAnswer = Rejection.conflict("Volume v2 is stored on host h2 and cannot be attached to a server on host h1");
    client = attachVolume("v2");
    StatusReply<Done> refused = client.receiveMessage(Duration.ofSeconds(5));
    assertEquals(Rejection.Kind.CONFLICT, Rejection.from(refused.getError()).kind());
    assertTrue(refused.getError().getMessage().contains("stored on host h2"), refused.getError().getMessage());
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(volumes.calls.contains("release v2 att-v2"), "the reservation is undone: " + volumes.calls);
      assertInstanceOf(ServerEntity.Active.class, kit.getState());
      return null;
    });
    assertTrue(get().volumes().isEmpty());
    assertTrue(hosts.commands.stream().noneMatch(e -> e.getValue() instanceof HostAgentCommand.AttachVolume),
        "never a half attach");
    var notAttached = kit.<StatusReply<Done>>runCommand(r -> new ServerEntity.DetachVolume("v9", r));
    assertEquals(Rejection.Kind.NOT_FOUND, Rejection.from(notAttached.reply().getError()).kind());
  }

  @Test
  void anAttachStoppedBetweenStepsResumesAndOneTheHostCannotPlugIsUndone() {
    activeOn("h1");
    volumes.exportLost = true; // the storage host does not answer yet
    TestProbe<StatusReply<Done>> client = attachVolume("v1");
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(volumes.calls.contains("export h1 v1 h1"));
      return null;
    });
    kit.restart(); // a crash between the reservation and the export
    assertTrue(get().volumes().isEmpty());
    volumes.exportLost = false;
    hosts.awaitCommand("h1", HostAgentCommand.AttachVolume.class);
    kit.restart(); // and between the plug and its report: the plug is sent again (idempotent)
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(2, hosts.commands.stream().filter(e -> e.getValue() instanceof HostAgentCommand.AttachVolume).count());
      return null;
    });
    kit.runCommand(new ServerEntity.VolumePlugged("h1", "v1"));
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(List.of("v1"), get().volumes().stream().map(ServerVolume::volumeId).toList());
      return null;
    });
    client.expectNoMessage(Duration.ofMillis(50)); // its client went with the crash, as Nova's would time out

    TestProbe<StatusReply<Done>> second = attachVolume("v2");
    hosts.awaitCommand("h1", HostAgentCommand.AttachVolume.class, c -> c.volumeId().equals("v2"));
    kit.runCommand(new ServerEntity.VolumePlugFailed("h1", "v2", "no such file"));
    assertTrue(second.receiveMessage(Duration.ofSeconds(5)).getError().getMessage().contains("no such file"));
    kit.restart(); // a crash while undoing resumes the undoing
    hosts.awaitCommand("h1", HostAgentCommand.DetachVolume.class, c -> c.volumeId().equals("v2"));
    kit.runCommand(new ServerEntity.VolumeUnplugged("h1", "v2"));
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(volumes.calls.contains("release v2 att-v2"));
      assertInstanceOf(ServerEntity.Active.class, kit.getState());
      return null;
    });
    assertEquals(List.of("v1"), get().volumes().stream().map(ServerVolume::volumeId).toList());
  }

  @Test
  void aDetachedVolumeIsUnpluggedThenAvailableAndADeletedServerReleasesTheRest() {
    activeOn("h1");
    attached("v1");
    attached("v2");
    assertTrue(kit.<StatusReply<Done>>runCommand(r -> new ServerEntity.DetachVolume("v1", r)).reply().isSuccess());
    assertTrue(kit.<StatusReply<Done>>runCommand(r -> new ServerEntity.DetachVolume("v2", r)).reply().isError(),
        "one volume change at a time");
    HostAgentCommand.DetachVolume unplug = hosts.awaitCommand("h1", HostAgentCommand.DetachVolume.class);
    assertEquals("/dev/vdb", unplug.device());
    assertTrue(volumes.calls.contains("detach v1 att-v1"), "the volume is detaching before its disk goes");
    kit.runCommand(new ServerEntity.VolumeUnplugged("h1", "v1"));
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(volumes.calls.contains("release v1 att-v1"));
      assertInstanceOf(ServerEntity.Active.class, kit.getState());
      return null;
    });
    assertTrue(volumes.calls.contains("check-export v1"), "the storage hosts hear the attachment is over: "
        + volumes.calls);
    assertEquals(List.of("v2"), get().volumes().stream().map(ServerVolume::volumeId).toList());

    kit.<StatusReply<Done>>runCommand(ServerEntity.Delete::new);
    hosts.awaitCommand("h1", HostAgentCommand.DestroyServer.class);
    kit.runCommand(new ServerEntity.Destroyed("h1"));
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(((ServerEntity.Deleted) kit.getState()).released());
      return null;
    });
    assertTrue(volumes.calls.contains("release v2 att-v2"), "its volumes are available again, not deleted");
  }

  // ---------------------------------------------------------------- boot from volume

  private ServerView createFromVolume(boolean deleteOnTermination) {
    ServerSpec spec = spec().withBoot(BootSource.fromVolume(BootVolume.existing("v1", deleteOnTermination)));
    return kit.<StatusReply<ServerView>>runCommand(r -> new ServerEntity.Create(spec, r)).reply().getValue();
  }

  private void deleteOn(String host) {
    kit.<StatusReply<Done>>runCommand(ServerEntity.Delete::new);
    hosts.awaitCommand(host, HostAgentCommand.DestroyServer.class);
    kit.runCommand(new ServerEntity.Destroyed(host));
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(((ServerEntity.Deleted) kit.getState()).released());
      return null;
    });
  }

  @Test
  void aServerBootsFromItsVolumeReservedExportedAndInUseBeforeTheSpawn() {
    hosts.up("h1");
    ServerView building = createFromVolume(false);
    assertEquals("", building.imageId(), "a volume-backed server has no image, as Nova shows it");
    HostAgentCommand.SpawnServer spawn = hosts.awaitCommand("h1", HostAgentCommand.SpawnServer.class);
    String attachment = BootVolume.attachmentId(id);
    assertEquals(List.of("reserve v1 " + attachment + " " + id + " p1", "export h1 v1 h1",
        "complete v1 " + attachment + " /dev/vda h1"), volumes.calls, "in use before the domain opens it");
    assertEquals(List.of(new ServerVolume("v1", attachment, "/dev/vda", Optional.of("/pool/nimbus-volume-v1"))),
        spawn.volumes(), "the domain's first disk is the volume's file");
    assertTrue(spawn.boot().disk().isEmpty(), "no root disk of its own");
    kit.runCommand(new ServerEntity.Spawned("h1", PowerState.RUNNING));
    assertEquals("ACTIVE", get().status());
    assertEquals(List.of("v1"), get().volumes().stream().map(ServerVolume::volumeId).toList());
    assertTrue(kit.<StatusReply<ServerEntity.Actions>>runCommand(ServerEntity.GetActions::new).reply().getValue()
        .actions().stream().noneMatch(a -> a.action().equals("attach_volume")), "the create's own step, not an action");
    attached("v2");
    assertEquals("/dev/vdb", get().volumes().get(1).device(), "a later volume comes after the boot disk");

    deleteOn("h1");
    assertTrue(volumes.calls.contains("release v1 " + attachment), "the volume survives its server: " + volumes.calls);
    assertFalse(volumes.calls.contains("delete v1"));
  }

  @Test
  void aBootVolumeToDeleteOnTerminationGoesWithItsServerOnceReleased() {
    hosts.up("h1");
    createFromVolume(true);
    hosts.awaitCommand("h1", HostAgentCommand.SpawnServer.class);
    kit.runCommand(new ServerEntity.Spawned("h1", PowerState.RUNNING));
    deleteOn("h1");
    List<String> calls = volumes.calls;
    int released = calls.indexOf("release v1 " + BootVolume.attachmentId(id));
    assertTrue(released >= 0 && calls.indexOf("delete v1") > released, "released, then deleted: " + calls);
  }

  @Test
  void aNewBootVolumeIsCreatedFromItsImageAndBootedOnceAvailable() {
    hosts.up("h1");
    nimbus.storage.Volume asked = nimbus.storage.Volume.requested("v9", "p1", "u1", "", "", 3, Map.of(), "nova",
        "__DEFAULT__", clock.instant());
    volumes.createStatuses.addAll(List.of("creating", "creating", "available"));
    ServerSpec spec = spec().withBoot(BootSource.fromVolume(BootVolume.created(asked, true)));
    kit.<StatusReply<ServerView>>runCommand(r -> new ServerEntity.Create(spec, r));
    HostAgentCommand.SpawnServer spawn = hosts.awaitCommand("h1", HostAgentCommand.SpawnServer.class);
    assertEquals("create v9 p1 3", volumes.calls.get(0));
    assertEquals(3, volumes.calls.stream().filter(c -> c.startsWith("create")).count(), "asked until available");
    assertEquals("reserve v9 " + BootVolume.attachmentId(id) + " " + id + " p1", volumes.calls.get(3));
    assertEquals("/dev/vda", spawn.volumes().get(0).device());
    assertTrue(spawn.volumes().get(0).deleteOnTermination());
  }

  @Test
  void aNewBootVolumeInErrorFailsTheBuild() {
    hosts.up("h1");
    nimbus.storage.Volume asked = nimbus.storage.Volume.requested("v9", "p1", "u1", "", "", 1, Map.of(), "nova",
        "__DEFAULT__", clock.instant());
    volumes.createStatuses.add("error");
    kit.<StatusReply<ServerView>>runCommand(r -> new ServerEntity.Create(
        spec().withBoot(BootSource.fromVolume(BootVolume.created(asked, false))), r));
    awaitStatus("ERROR");
    assertTrue(get().fault().orElseThrow().message().contains("volume v9 did not become available"), get().toString());
    assertTrue(hosts.claimedOn().isEmpty());
  }

  @Test
  void aBootVolumeInUseFailsTheBuildBeforeAnyHostIsClaimedAndLeavesNothingHeld() {
    hosts.up("h1");
    volumes.reserveAnswer = Rejection.invalid("Invalid volume: Volume v1 status must be available to reserve,"
        + " but the status is in-use.");
    createFromVolume(false);
    awaitStatus("ERROR");
    assertTrue(get().fault().orElseThrow().message().contains("status must be available"), get().fault().toString());
    assertTrue(hosts.claimedOn().isEmpty(), "no room held on any host");
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(get().volumes().isEmpty(), "the errored server holds no volume");
      assertTrue(((ServerEntity.Errored) kit.getState()).server().volumeChange().isEmpty());
      return null;
    });
  }

  @Test
  void aBootVolumeItsStorageHostCannotExportEndsTheBuildWithTheHostAndTheVolumeLetGo() {
    hosts.up("h1");
    volumes.exportAnswer = Rejection.conflict("Volume v1 is stored on host h2 and cannot be attached to a server on"
        + " host h1");
    createFromVolume(false);
    awaitStatus("ERROR");
    assertTrue(get().fault().orElseThrow().message().contains("cannot be attached"), get().fault().toString());
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(hosts.released().contains("h1"), "the claim on h1 released");
      assertTrue(volumes.calls.contains("release v1 " + BootVolume.attachmentId(id)), volumes.calls.toString());
      assertTrue(get().volumes().isEmpty());
      return null;
    });
  }

  /** The volumes and their storage host, answering as told (null: no answer, a lost message). */
  static final class ScriptedVolumes implements VolumeAttachments {
    final List<String> calls = new CopyOnWriteArrayList<>();
    volatile StatusReply<String> reserveAnswer;
    volatile StatusReply<String> exportAnswer;
    volatile boolean exportLost;

    /** The statuses a new volume answers with, one per ask (the last one stays). */
    final java.util.Deque<String> createStatuses = new java.util.concurrent.ConcurrentLinkedDeque<>();

    @Override
    public CompletionStage<StatusReply<String>> create(nimbus.storage.Volume volume) {
      calls.add("create " + volume.id() + " " + volume.projectId() + " " + volume.size());
      String status = createStatuses.size() > 1 ? createStatuses.poll() : createStatuses.peek();
      return answer(StatusReply.success(status == null ? "available" : status));
    }

    @Override
    public CompletionStage<StatusReply<String>> reserve(String volumeId, String attachmentId, String serverId,
        String projectId) {
      calls.add("reserve " + volumeId + " " + attachmentId + " " + serverId + " " + projectId);
      return answer(reserveAnswer == null ? StatusReply.success("h1") : reserveAnswer);
    }

    @Override
    public CompletionStage<StatusReply<String>> export(String storageHost, String volumeId, String toHost) {
      calls.add("export " + storageHost + " " + volumeId + " " + toHost);
      if (exportLost) return answer(null);
      return answer(exportAnswer == null ? StatusReply.success("/pool/nimbus-volume-" + volumeId) : exportAnswer);
    }

    @Override
    public void checkExport(String volumeId) {
      calls.add("check-export " + volumeId);
    }

    @Override
    public CompletionStage<StatusReply<Done>> complete(String volumeId, String attachmentId, String device, String host,
        java.util.Optional<String> path) {
      calls.add("complete " + volumeId + " " + attachmentId + " " + device + " " + host);
      return answer(StatusReply.ack());
    }

    @Override
    public CompletionStage<StatusReply<Done>> beginDetach(String volumeId, String attachmentId) {
      calls.add("detach " + volumeId + " " + attachmentId);
      return answer(StatusReply.ack());
    }

    @Override
    public CompletionStage<StatusReply<Done>> release(String volumeId, String attachmentId) {
      calls.add("release " + volumeId + " " + attachmentId);
      return answer(StatusReply.ack());
    }

    @Override
    public CompletionStage<StatusReply<Done>> delete(String volumeId) {
      calls.add("delete " + volumeId);
      return answer(StatusReply.ack());
    }

    private static <T> CompletionStage<StatusReply<T>> answer(StatusReply<T> reply) {
      return reply != null ? CompletableFuture.completedFuture(reply)
          : CompletableFuture.failedFuture(new java.util.concurrent.TimeoutException("no answer"));
    }
  }

  static final class ScriptedPorts implements ServerPorts {
    final List<String> asked = new java.util.concurrent.CopyOnWriteArrayList<>();
    final List<String> bound = new java.util.concurrent.CopyOnWriteArrayList<>();
    final List<String> released = new java.util.concurrent.CopyOnWriteArrayList<>();
    volatile StatusReply<List<ServerPort>> answer;
    /** How a release is answered: null for no answer (a lost message). */
    volatile StatusReply<Done> releaseAnswer = StatusReply.ack();

    ServerPort port(String serverId) {
      return new ServerPort(ServerPorts.portId(serverId, 0), "net1", "private", "fa:16:3e:00:00:05",
          List.of(new nimbus.network.FixedIp("sub1", "10.0.0.5")), true, Optional.empty());
    }

    @Override
    public java.util.concurrent.CompletionStage<StatusReply<List<ServerPort>>> allocate(String serverId, String projectId,
        List<NicRequest> nics) {
      asked.add(serverId);
      return answer != null ? java.util.concurrent.CompletableFuture.completedFuture(answer)
          : java.util.concurrent.CompletableFuture.failedFuture(new java.util.concurrent.TimeoutException("no answer"));
    }

    @Override
    public java.util.concurrent.CompletionStage<StatusReply<Done>> bind(List<ServerPort> p, String host) {
      bound.add("bind " + host);
      return java.util.concurrent.CompletableFuture.completedFuture(StatusReply.ack());
    }

    volatile StatusReply<ServerPort> oneAnswer;

    @Override
    public java.util.concurrent.CompletionStage<StatusReply<ServerPort>> allocateOne(String serverId, String projectId,
        NicRequest nic, String portId) {
      asked.add(portId);
      return oneAnswer != null ? java.util.concurrent.CompletableFuture.completedFuture(oneAnswer)
          : java.util.concurrent.CompletableFuture.failedFuture(new java.util.concurrent.TimeoutException("no answer"));
    }

    @Override
    public java.util.concurrent.CompletionStage<StatusReply<Done>> release(String serverId, List<PortRef> refs) {
      StatusReply<Done> releasing = releaseAnswer;
      if (releasing == null) {
        return java.util.concurrent.CompletableFuture.failedFuture(new java.util.concurrent.TimeoutException("no answer"));
      }
      refs.forEach(r -> released.add(r.portId() + (r.owned() ? " deleted" : " let go")));
      return java.util.concurrent.CompletableFuture.completedFuture(releasing);
    }
  }

  private static Image queuedImage(String imageId) {
    Instant at = Instant.parse("2026-01-01T00:00:00Z");
    return new Image(imageId, "p1", "queued", new ImageMetadata("snap", "qcow2", "bare", "private", false, 1, 0,
        Map.of("image_type", "snapshot"), List.of()), Optional.empty(), Optional.empty(), at, at, Map.of());
  }

  /** The image service as a test scripts it: what was created and discarded, and whether creates are refused. */
  static final class ScriptedImages implements SnapshotImages {
    final List<String> created = new CopyOnWriteArrayList<>();
    final List<String> discarded = new CopyOnWriteArrayList<>();
    volatile Optional<Rejection> refusal = Optional.empty();

    @Override
    public CompletionStage<Optional<Rejection>> create(Image image) {
      if (refusal.isEmpty()) created.add(image.id());
      return CompletableFuture.completedFuture(refusal);
    }

    @Override
    public CompletionStage<Done> discard(String imageId) {
      discarded.add(imageId);
      return CompletableFuture.completedFuture(Done.getInstance());
    }
  }

  /** Hosts as a test scripts them: which are up, which refuse claims, what they were told. */
  static final class ScriptedHosts implements HostGateway {
    private final List<String> up = new CopyOnWriteArrayList<>();
    volatile boolean settled = true;
    private final Set<String> refusing = ConcurrentHashMap.newKeySet();
    private final List<String> claims = new CopyOnWriteArrayList<>();
    private final List<String> releases = new CopyOnWriteArrayList<>();
    final List<String> quotaReleases = new CopyOnWriteArrayList<>();
    final List<Resources> quotaAdjustments = new CopyOnWriteArrayList<>();
    final List<Resources> quotaReservations = new CopyOnWriteArrayList<>();
    volatile Optional<Rejection> quotaRefusal = Optional.empty();
    final List<Resources> claimed = new CopyOnWriteArrayList<>();
    final List<String> groupsLeft = new CopyOnWriteArrayList<>();
    private final List<Map.Entry<String, HostAgentCommand>> commands = new CopyOnWriteArrayList<>();

    void up(String host) {
      up.add(host);
    }

    void refuseClaimsOn(String host) {
      refusing.add(host);
    }

    List<String> claimedOn() {
      return List.copyOf(new java.util.LinkedHashSet<>(claims));
    }

    List<String> released() {
      return releases;
    }

    void clearCommands() {
      commands.clear();
    }

    <T extends HostAgentCommand> T awaitCommand(String host, Class<T> type, java.util.function.Predicate<T> which) {
      TestProbe<Object> probe = testKit.createTestProbe();
      return probe.awaitAssert(Duration.ofSeconds(5), () -> commands.stream()
          .filter(e -> e.getKey().equals(host) && type.isInstance(e.getValue()) && which.test(type.cast(e.getValue())))
          .map(e -> type.cast(e.getValue()))
          .findFirst().orElseThrow(() -> new AssertionError("no such " + type.getSimpleName() + " to " + host)));
    }

    <T extends HostAgentCommand> T awaitCommand(String host, Class<T> type) {
      TestProbe<Object> probe = testKit.createTestProbe();
      return probe.awaitAssert(Duration.ofSeconds(5), () -> commands.stream()
          .filter(e -> e.getKey().equals(host) && type.isInstance(e.getValue()))
          .map(e -> type.cast(e.getValue()))
          .findFirst().orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " to " + host)));
    }

    /** The host a spawn was sent to, other than {@code notThis}. */
    String awaitSpawnOnAnyBut(String notThis) {
      TestProbe<Object> probe = testKit.createTestProbe();
      return probe.awaitAssert(Duration.ofSeconds(5), () -> commands.stream()
          .filter(e -> e.getValue() instanceof HostAgentCommand.SpawnServer && !e.getKey().equals(notThis))
          .map(Map.Entry::getKey)
          .findFirst().orElseThrow(() -> new AssertionError("no spawn")));
    }

    @Override
    public List<String> candidates(Demand demand, Set<String> excluded) {
      List<String> out = new ArrayList<>(up);
      out.removeAll(excluded);
      return out;
    }

    @Override
    public boolean settled() {
      return settled;
    }

    @Override
    public CompletionStage<StatusReply<Done>> claim(String host, String serverId, Resources need,
        Optional<Placement> placement) {
      claims.add(host);
      claimed.add(need);
      return CompletableFuture.completedFuture(refusing.contains(host)
          ? Rejection.conflict("Host " + host + " has too little RAM") : StatusReply.ack());
    }

    @Override
    public void release(String host, String serverId) {
      releases.add(host);
    }

    @Override
    public CompletionStage<Done> giveBack(ServerSpec spec, Optional<String> host, String serverId) {
      host.ifPresent(releases::add);
      quotaReleases.add(spec.projectId() + "/" + serverId);
      spec.group().ifPresent(g -> groupsLeft.add(g.groupId()));
      return CompletableFuture.completedFuture(Done.getInstance());
    }

    @Override
    public CompletionStage<Optional<Rejection>> reserveQuota(String projectId, String serverId, Resources resources) {
      quotaReservations.add(resources);
      return CompletableFuture.completedFuture(quotaRefusal);
    }

    @Override
    public CompletionStage<Done> settleQuota(String projectId, String serverId, Resources resources) {
      quotaAdjustments.add(resources);
      return CompletableFuture.completedFuture(Done.getInstance());
    }

    @Override
    public void tellAgent(String host, HostAgentCommand command) {
      commands.add(Map.entry(host, command));
    }
  }
}
