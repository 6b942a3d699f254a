package nimbus.compute;

import java.util.concurrent.CompletionStage;
import nimbus.storage.Volume;
import org.apache.pekko.Done;
import org.apache.pekko.pattern.StatusReply;

/**
 * What a server's volume attach and detach ask of the volume and its storage host. Every call is
 * idempotent by the attachment's id, so a step asked again after a timeout or a crash changes
 * nothing twice.
 */
public interface VolumeAttachments {

  /**
   * Creates {@code volume} (as asked: its id, project, size and image) unless it exists; answered
   * with its status ({@code creating}, {@code available}, {@code error}), so asking again follows it.
   */
  CompletionStage<StatusReply<String>> create(Volume volume);

  /** The volume is reserved for the attachment (refused unless available, or not the project's); answered with its storage host. */
  CompletionStage<StatusReply<String>> reserve(String volumeId, String attachmentId, String serverId, String projectId);

  /** The storage host makes the volume reachable from {@code toHost}; answered with the path the guest's disk opens. */
  CompletionStage<StatusReply<String>> export(String storageHost, String volumeId, String toHost);

  /**
   * Tells the storage hosts that an attachment of the volume is over, so the one that serves it to
   * other hosts stops unless another attachment needs it (no answer: its reconciliation does it too).
   */
  void checkExport(String volumeId);

  /**
   * The volume is in use by the attachment as {@code device} on {@code host}, which opens it at
   * {@code path} (as its storage host exported it; an extend needs to know how).
   */
  CompletionStage<StatusReply<Done>> complete(String volumeId, String attachmentId, String device, String host,
      java.util.Optional<String> path);

  /** The volume is being detached from the attachment. */
  CompletionStage<StatusReply<Done>> beginDetach(String volumeId, String attachmentId);

  /** The attachment is over: the volume is available (answered also when it holds no such attachment). */
  CompletionStage<StatusReply<Done>> release(String volumeId, String attachmentId);

  /** The volume is deleted (a boot volume that goes with its server); answered also when it is gone already. */
  CompletionStage<StatusReply<Done>> delete(String volumeId);
}
