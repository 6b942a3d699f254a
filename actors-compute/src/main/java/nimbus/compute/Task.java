package nimbus.compute;

/** Work in progress on a server, with Nova's {@code task_state} names. */
public enum Task {
  SCHEDULING("scheduling"),
  SPAWNING("spawning"),
  POWERING_OFF("powering-off"),
  POWERING_ON("powering-on"),
  REBOOTING("rebooting"),
  REBOOTING_HARD("rebooting_hard"),
  PAUSING("pausing"),
  UNPAUSING("unpausing"),
  SUSPENDING("suspending"),
  RESUMING("resuming"),
  REBUILDING("rebuilding"),
  RESIZE_PREP("resize_prep"),
  RESIZE_MIGRATING("resize_migrating"),
  RESIZE_REVERTING("resize_reverting"),
  RESIZE_CONFIRMING("resize_confirming"),
  IMAGE_SNAPSHOT("image_snapshot"),
  DELETING("deleting");

  public final String novaName;

  Task(String novaName) {
    this.novaName = novaName;
  }
}
