package nimbus.node.metadata;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import nimbus.compute.InstanceMetadata;
import nimbus.compute.ServerPort;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The servers whose guests run on this host, with what each guest may read about itself and the
 * ports it has: the metadata server asks which guest holds an address on a network. Each server
 * is kept in a file of its own ({@code DIR/SERVER-ID.json}, readable by root alone: user data
 * may hold secrets), so an agent that restarts serves its running guests at once.
 */
public final class LocalGuests {
  private static final Logger log = LoggerFactory.getLogger(LocalGuests.class);
  private static final Pattern SERVER_FILE = Pattern.compile("[0-9a-f-]{36}\\.json");
  private static final ObjectMapper JSON = new ObjectMapper().registerModule(new Jdk8Module())
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  /** What the metadata server and the agent ask. */
  public interface Command {}

  /** A server on this host (spawned, rebuilt, moved here): what its guest may read, its ports and NICs. */
  public record Remember(InstanceMetadata instance, List<ServerPort> ports, List<GuestNic> nics) implements Command {
    public Remember {
      ports = List.copyOf(ports);
      nics = List.copyOf(nics);
    }
  }

  /** A server's ports changed (a NIC attached or detached); nothing if it is not known here. */
  public record UpdatePorts(String serverId, List<ServerPort> ports) implements Command {}

  /** A server left this host. */
  public record Forget(String serverId) implements Command {}

  /** The guest on this host whose port on {@code networkId} has the fixed IP {@code address}. */
  public record Find(String networkId, String address, ActorRef<Optional<Guest>> replyTo) implements Command {}

  /** A server's guest: what it may read, its ports, and its NICs as its metadata describes them. */
  public record Guest(InstanceMetadata instance, List<ServerPort> ports, List<GuestNic> nics) {
    public Guest {
      ports = List.copyOf(ports);
      nics = nics == null ? List.of() : List.copyOf(nics);
    }

    boolean holds(String networkId, String address) {
      return ports.stream().anyMatch(p -> p.networkId().equalsIgnoreCase(networkId)
          && p.fixedIps().stream().anyMatch(f -> f.ipAddress().equals(address)));
    }
  }

  private record Loaded(Map<String, Guest> guests) implements Command {}

  public static Behavior<Command> create(Path dir, Executor blocking) {
    return Behaviors.setup(ctx -> Behaviors.withStash(10_000, stash -> new LocalGuests(ctx, dir, blocking).loading(stash)));
  }

  private final ActorContext<Command> ctx;
  private final Path dir;
  private final Executor blocking;
  /** Oldest first: when two claim one address (a stale record), the newer wins. */
  private final LinkedHashMap<String, Guest> guests = new LinkedHashMap<>();
  /** Writes run one after another, in the order they were asked for. */
  private CompletableFuture<Void> writes = CompletableFuture.completedFuture(null);

  private LocalGuests(ActorContext<Command> ctx, Path dir, Executor blocking) {
    this.ctx = ctx;
    this.dir = dir;
    this.blocking = blocking;
  }

  private Behavior<Command> loading(StashBuffer<Command> stash) {
    ctx.pipeToSelf(CompletableFuture.supplyAsync(() -> read(dir), blocking),
        (loaded, e) -> new Loaded(e == null ? loaded : Map.of()));
    return Behaviors.receive(Command.class)
        .onMessage(Loaded.class, m -> {
          guests.putAll(m.guests());
          return stash.unstashAll(running());
        })
        .onMessage(Command.class, m -> {
          stash.stash(m);
          return Behaviors.same();
        })
        .build();
  }

  private Behavior<Command> running() {
    return Behaviors.receive(Command.class)
        .onMessage(Remember.class, m -> {
          keep(new Guest(m.instance(), m.ports(), m.nics()));
          return Behaviors.same();
        })
        .onMessage(UpdatePorts.class, m -> {
          Guest known = guests.get(m.serverId());
          if (known != null) keep(new Guest(known.instance(), m.ports(), known.nics()));
          return Behaviors.same();
        })
        .onMessage(Forget.class, m -> {
          if (guests.remove(m.serverId()) != null) later(() -> Files.deleteIfExists(file(m.serverId())));
          return Behaviors.same();
        })
        .onMessage(Find.class, m -> {
          List<Guest> newestFirst = new ArrayList<>(guests.values());
          java.util.Collections.reverse(newestFirst);
          m.replyTo().tell(newestFirst.stream().filter(g -> g.holds(m.networkId(), m.address())).findFirst());
          return Behaviors.same();
        })
        .build();
  }

  private void keep(Guest guest) {
    String id = guest.instance().serverId();
    guests.remove(id);
    guests.put(id, guest);
    later(() -> write(file(id), JSON.writeValueAsString(guest)));
  }

  private Path file(String serverId) {
    return dir.resolve(serverId.toLowerCase() + ".json");
  }

  private interface Io {
    void run() throws IOException;
  }

  private void later(Io io) {
    writes = writes.thenRunAsync(() -> {
      try {
        io.run();
      } catch (IOException e) {
        log.warn("cannot keep the metadata of this host's guests in {}: {}", dir, e.getMessage());
      }
    }, blocking);
  }

  private static void write(Path file, String content) throws IOException {
    Files.createDirectories(file.getParent());
    Files.setPosixFilePermissions(file.getParent(), PosixFilePermissions.fromString("rwx------"));
    Path partial = file.resolveSibling("." + file.getFileName());
    Files.writeString(partial, content);
    Files.setPosixFilePermissions(partial, PosixFilePermissions.fromString("rw-------"));
    Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /** Every server kept in {@code dir}, oldest file first; a file that does not read is left out. */
  static Map<String, Guest> read(Path dir) {
    Map<String, Guest> out = new LinkedHashMap<>();
    if (!Files.isDirectory(dir)) return out;
    try (Stream<Path> files = Files.list(dir)) {
      List<Path> kept = files.filter(f -> SERVER_FILE.matcher(f.getFileName().toString()).matches())
          .sorted(java.util.Comparator.comparing(LocalGuests::modified)).toList();
      for (Path f : kept) {
        try {
          Guest g = JSON.readValue(Files.readString(f), Guest.class);
          out.put(g.instance().serverId(), g);
        } catch (IOException | RuntimeException e) {
          log.warn("ignoring {}: {}", f, e.getMessage());
        }
      }
    } catch (IOException e) {
      log.warn("cannot read the metadata of this host's guests in {}: {}", dir, e.getMessage());
    }
    return out;
  }

  private static long modified(Path f) {
    try {
      return Files.getLastModifiedTime(f).toMillis();
    } catch (IOException e) {
      return 0;
    }
  }
}
