package nimbus.compute;

/** Nova's vm_state of a server: what it is, apart from any task under way. */
public enum VmState {
  BUILDING("building"), ACTIVE("active"), STOPPED("stopped"), PAUSED("paused"), SUSPENDED("suspended"),
  RESIZED("resized"), ERROR("error"), DELETED("deleted");

  /** As Nova's API shows it ({@code OS-EXT-STS:vm_state}). */
  public final String novaName;

  VmState(String novaName) {
    this.novaName = novaName;
  }
}
