package nimbus.node.hypervisor;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import nimbus.compute.PowerState;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainInfo;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.ErrorCallback;
import org.libvirt.Library;
import org.libvirt.LibvirtException;
import org.libvirt.NodeInfo;
import org.libvirt.event.LifecycleListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hypervisor through libvirt-java: one connection (libvirt connections are thread-safe),
 * lifecycle events from libvirt's event loop on a daemon thread of its own.
 */
public final class LibvirtHypervisor implements Hypervisor {
  private static final Logger log = LoggerFactory.getLogger(LibvirtHypervisor.class);
  private static volatile boolean eventLoopStarted;
  // held for the life of the process: libvirt calls it from native code
  private static final ErrorCallback SILENT_ERRORS = new ErrorCallback();

  private final Connect connect;
  private final List<LifecycleListener> listeners = new CopyOnWriteArrayList<>();
  private final String uri;

  public LibvirtHypervisor(String uri) {
    this.uri = uri;
    startEventLoop();
    try {
      this.connect = new Connect(uri, false);
    } catch (LibvirtException e) {
      throw new HypervisorException("cannot connect to " + uri + ": " + e.getMessage(), e);
    }
  }

  /** libvirt wants its event loop registered before the first connection, once per process. */
  private static synchronized void startEventLoop() {
    if (eventLoopStarted) return;
    try {
      // errors reach us as exceptions; libvirt's default handler would also print them to stderr
      Connect.setErrorCallback(SILENT_ERRORS);
      Library.initEventLoop();
    } catch (LibvirtException e) {
      throw new HypervisorException("cannot start libvirt's event loop: " + e.getMessage(), e);
    }
    Thread loop = new Thread(() -> {
      try {
        Library.runEventLoop();
      } catch (LibvirtException | InterruptedException e) {
        log.warn("libvirt event loop ended: {}", e.getMessage());
      }
    }, "libvirt-events");
    loop.setDaemon(true);
    loop.start();
    eventLoopStarted = true;
  }

  @Override
  public HostFacts facts() {
    return call(() -> {
      NodeInfo info = connect.nodeInfo();
      return new HostFacts(connect.getType(), connect.getVersion(), info.cpus, info.memory / 1024);
    });
  }

  @Override
  public Map<String, PowerState> domains(String prefix) {
    return call(() -> {
      Map<String, PowerState> out = new HashMap<>();
      Domain[] all = connect.listAllDomains(0);
      try {
        for (Domain d : all) {
          try {
            String name = d.getName();
            if (name.startsWith(prefix)) out.put(name, powerState(d.getInfo().state));
          } catch (LibvirtException e) {
            if (!isNoDomain(e)) throw e; // removed between the listing and this look
          }
        }
      } finally {
        for (Domain d : all) d.free();
      }
      return out;
    });
  }

  @Override
  public Optional<PowerState> state(String name) {
    return call(() -> {
      Optional<Domain> d = lookup(name);
      try {
        return d.isPresent() ? Optional.of(powerState(d.get().getInfo().state)) : Optional.empty();
      } finally {
        free(d);
      }
    });
  }

  @Override
  public Optional<String> definition(String name) {
    return call(() -> {
      Optional<Domain> d = lookup(name);
      try {
        return d.isPresent() ? Optional.of(d.get().getXMLDesc(0)) : Optional.empty();
      } finally {
        free(d);
      }
    });
  }

  @Override
  public void define(String name, String xml) {
    run(() -> {
      Optional<Domain> d = lookup(name);
      if (d.isPresent()) {
        free(d);
      } else {
        connect.domainDefineXML(xml).free();
      }
    });
  }

  @Override
  public void redefine(String xml) {
    run(() -> connect.domainDefineXML(xml).free());
  }

  @Override
  public void attachNic(String name, DomainSpec.Nic nic) {
    String xml = DomainXml.nic(nic);
    onDomain(name, d -> {
      if (d.isActive() != 0 && !DomainXml.hasNic(d.getXMLDesc(0), nic.mac())) {
        unlessUnsupported(() -> d.attachDeviceFlags(xml, Domain.DeviceModifyFlags.LIVE));
      }
      String config = d.getXMLDesc(Domain.XMLFlags.INACTIVE);
      if (!DomainXml.hasNic(config, nic.mac())) connect.domainDefineXML(DomainXml.withNic(config, nic)).free();
    });
  }

