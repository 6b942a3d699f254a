package nimbus.config;

/**
 * A setting that stops start-up. Its message is one line naming the setting and the fix, meant
 * to be printed as it is (never with a stack trace).
 */
public final class SettingsException extends RuntimeException {
  public SettingsException(String setting, String problem, String fix) {
    super(setting + ": " + problem + "; " + fix);
  }
}
