package nimbus.compute;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import nimbus.cluster.CborSerializable;

/**
 * What a host's node agent is asked to do. Every command is idempotent: the agent makes the
 * host match it and reports the outcome to the server's entity, so a command sent twice (after
 * a timeout or a crash) does no harm. Open (not sealed) so the agent can add its own internal
 * messages to its protocol.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = HostAgentCommand.SpawnServer.class, name = "spawn"),
    @JsonSubTypes.Type(value = HostAgentCommand.StopServer.class, name = "stop"),
    @JsonSubTypes.Type(value = HostAgentCommand.AttachNic.class, name = "attach-nic"),
    @JsonSubTypes.Type(value = HostAgentCommand.DetachNic.class, name = "detach-nic"),
    @JsonSubTypes.Type(value = HostAgentCommand.AttachVolume.class, name = "attach-volume"),
    @JsonSubTypes.Type(value = HostAgentCommand.DetachVolume.class, name = "detach-volume"),
    @JsonSubTypes.Type(value = HostAgentCommand.StartServer.class, name = "start"),
    @JsonSubTypes.Type(value = HostAgentCommand.RebootServer.class, name = "reboot"),
    @JsonSubTypes.Type(value = HostAgentCommand.DestroyServer.class, name = "destroy"),
    @JsonSubTypes.Type(value = HostAgentCommand.PauseServer.class, name = "pause"),
    @JsonSubTypes.Type(value = HostAgentCommand.UnpauseServer.class, name = "unpause"),
    @JsonSubTypes.Type(value = HostAgentCommand.SuspendServer.class, name = "suspend"),
    @JsonSubTypes.Type(value = HostAgentCommand.ResumeServer.class, name = "resume"),
    @JsonSubTypes.Type(value = HostAgentCommand.RebuildServer.class, name = "rebuild"),
    @JsonSubTypes.Type(value = HostAgentCommand.ResizeServer.class, name = "resize"),
    @JsonSubTypes.Type(value = HostAgentCommand.SnapshotServer.class, name = "snapshot"),
    @JsonSubTypes.Type(value = HostAgentCommand.ExportDisk.class, name = "export-disk"),
    @JsonSubTypes.Type(value = HostAgentCommand.ReadConsole.class, name = "console")})
public interface HostAgentCommand extends CborSerializable {

  String serverId();

  /**
   * Make the server's domain exist (and run, if {@code start}), with a NIC per port (none: one on
   * the host-local network, unless {@code hostLocal} is false); report {@code Spawned}.
   * {@code instance}: what its guest may read about itself; {@code volumes}: its attached volumes,
   * disks of the domain as they were plugged.
   */
  record SpawnServer(String serverId, String name, Resources resources, BootSource boot,
      boolean start, List<ServerPort> ports, boolean hostLocal, InstanceMetadata instance, List<ServerVolume> volumes)
      implements HostAgentCommand {
    public SpawnServer {
      if (ports == null) ports = List.of();
      if (instance == null) instance = new InstanceMetadata(serverId, name, "", "nova", Map.of(),
          Optional.empty(), Optional.empty(), Optional.empty(), false);
      volumes = volumes == null ? List.of() : List.copyOf(volumes);
    }

    /** A server with no volume attached (a new one). */
    public SpawnServer(String serverId, String name, Resources resources, BootSource boot,
        boolean start, List<ServerPort> ports, boolean hostLocal, InstanceMetadata instance) {
      this(serverId, name, resources, boot, start, ports, hostLocal, instance, List.of());
    }
  }

  /**
   * Plugs a NIC on {@code port} into the server's domain (running or not); {@code ports}: all the
   * server's ports with it. Answered with {@code NicPlugged}.
   */
  record AttachNic(String serverId, String name, List<ServerPort> ports, ServerPort port) implements HostAgentCommand {}

  /** Takes the NIC of {@code port} out of the server's domain; {@code ports}: those it keeps. Answered with {@code NicUnplugged}. */
  record DetachNic(String serverId, String name, List<ServerPort> ports, ServerPort port) implements HostAgentCommand {}

  /**
   * Adds the volume's disk (the file at {@code path}) to the server's domain as virtio disk
   * {@code device}, live and in its definition. Answered with {@code VolumePlugged}.
   */
  record AttachVolume(String serverId, String volumeId, String path, String device) implements HostAgentCommand {}

  /** Takes disk {@code device} out of the server's domain (done also when it is not there). Answered with {@code VolumeUnplugged}. */
  record DetachVolume(String serverId, String volumeId, String device) implements HostAgentCommand {}

  record StopServer(String serverId) implements HostAgentCommand {}

  record StartServer(String serverId) implements HostAgentCommand {}

  record RebootServer(String serverId, boolean hard) implements HostAgentCommand {}

  /** Freeze the guest in memory (libvirt suspend). */
  record PauseServer(String serverId) implements HostAgentCommand {}

  record UnpauseServer(String serverId) implements HostAgentCommand {}

  /** Save the guest's memory to disk and stop it (libvirt managed save). */
  record SuspendServer(String serverId) implements HostAgentCommand {}

  /** Start the guest again from its saved memory. */
  record ResumeServer(String serverId) implements HostAgentCommand {}

  /** Remove the domain and its disk, then spawn it afresh from {@code spawn}'s boot source. */
  record RebuildServer(String serverId, SpawnServer spawn) implements HostAgentCommand {}

  /**
   * Give the server {@code spawn}'s resources in place: power off, redefine the domain, grow the
   * root disk, power on again if {@code spawn.start()}. {@code task} is resizing or reverting.
   */
  record ResizeServer(String serverId, SpawnServer spawn, Task task) implements HostAgentCommand {}

  /** Copy the server's root disk into the queued image {@code imageId} of the image service. */
  record SnapshotServer(String serverId, String imageId) implements HostAgentCommand {}

  /**
   * Power the server off and copy its root disk, flattened, into the image store (a resize
   * moves it to another host); report {@code DiskExported}. The domain stays, stopped.
   */
  record ExportDisk(String serverId) implements HostAgentCommand {}

  /** Remove the server's domain and its files; report {@code Destroyed}. */
  record DestroyServer(String serverId) implements HostAgentCommand {}

  /** Answer with the last {@code lines} lines of the serial console (all, if empty). */
  record ReadConsole(String serverId, Optional<Integer> lines, ActorRef<StatusReply<String>> replyTo)
      implements HostAgentCommand {}
}
