package nimbus.node.dataplane;

import java.nio.file.Path;
import java.util.List;

/**
 * The configuration of the host's one haproxy in front of the agent's metadata server, as
 * Neutron and OVN put haproxy there: a frontend per tenant network, listening on
 * {@value MetadataNamespace#ADDRESS}:80 inside that network's namespace, which tells the server
 * the network and the guest's address. Both headers are set, never added to: whatever a guest
 * sends under those names is replaced, so a guest cannot claim another's network or address.
 * The server listens on the host's loopback, which no guest reaches. Pure.
 */
public final class MetadataProxy {
  /** The network the request came from, as the proxy says. */
  public static final String NETWORK_HEADER = "X-Nimbus-Network-ID";
  /** The guest's address, as the proxy saw it (the TCP peer in the network's namespace). */
  public static final String ADDRESS_HEADER = "X-Forwarded-For";

  private MetadataProxy() {}

  /** The haproxy configuration for these networks, forwarding to the server on {@code 127.0.0.1:serverPort}. */
  public static String config(List<String> networkIds, int serverPort, Path pidFile) {
    if (serverPort < 1 || serverPort > 65535) throw new IllegalArgumentException("no port " + serverPort);
    StringBuilder text = new StringBuilder();
    text.append("# Nimbus: the metadata service of this host's tenant networks (written by the agent)\n");
    text.append("global\n");
    text.append("    maxconn 1024\n");
    text.append("    pidfile ").append(pidFile).append('\n');
    text.append("defaults\n");
    text.append("    mode http\n");
    text.append("    timeout connect 5s\n");
    text.append("    timeout client 30s\n");
    text.append("    timeout server 30s\n");
    text.append("    timeout http-request 10s\n");
    for (String id : networkIds.stream().map(String::toLowerCase).sorted().toList()) {
      String ns = MetadataNamespace.nameOf(id);
      text.append("frontend ").append(ns).append('\n');
      text.append("    bind ").append(MetadataNamespace.ADDRESS).append(":80 namespace ").append(ns).append('\n');
      text.append("    http-request set-header ").append(NETWORK_HEADER).append(' ').append(id).append('\n');
      text.append("    http-request set-header ").append(ADDRESS_HEADER).append(" %[src]\n");
      text.append("    default_backend agent\n");
    }
    text.append("backend agent\n");
    text.append("    server agent 127.0.0.1:").append(serverPort).append('\n');
    return text.toString();
  }

  /** Starts haproxy as a daemon; {@code previous}: the pids of those it replaces, which finish their requests. */
  public static List<String> start(Path config, Path pidFile, List<Long> previous) {
    List<String> args = new java.util.ArrayList<>(List.of("haproxy", "-D", "-f", config.toString(), "-p", pidFile.toString()));
    if (!previous.isEmpty()) {
      args.add("-sf");
      previous.stream().sorted().forEach(pid -> args.add(String.valueOf(pid)));
    }
    return args;
  }
}
