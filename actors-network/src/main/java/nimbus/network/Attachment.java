package nimbus.network;

import java.util.List;
import nimbus.cluster.CborSerializable;

/** What a network holds for one of its ports: the port's project, MAC and addresses. */
public record Attachment(String projectId, String macAddress, List<FixedIp> fixedIps, String deviceOwner)
    implements CborSerializable {}
