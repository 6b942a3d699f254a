package nimbus.config;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where this node listens for cluster traffic, which nodes it joins, and where its TLS
 * credentials are (the cluster's CA certificate, this node's certificate and key).
 */
public record ClusterSettings(String hostname, int port, List<HostPort> seedNodes, Path tlsDir) {

  static ClusterSettings from(Config c) {
    int port = Ports.check("nimbus.cluster.port", c.getInt("port"), true);
    List<HostPort> seeds = new ArrayList<>();
    for (String s : c.getStringList("seed-nodes")) {
      seeds.add(HostPort.parse("nimbus.cluster.seed-nodes", s));
    }
    return new ClusterSettings(c.getString("hostname"), port, List.copyOf(seeds),
        Path.of(c.getString("tls-dir")).toAbsolutePath().normalize());
  }
}