  @Override
  public void detachNic(String name, DomainSpec.Nic nic) {
    String xml = DomainXml.nic(nic);
    onDomain(name, d -> {
      if (d.isActive() != 0 && DomainXml.hasNic(d.getXMLDesc(0), nic.mac())) {
        unlessUnsupported(() -> d.detachDeviceFlags(xml, Domain.DeviceModifyFlags.LIVE));
      }
      String config = d.getXMLDesc(Domain.XMLFlags.INACTIVE);
      if (DomainXml.hasNic(config, nic.mac())) {
        connect.domainDefineXML(DomainXml.withoutNic(config, nic.mac())).free();
      }
    });
  }

  @Override
  public void attachDisk(String name, String device, String disk) {
    onDomain(name, d -> {
      if (d.isActive() != 0 && !DomainXml.hasDisk(d.getXMLDesc(0), device)) {
        unlessUnsupported(() -> d.attachDeviceFlags(disk, Domain.DeviceModifyFlags.LIVE));
      }
      String config = d.getXMLDesc(Domain.XMLFlags.INACTIVE);
      if (!DomainXml.hasDisk(config, device)) connect.domainDefineXML(DomainXml.withDisk(config, device, disk)).free();
    });
  }

  @Override
  public void detachDisk(String name, String device) {
    onDomain(name, d -> {
      String live = d.getXMLDesc(0);
      if (d.isActive() != 0 && DomainXml.hasDisk(live, device)) {
        String disk = DomainXml.diskOf(live, device);
        unlessUnsupported(() -> d.detachDeviceFlags(disk, Domain.DeviceModifyFlags.LIVE));
      }
      String config = d.getXMLDesc(Domain.XMLFlags.INACTIVE);
      if (DomainXml.hasDisk(config, device)) connect.domainDefineXML(DomainXml.withoutDisk(config, device)).free();
    });
  }

  @Override
  public void growDisk(String name, String device, long bytes) {
    run(() -> {
      Optional<Domain> found = lookup(name);
      if (found.isEmpty()) return; // no guest to tell: a domain defined later opens the grown source
      Domain d = found.get();
      try {
        String target = DomainXml.targetOf(device);
        if (d.isActive() != 0 && DomainXml.hasDisk(d.getXMLDesc(0), device) && d.blockInfo(target).getCapacity() < bytes) {
          // QEMU's block_resize: the virtio disk's capacity changes and the guest's kernel is told (the test driver has none)
          unlessUnsupported(() -> d.blockResize(target, bytes, Domain.BlockResizeFlags.BYTES));
        }
      } finally {
        d.free();
      }
    });
  }

  @Override
  public void defineCephSecret(java.util.UUID uuid, String user, byte[] key) {
    run(() -> {
      org.libvirt.Secret secret = connect.secretDefineXML(cephSecretXml(uuid, user));
      try {
        secret.setValue(key);
      } finally {
        secret.free();
      }
    });
  }

  /** A private, persistent secret of Ceph usage for client {@code user}, named as Nimbus's own. */
  static String cephSecretXml(java.util.UUID uuid, String user) {
    return "<secret ephemeral='no' private='yes'><uuid>" + uuid + "</uuid><usage type='ceph'><name>nimbus client."
        + DomainXml.escape(user) + " secret</name></usage></secret>";
  }

  /** libvirt's test driver has no hot-plug: its domains run no guest, so their definition is all there is. */
  private static void unlessUnsupported(LibvirtRun f) throws LibvirtException {
    try {
      f.run();
    } catch (LibvirtException e) {
      if (e.getError() == null || e.getError().getCode() != ErrorNumber.VIR_ERR_NO_SUPPORT) throw e;
    }
  }

  @Override
  public void start(String name) {
    onDomain(name, d -> {
      if (d.isActive() == 0) d.create();
    });
  }

  @Override
  public void stop(String name, Duration graceful) {
    onDomain(name, d -> {
      if (d.isActive() != 0 && !graceful.isZero()) {
        d.shutdown();
        long deadline = System.nanoTime() + graceful.toNanos();
        while (d.isActive() != 0 && System.nanoTime() < deadline) {
          LockSupport.parkNanos(Duration.ofMillis(200).toNanos()); // on a blocking thread
        }
      }
      if (d.isActive() != 0) d.destroy();
    });
  }

