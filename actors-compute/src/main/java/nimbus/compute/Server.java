package nimbus.compute;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import nimbus.cluster.CborSerializable;

/** The facts every phase of a {@link ServerEntity} keeps about its server. */
public record Server(String id, ServerSpec spec, Instant created, Instant updated,
    Optional<String> host, PowerState power, Optional<Instant> launchedAt, Optional<Fault> fault,
    Optional<String> lockedBy, List<InstanceAction> actions, List<ServerPort> ports, Optional<NicChange> nicChange,
    List<ServerVolume> volumes, Optional<VolumeChange> volumeChange)
    implements CborSerializable {

  public Server {
    if (ports == null) ports = List.of();
    if (nicChange == null) nicChange = Optional.empty();
    if (volumes == null) volumes = List.of();
    if (volumeChange == null) volumeChange = Optional.empty();
  }

  /** A server asked for; one that boots from a volume begins by attaching it (its build's first volume step). */
  static Server requested(String id, ServerSpec spec, Optional<String> requestId, Instant at) {
    return new Server(id, spec, at, at, Optional.empty(), PowerState.NOSTATE, Optional.empty(), Optional.empty(),
        Optional.empty(), List.of(new InstanceAction("create", at, Optional.empty(), requestId)), List.of(),
        Optional.empty(), List.of(), spec.boot().volume().map(v -> {
          VolumeChange attach = VolumeChange.attaching(v.volumeId(), BootVolume.attachmentId(id), BootVolume.DEVICE);
          return v.create().isPresent() ? attach.at(VolumeChange.Step.CREATING) : attach;
        }));
  }

  /** Whether its boot volume is still being attached (its build's volume steps are not done). */
  boolean attachingBootVolume() {
    return spec.boot().volume().isPresent() && volumeChange.isPresent();
  }

  /** Whether the ports it asked for are made (a server on the host-local network has none to make). */
  boolean portsAllocated() {
    return spec.networks().nics().isEmpty() || !ports.isEmpty();
  }

  /** Whether its ports are all bound to {@code host}. */
  boolean portsBoundTo(String host) {
    return ports.stream().allMatch(p -> p.boundTo().equals(Optional.of(host)));
  }

  Server withPorts(List<ServerPort> changed) {
    return with(c -> c.ports = List.copyOf(changed));
  }

  Server changingNic(Optional<NicChange> change) {
    return with(c -> c.nicChange = change);
  }

  Server withVolumes(List<ServerVolume> changed) {
    return with(c -> c.volumes = List.copyOf(changed));
  }

  Server changingVolume(Optional<VolumeChange> change) {
    return with(c -> c.volumeChange = change);
  }

  /**
   * The device a new volume gets: the one asked for if it is a free virtio disk name, else the
   * next free one after the root disk ({@code /dev/vdb}, {@code /dev/vdc}, ...), as Nova picks it.
   */
  String nextDevice(java.util.Optional<String> asked) {
    java.util.Set<String> taken = new java.util.HashSet<>(List.of("/dev/vda"));
    volumes.forEach(v -> taken.add(v.device()));
    volumeChange.ifPresent(v -> taken.add(v.device()));
    if (asked.filter(d -> d.matches("/dev/vd[b-z]") && !taken.contains(d)).isPresent()) return asked.get();
    for (char c = 'b'; c <= 'z'; c++) {
      if (!taken.contains("/dev/vd" + c)) return "/dev/vd" + c;
    }
    throw new IllegalStateException("no free virtio disk name");
  }

  /** Every volume to let go when the server goes: those attached, and the one being attached or detached. */
  List<ServerVolume> volumesToRelease() {
    List<ServerVolume> all = new ArrayList<>(volumes);
    volumeChange.filter(c -> volumes.stream().noneMatch(v -> v.attachmentId().equals(c.attachmentId())))
        .ifPresent(c -> all.add(c.attached()));
    return List.copyOf(all);
  }

  /**
   * Every port to give back when the server goes: those its create asked for (made or not, their
   * ids are known), those it has, and the one being attached.
   */
  List<ServerPorts.PortRef> portsToRelease() {
    java.util.Map<String, ServerPorts.PortRef> refs = new java.util.LinkedHashMap<>();
    List<NicRequest> nics = spec.networks().nics();
    for (int i = 0; i < nics.size(); i++) {
      NicRequest nic = nics.get(i);
      String portId = nic.portId().orElse(ServerPorts.portId(id, i));
      refs.put(portId, new ServerPorts.PortRef(portId, Optional.empty(), nic.portId().isEmpty()));
    }
    for (ServerPort p : ports) refs.put(p.portId(), new ServerPorts.PortRef(p.portId(), Optional.of(p.networkId()), p.owned()));
    nicChange.ifPresent(c -> refs.put(c.portId(), new ServerPorts.PortRef(c.portId(),
        c.port().map(ServerPort::networkId), c.owned())));
    return List.copyOf(refs.values());
  }

  Server at(Instant when) {
    return with(c -> c.updated = when);
  }

  Server withSpec(ServerSpec changed) {
    return with(c -> c.spec = changed);
  }

  Server onHost(Optional<String> h, PowerState p) {
    return with(c -> {
      c.host = h;
      c.power = p;
    });
  }

  Server launched(Instant when) {
    return with(c -> c.launchedAt = Optional.of(when));
  }

  Server failed(Fault f) {
    return with(c -> c.fault = Optional.of(f));
  }

  Server resizedTo(Flavor flavor) {
    return withSpec(spec.withFlavor(flavor));
  }

  Server renamed(String name) {
    return withSpec(spec.withName(name));
  }

  Server withMetadata(Map<String, String> metadata) {
    return withSpec(spec.withMetadata(metadata));
  }

  Server described(Optional<String> description) {
    return withSpec(spec.withDescription(description));
  }

  Server tagged(List<String> tags) {
    return withSpec(spec.withTags(tags));
  }

  /** Locked by "admin" or "owner" (Nova's locked_by), or unlocked (empty). */
  Server locked(Optional<String> by) {
    return with(c -> c.lockedBy = by);
  }

  private Server withActions(List<InstanceAction> changed) {
    return with(c -> c.actions = List.copyOf(changed));
  }

  /** A copy with some facts changed, named rather than by position. */
  private Server with(java.util.function.Consumer<Copy> change) {
    Copy c = new Copy(this);
    change.accept(c);
    return new Server(id, c.spec, created, c.updated, c.host, c.power, c.launchedAt, c.fault, c.lockedBy, c.actions,
        c.ports, c.nicChange, c.volumes, c.volumeChange);
  }

  /** The facts a copy may change. */
  private static final class Copy {
    ServerSpec spec;
    Instant updated;
    Optional<String> host;
    PowerState power;
    Optional<Instant> launchedAt;
    Optional<Fault> fault;
    Optional<String> lockedBy;
    List<InstanceAction> actions;
    List<ServerPort> ports;
    Optional<NicChange> nicChange;
    List<ServerVolume> volumes;
    Optional<VolumeChange> volumeChange;

    Copy(Server s) {
      spec = s.spec;
      updated = s.updated;
      host = s.host;
      power = s.power;
      launchedAt = s.launchedAt;
      fault = s.fault;
      lockedBy = s.lockedBy;
      actions = s.actions;
      ports = s.ports;
      nicChange = s.nicChange;
      volumes = s.volumes;
      volumeChange = s.volumeChange;
    }
  }

  /**
   * The history with this event in it: requests start actions, failures mark the last one, and
   * a request refused before it began leaves no action behind (as Nova checks before it records).
   */
  Server recording(ServerEntity.Event e) {
    List<InstanceAction> next = new ArrayList<>(actions);
    if (e instanceof ServerEntity.Request r) {
      next.add(new InstanceAction(r.action(), e.at(), Optional.empty(), r.requestId()));
    } else if (e instanceof ServerEntity.Failure && !next.isEmpty()) {
      next.set(next.size() - 1, next.get(next.size() - 1).failed());
    } else if (e instanceof ServerEntity.Refusal && !next.isEmpty()) {
      next.remove(next.size() - 1);
    } else {
      return this;
    }
    return withActions(next);
  }

  ServerView view(VmState vmState, Optional<Task> task) {
    return new ServerView(id, spec.name(), spec.projectId(), spec.userId(),
        ServerView.status(vmState.novaName, task), vmState.novaName, task.map(t -> t.novaName), power.code, host,
        spec.flavor(), spec.boot().imageId(), spec.metadata(), created, updated, launchedAt,
        fault, lockedBy, spec.keyName(), spec.availabilityZone(), ports, spec.configDrive(),
        spec.access(), spec.description(), spec.tags(), spec.launch(), spec.userData(), volumes);
  }
}
