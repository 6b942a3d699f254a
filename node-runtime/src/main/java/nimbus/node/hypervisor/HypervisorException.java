package nimbus.node.hypervisor;

/** A hypervisor call failed; the message is libvirt's, fit to show as a server's fault. */
public final class HypervisorException extends RuntimeException {
  public HypervisorException(String message, Throwable cause) {
    super(message, cause);
  }
}
