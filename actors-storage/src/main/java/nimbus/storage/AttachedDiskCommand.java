package nimbus.storage;

import nimbus.cluster.CborSerializable;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.pattern.StatusReply;

/**
 * What a volume's steps ask of the compute host whose guest has the volume attached (as Cinder's
 * {@code volume-extended} event asks Nova's compute host). A compute host's agent registers under
 * {@link #of} its host's name. Idempotent: asked again after a timeout or a crash, it changes
 * nothing twice.
 */
public sealed interface AttachedDiskCommand extends CborSerializable {

  /** The compute host named {@code host}. */
  static ServiceKey<AttachedDiskCommand> of(String host) {
    return ServiceKey.create(AttachedDiskCommand.class, "attached-disks:" + host);
  }

  /**
   * The running guest of server {@code serverId} sees its disk {@code device} (the volume's) grown
   * to {@code bytes}, live (libvirt's block resize); a domain not running, or without the disk,
   * needs nothing (it opens the grown bytes when it starts). Answered once done.
   */
  record GrowDisk(String serverId, String volumeId, String device, long bytes, ActorRef<StatusReply<Done>> replyTo)
      implements AttachedDiskCommand {}
}
