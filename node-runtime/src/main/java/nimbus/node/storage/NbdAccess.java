package nimbus.node.storage;

/** Who may connect to a storage host's NBD ports; {@link NbdExports} asks it to be in force before an export starts. */
@FunctionalInterface
public interface NbdAccess {
  /** Brings the host's rules up to date with the cluster's compute hosts. Blocking; idempotent. */
  void protect();
}
