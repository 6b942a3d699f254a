package nimbus.config;

/** A HOST:PORT pair, as given to {@code --join}. */
public record HostPort(String host, int port) {

  public static HostPort parse(String setting, String value) {
    String v = value.trim();
    int colon = v.lastIndexOf(':');
    if (colon <= 0 || colon == v.length() - 1) {
      throw new SettingsException(setting, "'" + value + "' is not HOST:PORT",
          "write it as e.g. 10.0.0.1:2551");
    }
    String host = v.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
    int port;
    try {
      port = Integer.parseInt(v.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new SettingsException(setting, "'" + value + "' has no numeric port",
          "write it as e.g. 10.0.0.1:2551");
    }
    if (host.isBlank() || host.contains("/") || host.contains(" ")) {
      throw new SettingsException(setting, "'" + value + "' has no valid host",
          "write it as e.g. 10.0.0.1:2551");
    }
    return new HostPort(host, Ports.check(setting, port, false));
  }

  @Override
  public String toString() {
    return host.contains(":") ? "[" + host + "]:" + port : host + ":" + port;
  }
}
