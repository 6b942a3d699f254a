package nimbus.storage;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import nimbus.cluster.CborSerializable;

/**
 * A Cinder volume type: its name, description, whether every project may use it or only those
 * in {@code projects} ({@code os-volume-type-access}), and its extra specs. The extra spec
 * {@value #BACKEND} names the storage backend its volumes are made on.
 */
public record VolumeType(String id, String name, String description, boolean isPublic, Set<String> projects,
    Map<String, String> extraSpecs) implements CborSerializable {

  /** The type a volume gets when none is asked for, as Cinder's. */
  public static final String DEFAULT_NAME = "__DEFAULT__";
  public static final String DEFAULT_ID = UUID.nameUUIDFromBytes(DEFAULT_NAME.getBytes()).toString();
  /** The extra spec that chooses the backend (Cinder's scheduler filter). */
  public static final String BACKEND = "volume_backend_name";

  public static final VolumeType DEFAULT =
      new VolumeType(DEFAULT_ID, DEFAULT_NAME, "Default Volume Type", true, Set.of(), Map.of());

  public VolumeType {
    projects = Set.copyOf(projects);
    extraSpecs = Map.copyOf(extraSpecs);
  }

  public boolean usableBy(String projectId) {
    return isPublic || projects.contains(projectId);
  }

  /** The backend its volumes must be made on; empty: any. */
  public Optional<String> backend() {
    return Optional.ofNullable(extraSpecs.get(BACKEND));
  }

  public VolumeType withSpecs(Map<String, String> specs) {
    return new VolumeType(id, name, description, isPublic, projects, specs);
  }

  public VolumeType withProjects(Set<String> granted) {
    return new VolumeType(id, name, description, isPublic, granted, extraSpecs);
  }

  public VolumeType renamed(String newName, String newDescription, boolean nowPublic) {
    return new VolumeType(id, newName, newDescription, nowPublic, projects, extraSpecs);
  }
}
