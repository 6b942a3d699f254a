package nimbus.compute;

import java.util.Optional;
import nimbus.cluster.CborSerializable;

/**
 * A NIC being attached to or detached from a running or stopped server (Nova's os-interface),
 * and the step it is at. {@code portId} is known from the start: the user's port, or the id of
 * the port the server makes.
 */
public record NicChange(boolean attach, Optional<NicRequest> request, String portId, Optional<ServerPort> port,
    Step step) implements CborSerializable {

  /** Attach: allocating → binding → plugging; detach: unplugging → releasing; a failed attach releases what it made. */
  public enum Step { ALLOCATING, BINDING, PLUGGING, UNPLUGGING, RELEASING }

  NicChange at(Step next) {
    return new NicChange(attach, request, portId, port, next);
  }

  NicChange with(ServerPort allocated, Step next) {
    return new NicChange(attach, request, portId, Optional.of(allocated), next);
  }

  /** Whether the server made the port (it goes when detached), rather than the user. */
  boolean owned() {
    return request.map(r -> r.portId().isEmpty()).orElseGet(() -> port.map(ServerPort::owned).orElse(false));
  }
}
