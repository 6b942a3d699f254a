package nimbus.storage;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import nimbus.cluster.CborSerializable;

/**
 * An image as the image API shows it. {@code location} is a file already on the hosts
 * (configured images); {@code file} is the uploaded file in the store; {@code members} are the
 * projects a shared image is shared with, by project id.
 */
public record Image(String id, String ownerProjectId, String status, ImageMetadata metadata,
    Optional<String> location, Optional<StoredFile> file, Instant createdAt, Instant updatedAt,
    Map<String, ImageMember> members) implements CborSerializable {

  public Image {
    members = members == null ? Map.of() : Map.copyOf(members); // absent in images of earlier versions
  }

  /** A new image, shared with no one. */
  public Image(String id, String ownerProjectId, String status, ImageMetadata metadata, Optional<String> location,
      Optional<StoredFile> file, Instant createdAt, Instant updatedAt) {
    this(id, ownerProjectId, status, metadata, location, file, createdAt, updatedAt, Map.of());
  }

  public String name() {
    return metadata.name();
  }

  public String diskFormat() {
    return metadata.diskFormat();
  }

  public String visibility() {
    return metadata.visibility();
  }

  public Optional<String> property(String key) {
    return Optional.ofNullable(metadata.properties().get(key));
  }

  /**
   * Whether {@code projectId} may see and boot it: public and community images, its own, and
   * shared images it is a member of (whatever it answered, as Glance has it).
   */
  public boolean visibleTo(String projectId) {
    return visibility().equals("public") || visibility().equals("community") || ownerProjectId.equals(projectId)
        || (visibility().equals("shared") && members.containsKey(projectId));
  }

  /** Why this image cannot take {@code next} as its metadata, if it cannot. */
  public Optional<String> refusal(ImageMetadata next) {
    boolean formatsChanged = !Objects.equals(next.diskFormat(), metadata.diskFormat())
        || !Objects.equals(next.containerFormat(), metadata.containerFormat());
    if (formatsChanged && !status.equals("queued")) {
      return Optional.of("Attribute container_format can be only replaced for a queued image.");
    }
    return Optional.empty();
  }

  /** The image after one of its events. */
  public Image after(ImageEntity.Event event) {
    Instant at = event.at();
    if (event instanceof ImageEntity.MetadataUpdated e) return with(status, e.metadata(), file, at);
    if (event instanceof ImageEntity.UploadStarted) return with("saving", metadata, file, at);
    if (event instanceof ImageEntity.UploadFinished e) return with("active", metadata, Optional.of(e.file()), at);
    if (event instanceof ImageEntity.UploadAborted) return with("queued", metadata, Optional.empty(), at);
    if (event instanceof ImageEntity.ImageDeactivated) return with("deactivated", metadata, file, at);
    if (event instanceof ImageEntity.ImageReactivated) return with("active", metadata, file, at);
    if (event instanceof ImageEntity.ImageDeleted) return with("deleted", metadata, file, at);
    if (event instanceof ImageEntity.OwnerChanged e) {
      return new Image(id, e.owner(), status, metadata, location, file, createdAt, at, members);
    }
    if (event instanceof ImageEntity.LocationMoved e) {
      return new Image(id, ownerProjectId, status, metadata, Optional.of(e.location()), file, createdAt, at, members);
    }
    Map<String, ImageMember> next = new HashMap<>(members);
    if (event instanceof ImageEntity.MemberAdded e) next.put(e.projectId(), new ImageMember("pending", at, at));
    if (event instanceof ImageEntity.MemberAnswered e) next.put(e.projectId(), next.get(e.projectId()).answered(e.status(), at));
    if (event instanceof ImageEntity.MemberRemoved e) next.remove(e.projectId());
    return new Image(id, ownerProjectId, status, metadata, location, file, createdAt, at, next);
  }

  private Image with(String s, ImageMetadata m, Optional<StoredFile> f, Instant at) {
    return new Image(id, ownerProjectId, s, m, location, f, createdAt, at, members);
  }
}
