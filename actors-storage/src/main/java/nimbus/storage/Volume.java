package nimbus.storage;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import nimbus.cluster.CborSerializable;

/**
 * A block storage volume as the volume API shows it, with what its steps need: {@code quotaHeld}
 * is the gigabytes its project's quota holds for it (0: none, and it is not counted as a volume),
 * {@code targetSize} the size an extend asks for (0: none; an extend of a volume in use takes it as its
 * {@code size} once its bytes are grown, before its guest's disk grows), {@code stored} whether its storage host
 * may hold a file of it (so a delete removes it), {@code host} the storage host that holds it,
 * {@code snapshotId} and {@code sourceVolid} the snapshot or volume it was copied from,
 * {@code snapshots} the snapshots of it that exist, and the backup that reads or writes it while one
 * runs (it is not deleted while it has any),
 * {@code image} the image its bytes were converted from (it is then bootable), {@code bootable}
 * and {@code readonly} Cinder's flags ({@code os-set_bootable}, {@code os-update_readonly_flag}; the
 * latter empty until first set, as Cinder shows it only then), {@code upload} its copy into an image
 * while one runs ({@code uploading}), {@code backend} the storage backend its type asks for
 * ({@code volume_backend_name}; empty: any), {@code retype} its last change of type ({@code retyping} while it runs).
 *
 * <p>{@code status} is Cinder's: {@code creating}, {@code available}, {@code extending},
 * {@code deleting}, {@code error}, {@code error_extending}, {@code error_deleting}, {@code uploading}, {@code backing-up}, {@code restoring-backup},
 * {@code error_restoring}, {@code retyping}, {@code maintenance} (an admin's reset); {@code deleted}
 * once gone (never shown).
 */
