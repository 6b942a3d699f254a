package nimbus.storage;

import java.time.Instant;
import nimbus.cluster.CborSerializable;

/**
 * A project an image is shared with, and its answer: {@code pending} until it accepts (the
 * image then shows in its lists) or rejects it.
 */
public record ImageMember(String status, Instant createdAt, Instant updatedAt) implements CborSerializable {
  public static final java.util.Set<String> STATUSES = java.util.Set.of("pending", "accepted", "rejected");

  ImageMember answered(String newStatus, Instant at) {
    return new ImageMember(newStatus, createdAt, at);
  }
}
