package nimbus.compute;

/** A domain's power state, with Nova's numeric codes (the API shows the code). */
public enum PowerState {
  NOSTATE(0), RUNNING(1), PAUSED(3), SHUTDOWN(4), CRASHED(6), SUSPENDED(7);

  public final int code;

  PowerState(int code) {
    this.code = code;
  }

  public boolean isOff() {
    return this == SHUTDOWN || this == CRASHED || this == NOSTATE;
  }
}
