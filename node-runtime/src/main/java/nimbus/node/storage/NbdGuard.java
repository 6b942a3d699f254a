package nimbus.node.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import nimbus.node.agent.CommandRunner;

/**
 * The driver of {@link NbdFirewall}: lets the compute hosts' addresses, as {@code members} names
 * them now, reach the NBD ports, and nothing else. The first call writes the chains (keeping the
 * sets the host had); later calls change the sets only when the members changed, each change one
 * {@code nft -f} transaction, and write the chains again if the table is gone. An address that is not an IP literal is left out.
 */
public final class NbdGuard implements NbdAccess {
  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  /**
   * The compute hosts' addresses; {@code complete} once the view of the cluster can be trusted to
   * name every host (before that, addresses are only added: a host not heard of yet is not taken out).
   */
  public record Members(Set<String> addresses, boolean complete) {
    public Members {
      addresses = Set.copyOf(addresses);
    }
  }

  private final NbdPorts ports;
  private final CommandRunner commands;
  private final Supplier<Members> members;
  /** What the sets hold, as far as this guard knows (empty: the chains are not written yet). */
  private Optional<Members> applied = Optional.empty();

  public NbdGuard(NbdPorts ports, CommandRunner commands, Supplier<Members> members) {
    this.ports = ports;
    this.commands = commands;
    this.members = members;
  }

  @Override
  public synchronized void protect() {
    Members now = members.get();
    Set<String> addresses = new TreeSet<>();
    now.addresses().stream().filter(NbdFirewall::literal).forEach(addresses::add);
    Members wanted = new Members(addresses, now.complete());
    boolean there = inForce();
    if (there && applied.equals(Optional.of(wanted))) return;
    String text = (there && applied.isPresent() ? "" : NbdFirewall.ruleset(ports))
        + NbdFirewall.members(addresses, now.complete());
    // until it is known to be in force, nothing is: a failed call leaves the next one to write it whole
    applied = Optional.empty();
    if (!text.isEmpty()) nft(text);
    applied = Optional.of(wanted);
  }

  /** Whether the table is there (nobody removed it, or flushed the ruleset, behind the guard's back). */
  private boolean inForce() {
    try {
      commands.run(List.of("nft", "list", "chain", "inet", NbdFirewall.TABLE, "nbd"), TIMEOUT);
      return true;
    } catch (IllegalStateException missing) {
      return false;
    }
  }

  private void nft(String rules) {
    Path file = null;
    try {
      file = Files.writeString(Files.createTempFile("nimbus-nbd", ".rules"), rules);
      commands.run(List.of("nft", "-f", file.toString()), TIMEOUT);
    } catch (IOException e) {
      throw new StorageException("cannot write the NBD firewall rules: " + e.getMessage(), e);
    } finally {
      if (file != null) file.toFile().delete();
    }
  }
}
