package nimbus.node.hypervisor;

import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import nimbus.compute.PowerState;

/**
 * The hypervisor of this host, as the agent needs it. Every call blocks: call it on the
 * blocking dispatcher, never on an actor thread.
 */
public interface Hypervisor extends AutoCloseable {

  /** What libvirt says about this machine. */
  record HostFacts(String type, long version, int cpus, long memoryMb) {}

  HostFacts facts();

  /** Power state of every domain whose name starts with {@code prefix}. */
  Map<String, PowerState> domains(String prefix);

  Optional<PowerState> state(String name);

  /** The domain's definition (libvirt XML), if it exists. */
  Optional<String> definition(String name);

  /** Defines the domain unless one of that name exists. */
  void define(String name, String xml);

  /** Defines the domain, replacing the definition of one of that name (it takes effect at its next start). */
  void redefine(String xml);

  /**
   * Adds the NIC to the domain's definition and, if it runs, to the running guest (idempotent:
   * a NIC of that MAC already there is left alone).
   */
  void attachNic(String name, DomainSpec.Nic nic);

  /** Takes the NIC of that MAC out of the domain's definition and, if it runs, out of the guest (idempotent). */
  void detachNic(String name, DomainSpec.Nic nic);

  /**
   * Adds disk {@code disk} (its XML) at {@code device} to the domain's definition and, if it
   * runs, to the running guest (idempotent: a disk at that device already there is left alone).
   */
  void attachDisk(String name, String device, String disk);

  /** Takes the disk at {@code device} out of the domain's definition and, if it runs, out of the guest (idempotent). */
  void detachDisk(String name, String device);

  /**
   * The running guest's disk at {@code device} grows to {@code bytes} (its source grown already),
   * live; nothing for a domain that does not run or lacks the disk, nor for one already that large.
   */
  void growDisk(String name, String device, long bytes);

  /**
   * Defines (or updates) the secret {@code uuid} that holds Ceph client {@code user}'s key, as RBD
   * disks name it: private, so libvirt never gives the value back (idempotent).
   */
  void defineCephSecret(java.util.UUID uuid, String user, byte[] key);

  /** Starts the domain unless it runs. */
  void start(String name);

  /** Asks the guest to power off, waits up to the timeout, then forces it off. */
  void stop(String name, java.time.Duration graceful);

  /** Freezes a running domain in memory. */
  void pause(String name);

  /** Lets a paused domain run again. */
  void unpause(String name);

  /** Saves a running domain's memory to disk and stops it; {@link #start} restores it. */
  void save(String name);

  /** Forces the domain off (if running) and removes its definition (if defined). */
  void remove(String name);

  /** Called (on the hypervisor's event thread) with a domain's name when its state changes. */
  void onLifecycleEvent(Consumer<String> listener);

  @Override
  void close();
}