public record Volume(String id, String projectId, String userId, String name, String description, int size, String status,
    Map<String, String> metadata, String availabilityZone, String volumeType, Instant createdAt, Instant updatedAt,
    int quotaHeld, int targetSize, boolean stored, Optional<String> host, Optional<String> fault,
    Optional<VolumeAttachment> attachment, Optional<String> snapshotId, Optional<String> sourceVolid,
    java.util.Set<String> snapshots, Optional<VolumeImage> image, boolean bootable,
    Optional<Boolean> readonly, Optional<VolumeUpload> upload, Optional<String> backend, Optional<VolumeRetype> retype)
    implements CborSerializable {

  public static final String CREATING = "creating";
  public static final String AVAILABLE = "available";
  public static final String EXTENDING = "extending";
  public static final String DELETING = "deleting";
  public static final String ERROR = "error";
  public static final String ERROR_EXTENDING = "error_extending";
  public static final String ERROR_DELETING = "error_deleting";
  public static final String DELETED = "deleted";
  public static final String ATTACHING = "attaching";
  public static final String IN_USE = "in-use";
  public static final String DETACHING = "detaching";
  public static final String UPLOADING = "uploading";
  public static final String BACKING_UP = "backing-up";
  public static final String RESTORING_BACKUP = "restoring-backup";
  public static final String ERROR_RESTORING = "error_restoring";
  /** Held by an attachment of Cinder's attachments API that has no connector yet. */
  public static final String RESERVED = "reserved";
  /** Set by an admin's reset only: the volume rests, and only a forced delete or another reset changes it. */
  public static final String MAINTENANCE = "maintenance";
  /** Changing type (Cinder's os-retype), its bytes perhaps moving to another backend. */
  public static final String RETYPING = "retyping";

  public Volume {
    metadata = Map.copyOf(metadata);
    if (userId == null) userId = "";
    if (attachment == null) attachment = Optional.empty();
    if (snapshotId == null) snapshotId = Optional.empty();
    if (sourceVolid == null) sourceVolid = Optional.empty();
    snapshots = snapshots == null ? java.util.Set.of() : java.util.Set.copyOf(snapshots);
    if (image == null) image = Optional.empty(); // absent in volumes of earlier versions
    if (readonly == null) readonly = Optional.empty();
    if (upload == null) upload = Optional.empty();
    if (backend == null) backend = Optional.empty();
    if (retype == null) retype = Optional.empty();
  }

  /** A volume asked for, before its quota or storage is held. */
  public static Volume requested(String id, String projectId, String userId, String name, String description, int size,
      Map<String, String> metadata, String availabilityZone, String volumeType, Instant at) {
    return new Volume(id, projectId, userId, name, description, size, CREATING, metadata, availabilityZone, volumeType, at, at,
        0, 0, false, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), java.util.Set.of(),
        Optional.empty(), false, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
  }

  /** The requested volume, to be made on a storage host of backend {@code name} (its type's {@code volume_backend_name}). */
  public Volume onBackend(Optional<String> name) {
    return new Volume(id, projectId, userId, this.name, description, size, status, metadata, availabilityZone, volumeType,
        createdAt, updatedAt, quotaHeld, targetSize, stored, host, fault, attachment, snapshotId, sourceVolid, snapshots,
        image, bootable, readonly, upload, name, retype);
  }

  /** The requested volume made as a copy of snapshot {@code snapshot}, on the storage host {@code snapshotHost} that holds it. */
  public Volume fromSnapshot(String snapshot, String snapshotHost) {
    return new Volume(id, projectId, userId, name, description, size, status, metadata, availabilityZone, volumeType,
        createdAt, updatedAt, quotaHeld, targetSize, stored, Optional.of(snapshotHost), fault, attachment,
        Optional.of(snapshot), sourceVolid, snapshots, image, bootable, readonly, upload, backend, retype);
  }

  /** The requested volume made as a copy of volume {@code source}, on the storage host {@code sourceHost} that holds it. */
  public Volume fromVolume(String source, String sourceHost) {
    return new Volume(id, projectId, userId, name, description, size, status, metadata, availabilityZone, volumeType,
        createdAt, updatedAt, quotaHeld, targetSize, stored, Optional.of(sourceHost), fault, attachment,
        snapshotId, Optional.of(source), snapshots, image, bootable, readonly, upload, backend, retype);
  }

  /** The requested volume made by converting the bytes of {@code source} (on whichever storage host takes it). */
  public Volume fromImage(VolumeImage source) {
    return new Volume(id, projectId, userId, name, description, size, status, metadata, availabilityZone, volumeType,
        createdAt, updatedAt, quotaHeld, targetSize, stored, host, fault, attachment, snapshotId, sourceVolid, snapshots,
        Optional.of(source), true, readonly, upload, backend, retype);
  }

  /** Whether a create that failed still holds quota: it gives it back, as nothing of it was made. */
  public boolean quotaToReturn() {
    return status.equals(ERROR) && image.isPresent() && quotaHeld > 0 && !stored;
  }

  /** Whether it may be attached read-only only (not named as a getter: Jackson would write it as the flag). */
  public boolean attachedReadOnlyOnly() {
    return readonly.orElse(false);
  }

  /** Cinder's {@code migration_status}: of its last retype that moved it, if any. */
  public Optional<String> migrationStatus() {
    return retype.flatMap(VolumeRetype::migrationStatus);
  }

  /** Whether a delete may begin: Cinder deletes volumes at rest, and those whose last step failed. */
  public boolean deletable() {
    // an extend that failed in use leaves its attachment: the guest still has the disk
    return snapshots.isEmpty() && attachment.isEmpty() && (status.equals(AVAILABLE) || status.equals(ERROR) || status.equals(ERROR_EXTENDING)
        || status.equals(ERROR_DELETING) || status.equals(ERROR_RESTORING));
  }

  /** The gigabytes its quota should hold now: what an extend asks for while it runs, else its size. */
  public int quotaWanted() {
    return status.equals(EXTENDING) ? targetSize : size;
  }

  /** The volume after one of its events. */
  public Volume after(VolumeEntity.Event event) {
    Instant at = event.at();
    if (event instanceof VolumeEntity.VolumeUpdated e) {
      return new Volume(id, projectId, userId, e.name(), e.description(), size, status, e.metadata(), availabilityZone,
          volumeType, createdAt, at, quotaHeld, targetSize, stored, host, fault, attachment, snapshotId, sourceVolid, snapshots, image, bootable, readonly, upload, backend, retype);
    }
    if (event instanceof VolumeEntity.VolumeReserved e) {
      return attaching(ATTACHING, Optional.of(VolumeAttachment.reserved(e.attachmentId(), e.serverId())), at);
    }
    if (event instanceof VolumeEntity.VolumeAttached e) {
      return attaching(IN_USE, attachment.map(a -> a.attached(e.device(), e.hostName(), e.transport(), at)), at);
    }
    if (event instanceof VolumeEntity.DetachBegun) return attaching(DETACHING, attachment, at);
    if (event instanceof VolumeEntity.FlagsSet e) {
      return new Volume(id, projectId, userId, name, description, size, status, metadata, availabilityZone, volumeType,
          createdAt, at, quotaHeld, targetSize, stored, host, fault, attachment, snapshotId, sourceVolid, snapshots, image,
          e.bootable(), e.readonly(), upload, backend, retype);
    }
    if (event instanceof VolumeEntity.AttachmentDeclared e) {
      return attaching(e.device().isPresent() ? IN_USE : ATTACHING, Optional.of(VolumeAttachment.declared(e.attachmentId(),
          e.serverId(), e.device(), e.hostName(), e.device().map(d -> at))), at);
    }
    if (event instanceof VolumeEntity.AttachmentCreated e) {
      return attaching(e.attachment().status().equals(VolumeAttachment.RESERVED) ? RESERVED : ATTACHING,
          Optional.of(e.attachment()), at);
    }
    if (event instanceof VolumeEntity.AttachmentConnected e) {
      return attaching(ATTACHING, attachment.map(a -> a.connected(e.connector())), at);
    }
    if (event instanceof VolumeEntity.AttachmentCompleted) {
      return attaching(IN_USE, attachment.map(a -> a.completed(at)), at);
    }
    if (event instanceof VolumeEntity.StatusReset e) {
      // the steps stop, an upload's with them (its image stays as it is, for its owner to delete); a retype's
      // too, but for its quota: counted under the new type, it moves back unless the volume switched to it
      Optional<VolumeRetype> r = status.equals(RETYPING) ? retype.map(t -> t.switched() ? t.ended()
          : t.interruptedBy("The volume's status was reset to " + e.status() + " during its retype.")) : retype;
      Volume reset = with(e.status(), size, quotaHeld, 0, mayBeStored(), host, fault, at).uploading(e.status(),
          Optional.empty(), at).retyping(e.status(), r, at);
      return e.detached() ? reset.attaching(e.status(), Optional.empty(), at) : reset;
    }
    if (event instanceof VolumeEntity.ForceDeleteRequested) {
      return settled(with(DELETING, size, quotaHeld, 0, mayBeStored(), host, fault, at));
    }
    if (event instanceof VolumeEntity.SnapshotAdded e) return withSnapshots(e.snapshotId(), true, at);
    if (event instanceof VolumeEntity.SnapshotRemoved e) return withSnapshots(e.snapshotId(), false, at);
    // a backup's hold counts among the dependents, so the volume is not deleted under it
    if (event instanceof VolumeEntity.BackupHoldTaken e) {
      return withSnapshots(e.backupId(), true, at).with(e.status(), size, quotaHeld, targetSize, stored, host, fault, at);
    }
    if (event instanceof VolumeEntity.BackupHoldEnded e) {
      // a status an admin reset meanwhile (and what followed, an attach) is not the backup's to undo
      boolean held = status.equals(BACKING_UP) || status.equals(RESTORING_BACKUP);
      // an attached volume backed up with force is in use again, as Cinder's previous_status
      String after = held && e.status().equals(AVAILABLE) && attachment.isPresent() ? IN_USE : e.status();
      return withSnapshots(e.backupId(), false, at).with(held ? after : status, size, quotaHeld, targetSize, stored,
          host, fault, at);
    }
    if (event instanceof VolumeEntity.VolumeReleased) {
      // released during a forced upload: the copy goes on, and the volume is available once it is over
      return status.equals(UPLOADING) ? uploading(UPLOADING, upload.map(u -> u.returningTo(AVAILABLE)), at)
          .attaching(UPLOADING, Optional.empty(), at) : attaching(AVAILABLE, Optional.empty(), at);
    }
    if (event instanceof VolumeEntity.UploadRequested e) {
      return uploading(UPLOADING, Optional.of(new VolumeUpload(e.image(), status, false, Optional.empty())), at);
    }
    if (event instanceof VolumeEntity.UploadImageCreated) return uploading(status, upload.map(VolumeUpload::created), at);
    if (event instanceof VolumeEntity.UploadFailed e) return uploading(status, upload.map(u -> u.failed(e.reason())), at);
    if (event instanceof VolumeEntity.UploadEnded) {
      return uploading(upload.map(VolumeUpload::priorStatus).orElse(status), Optional.empty(), at);
    }
    if (event instanceof VolumeEntity.RetypeRequested e) {
      return retyping(RETYPING, Optional.of(VolumeRetype.requested(this, e.toType(), e.toBackend(), e.migrate())), at);
    }
    if (event instanceof VolumeEntity.RetypeRefused) {
      return retyping(retype.map(VolumeRetype::priorStatus).orElse(status), Optional.empty(), at);
    }
    if (event instanceof VolumeEntity.RetypeQuotaMoved) return retyping(status, retype.map(r -> r.quotaMoved(true, at)), at);
    if (event instanceof VolumeEntity.RetypeFailed e) return retyping(status, retype.map(r -> r.failed(e.reason())), at);
    if (event instanceof VolumeEntity.Retyped || event instanceof VolumeEntity.MigrationSwitched) {
      // the volume is of its new type from here on (and with a migration, on its new host)
      VolumeRetype r = event instanceof VolumeEntity.MigrationSwitched e ? retype.orElseThrow().switchedTo(e.host())
          : retype.orElseThrow();
      Volume switched = new Volume(id, projectId, userId, name, description, size, status, metadata, availabilityZone,
          r.toType(), createdAt, at, quotaHeld, targetSize, stored, r.targetHost().or(() -> host), fault, attachment,
          snapshotId, sourceVolid, snapshots, image, bootable, readonly, upload, r.toBackend(), Optional.of(r));
      return event instanceof VolumeEntity.Retyped ? switched.retyping(r.priorStatus(), switched.retype.map(VolumeRetype::ended), at)
          : switched;
    }
    if (event instanceof VolumeEntity.RetypeEnded) {
      // one an admin's reset interrupted leaves the volume in the status the admin gave it
      String after = status.equals(RETYPING) ? retype.map(VolumeRetype::priorStatus).orElse(status) : status;
      return retyping(after, retype.map(VolumeRetype::ended), at);
    }
    if (event instanceof VolumeEntity.QuotaHeld e) return with(status, size, e.gigabytes(), targetSize, stored, host, fault, at);
    if (event instanceof VolumeEntity.VolumeRefused e) {
      return with(DELETED, size, 0, 0, false, host, Optional.of(e.reason()), at);
    }
    if (event instanceof VolumeEntity.StorageCreated e) {
      return with(AVAILABLE, size, quotaHeld, 0, true, Optional.of(e.host()), Optional.empty(), at);
    }
    if (event instanceof VolumeEntity.StorageFailed e) {
      String failed = status.equals(CREATING) ? ERROR : status.equals(EXTENDING) ? ERROR_EXTENDING : ERROR_DELETING;
      // a host that failed a create left no file (it removes what it began); a failed resize left one
      return with(failed, size, quotaHeld, 0, !status.equals(CREATING), host, Optional.of(e.reason()), at);
    }
    if (event instanceof VolumeEntity.ExtendRequested e) {
      return with(EXTENDING, size, quotaHeld, e.newSize(), stored, host, Optional.empty(), at);
    }
    // an extend ends where it began: available, or in use by its attachment (microversion 3.42)
    if (event instanceof VolumeEntity.ExtendRefused) return with(restingStatus(), size, quotaHeld, 0, stored, host, fault, at);
    if (event instanceof VolumeEntity.StorageGrown) return with(status, targetSize, quotaHeld, targetSize, stored, host, fault, at);
    if (event instanceof VolumeEntity.Extended) return with(restingStatus(), targetSize, quotaHeld, 0, stored, host, fault, at);
    if (event instanceof VolumeEntity.DeleteRequested) return settled(with(DELETING, size, quotaHeld, 0, stored, host, fault, at));
    if (event instanceof VolumeEntity.StorageRemoved) return settled(with(status, size, quotaHeld, 0, false, host, fault, at));
    if (event instanceof VolumeEntity.QuotaReleased) return settled(with(status, size, 0, 0, stored, host, fault, at));
    throw new IllegalArgumentException("not a change of a volume: " + event);
  }

  /** Available, or in use while an attachment has the disk. */
  private String restingStatus() {
    return attachment.filter(a -> a.attachedAt().isPresent()).isPresent() ? IN_USE : AVAILABLE;
  }

  /** A create stopped midway may have left a file on the host it was asked of: a delete removes whatever is there. */
  private boolean mayBeStored() {
    return stored || status.equals(CREATING) && host.isPresent();
  }

  /** Whether it is reserved for, attached to or being detached from the attachment {@code attachmentId}. */
  public boolean heldBy(String attachmentId) {
    return attachment.filter(a -> a.id().equals(attachmentId)).isPresent();
  }

  private Volume attaching(String s, Optional<VolumeAttachment> a, Instant at) {
    return new Volume(id, projectId, userId, name, description, size, s, metadata, availabilityZone, volumeType, createdAt, at,
        quotaHeld, targetSize, stored, host, fault, a, snapshotId, sourceVolid, snapshots, image, bootable, readonly, upload, backend, retype);
  }

  private Volume retyping(String s, Optional<VolumeRetype> r, Instant at) {
    return new Volume(id, projectId, userId, name, description, size, s, metadata, availabilityZone, volumeType, createdAt, at,
        quotaHeld, targetSize, stored, host, fault, attachment, snapshotId, sourceVolid, snapshots, image, bootable, readonly,
        upload, backend, r);
  }

  private Volume uploading(String s, Optional<VolumeUpload> u, Instant at) {
    return new Volume(id, projectId, userId, name, description, size, s, metadata, availabilityZone, volumeType, createdAt, at,
        quotaHeld, targetSize, stored, host, fault, attachment, snapshotId, sourceVolid, snapshots, image, bootable, readonly, u, backend, retype);
  }

  private Volume withSnapshots(String snapshot, boolean add, Instant at) {
    java.util.Set<String> dependents = new java.util.HashSet<>(snapshots);
    if (add) dependents.add(snapshot);
    else dependents.remove(snapshot);
    return new Volume(id, projectId, userId, name, description, size, status, metadata, availabilityZone, volumeType,
        createdAt, at, quotaHeld, targetSize, stored, host, fault, attachment, snapshotId, sourceVolid, dependents, image, bootable, readonly, upload, backend, retype);
  }

  /** A deleting volume with no file and no quota left is gone. */
  private static Volume settled(Volume v) {
    return v.status.equals(DELETING) && !v.stored && v.quotaHeld == 0
        ? v.with(DELETED, v.size, 0, 0, false, v.host, v.fault, v.updatedAt) : v;
  }

  private Volume with(String s, int sz, int held, int target, boolean st, Optional<String> h, Optional<String> f,
      Instant at) {
    return new Volume(id, projectId, userId, name, description, sz, s, metadata, availabilityZone, volumeType, createdAt, at,
        held, target, st, h, f, attachment, snapshotId, sourceVolid, snapshots, image, bootable, readonly, upload, backend, retype);
  }
}
