package nimbus.network;

import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/**
 * Where the host carrying a router says whether each of its floating IPs is in force: Neutron's
 * floating IP {@code status}, {@code ACTIVE} once the host translates it, {@code DOWN} when it no
 * longer does. A report naming a router the floating IP no longer goes through is ignored.
 */
public interface FloatingIpReports {
  CompletionStage<Done> report(String floatingIpId, String routerId, String status);
}