  @Override
  public void pause(String name) {
    onDomain(name, d -> {
      if (d.getInfo().state != DomainInfo.DomainState.VIR_DOMAIN_PAUSED) d.suspend();
    });
  }

  @Override
  public void unpause(String name) {
    onDomain(name, d -> {
      if (d.getInfo().state == DomainInfo.DomainState.VIR_DOMAIN_PAUSED) d.resume();
    });
  }

  @Override
  public void save(String name) {
    onDomain(name, d -> {
      if (d.isActive() != 0) d.managedSave();
    });
  }

  @Override
  public void remove(String name) {
    run(() -> {
      Optional<Domain> d = lookup(name);
      try {
        if (d.isPresent()) {
          if (d.get().isActive() != 0) d.get().destroy();
          d.get().undefine(Domain.UndefineFlags.MANAGED_SAVE); // a suspended one has a saved image
        }
      } finally {
        free(d);
      }
    });
  }

  @Override
  public void onLifecycleEvent(Consumer<String> listener) {
    LifecycleListener lifecycle = (domain, event) -> {
      try {
        listener.accept(domain.getName());
      } catch (LibvirtException e) {
        log.debug("lifecycle event for an unnamed domain: {}", e.getMessage());
      }
      return 0;
    };
    run(() -> connect.addLifecycleListener(lifecycle));
    listeners.add(lifecycle);
  }

  @Override
  public void close() {
    try {
      // no callback may arrive for a closed connection
      for (LifecycleListener l : listeners) connect.removeLifecycleListener(l);
    } catch (LibvirtException e) {
      log.debug("removing listeners of {}: {}", uri, e.getMessage());
    } finally {
      try {
        connect.close();
      } catch (LibvirtException e) {
        log.debug("closing {}: {}", uri, e.getMessage());
      }
    }
  }

  static PowerState powerState(DomainInfo.DomainState state) {
    return switch (state) {
      case VIR_DOMAIN_RUNNING, VIR_DOMAIN_BLOCKED -> PowerState.RUNNING;
      case VIR_DOMAIN_PAUSED -> PowerState.PAUSED;
      case VIR_DOMAIN_SHUTDOWN, VIR_DOMAIN_SHUTOFF -> PowerState.SHUTDOWN;
      case VIR_DOMAIN_CRASHED -> PowerState.CRASHED;
      case VIR_DOMAIN_PMSUSPENDED -> PowerState.SUSPENDED;
      default -> PowerState.NOSTATE;
    };
  }

  private interface LibvirtCall<T> {
    T get() throws LibvirtException;
  }

  private interface LibvirtRun {
    void run() throws LibvirtException;
  }

  private interface DomainRun {
    void run(Domain d) throws LibvirtException;
  }

  /** Runs {@code f} on the named domain (which must exist) and frees the handle after. */
  private void onDomain(String name, DomainRun f) {
    run(() -> {
      Domain d = require(name);
      try {
        f.run(d);
      } finally {
        d.free();
      }
    });
  }

  private Optional<Domain> lookup(String name) throws LibvirtException {
    try {
      return Optional.of(connect.domainLookupByName(name));
    } catch (LibvirtException e) {
      if (isNoDomain(e)) return Optional.empty();
      throw e;
    }
  }

  private static boolean isNoDomain(LibvirtException e) {
    return e.getError() != null && e.getError().getCode() == ErrorNumber.VIR_ERR_NO_DOMAIN;
  }

  private Domain require(String name) throws LibvirtException {
    return lookup(name).orElseThrow(() -> new HypervisorException("no domain " + name, null));
  }

  private static void free(Optional<Domain> d) throws LibvirtException {
    if (d.isPresent()) d.get().free();
  }

  private static <T> T call(LibvirtCall<T> f) {
    try {
      return f.get();
    } catch (LibvirtException e) {
      throw new HypervisorException(e.getMessage(), e);
    }
  }

  private static void run(LibvirtRun f) {
    call(() -> {
      f.run();
      return null;
    });
  }
}
