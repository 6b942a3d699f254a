package nimbus.storage;

import java.time.Instant;
import java.util.Optional;
import nimbus.cluster.CborSerializable;

/**
 * A volume's change of type (Cinder's {@code os-retype}), kept while it runs ({@code retyping}) and
 * after it, for the migration status Cinder shows. {@code fromType}/{@code fromBackend} are what
 * the volume had, {@code toType}/{@code toBackend} what it gets; {@code migrate} whether its bytes
 * move to a storage host of {@code toBackend}. The steps: the project's quota counts the volume
 * under {@code toType} ({@code quotaMoved}); with a migration, a host of the new backend
 * ({@code targetHost}) makes the volume's storage as a raw copy of its bytes and the volume switches
 * to it ({@code switched}), then the storage on {@code fromHost} is removed. A failed copy
 * ({@code failure}) moves the quota back, and the volume keeps its type and bytes.
 * {@code migrationStatus} is Cinder's {@code migration_status}: empty for a retype without
 * migration, {@code migrating}, {@code success} or {@code error}. {@code copyBegan}: when the copy
 * was first asked (its timeout counts from there). {@code interrupted}: an admin reset the volume's
 * status before it switched; the retype failed, and the quota is still to move back, the volume
 * resting in the status the admin gave meanwhile.
 */
public record VolumeRetype(String fromType, Optional<String> fromBackend, String toType, Optional<String> toBackend,
    boolean migrate, String priorStatus, Optional<String> fromHost, boolean quotaMoved, Optional<String> targetHost,
    boolean switched, Optional<String> failure, Optional<String> migrationStatus, Optional<Instant> copyBegan,
    boolean interrupted)
    implements CborSerializable {

  public VolumeRetype {
    if (copyBegan == null) copyBegan = Optional.empty(); // absent in retypes of earlier versions
  }

  public static final String MIGRATING = "migrating";
  public static final String SUCCESS = "success";
  public static final String ERROR = "error";

  /** A retype asked of a volume of {@code v}'s type, host and status. */
  static VolumeRetype requested(Volume v, String toType, Optional<String> toBackend, boolean migrate) {
    return new VolumeRetype(v.volumeType(), v.backend(), toType, toBackend, migrate, v.status(), v.host(), false,
        Optional.empty(), false, Optional.empty(), migrate ? Optional.of(MIGRATING) : Optional.empty(), Optional.empty(),
        false);
  }

  /** The quota counts it under the new type at {@code at}: a copy, if any, is asked from then on. */
  VolumeRetype quotaMoved(boolean moved, Instant at) {
    return new VolumeRetype(fromType, fromBackend, toType, toBackend, migrate, priorStatus, fromHost, moved, targetHost,
        switched, failure, migrationStatus, Optional.of(at), interrupted);
  }

  /** The bytes are whole on {@code host}: the volume is there from now on. */
  VolumeRetype switchedTo(String host) {
    return new VolumeRetype(fromType, fromBackend, toType, toBackend, migrate, priorStatus, fromHost, quotaMoved,
        Optional.of(host), true, failure, migrationStatus, copyBegan, interrupted);
  }

  VolumeRetype failed(String reason) {
    return new VolumeRetype(fromType, fromBackend, toType, toBackend, migrate, priorStatus, fromHost, quotaMoved,
        targetHost, switched, Optional.of(reason), migrationStatus, copyBegan, interrupted);
  }

  /** An admin reset the volume's status midway: the retype failed, its quota still to move back. */
  VolumeRetype interruptedBy(String reason) {
    return new VolumeRetype(fromType, fromBackend, toType, toBackend, migrate, priorStatus, fromHost, quotaMoved,
        targetHost, switched, Optional.of(reason), migrationStatus, copyBegan, true);
  }

  /** Whether an interrupted retype's quota is still to move back (the volume rests meanwhile). */
  public boolean undoing() {
    return interrupted && failure.isPresent();
  }

  VolumeRetype ended() {
    // a new backend served by the volume's own host moved nothing: no migration to show
    boolean moved = migrate && (failure.isPresent() || !targetHost.equals(fromHost));
    Optional<String> status = moved ? Optional.of(failure.isPresent() ? ERROR : SUCCESS) : Optional.empty();
    return new VolumeRetype(fromType, fromBackend, toType, toBackend, migrate, priorStatus, fromHost, quotaMoved,
        targetHost, switched, failure, status, copyBegan, false);
  }

}
