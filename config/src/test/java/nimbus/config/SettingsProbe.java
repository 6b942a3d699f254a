package nimbus.config;

import com.typesafe.config.ConfigFactory;
import java.util.Optional;

/** Prints where a node's files would go, for tests that start it with an environment of its own. */
final class SettingsProbe {
  private SettingsProbe() {}

  public static void main(String[] args) {
    NimbusSettings s = NimbusSettings.load(Optional.empty(), ConfigFactory.empty());
    System.out.println(s.dataDir());
    System.out.println(s.images().get(0).kernel());
    System.out.println(s.host().instancesDir());
    System.out.println(s.imageStore().dir());
  }
}
