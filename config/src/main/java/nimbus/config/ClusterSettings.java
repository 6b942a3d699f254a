package nimbus.config;

import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.List;

/** Where this node listens for cluster traffic and which nodes it joins. */
public record ClusterSettings(String hostname, int port, List<HostPort> seedNodes) {

  static ClusterSettings from(Config c) {
    int port = Ports.check("nimbus.cluster.port", c.getInt("port"), true);
    List<HostPort> seeds = new ArrayList<>();
    for (String s : c.getStringList("seed-nodes")) {
      seeds.add(HostPort.parse("nimbus.cluster.seed-nodes", s));
    }
    return new ClusterSettings(c.getString("hostname"), port, List.copyOf(seeds));
  }
}
