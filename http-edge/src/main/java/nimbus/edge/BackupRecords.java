package nimbus.edge;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;
import nimbus.storage.Backup;
import nimbus.storage.BackupHostCommand;
import nimbus.storage.StoredFile;

/**
 * Cinder's backup records ({@code export_record}, {@code import_record}): a backup's record is the
 * base64 of a JSON object with what another Nimbus cloud on the same storage host needs to know it
 * again (its id, volume, name, description, size, container, the volume's metadata, the host and
 * the names of its chunks, in order). An imported record is hostile: every field is checked, and
 * the chunks it names are only ever names of the host's content-addressed store, which the host
 * checks it holds before the backup names them (BackupChunks#adopt).
 */
final class BackupRecords {
  /** Cinder's {@code backup_service}: tempest wants a name under {@code cinder.backup.drivers}. */
  static final String SERVICE = "cinder.backup.drivers.nimbus_chunks";
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
  /** Chunks per gigabyte of volume: a record names exactly that many per GB of its size. */
  private static final long CHUNKS_PER_GB = (1L << 30) / BackupHostCommand.CHUNK_BYTES;
  /** The largest backup a record may name (Cinder's volumes of this cloud are no larger). */
  private static final int MAX_GB = 16 * 1024;

  private BackupRecords() {}

  /** The record of the backup, as Cinder's {@code backup-record}. */
  static Map<String, Object> export(Backup x) {
    if (!x.status().equals(Backup.AVAILABLE)) {
      throw ApiError.badRequest("Invalid backup: Backup status must be available and not " + x.status() + ".");
    }
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("id", x.id());
    r.put("volume_id", x.volumeId());
    r.put("display_name", x.name());
    r.put("display_description", x.description());
    r.put("size", x.size());
    r.put("container", x.container());
    r.put("project_id", x.projectId());
    r.put("snapshot_id", x.snapshotId().orElse(null));
    r.put("created_at", VolumeRoutes.TIME.format(x.createdAt()));
    r.put("volume_metadata", x.volumeMetadata());
    r.put("host", x.host().orElse(""));
    r.put("chunks", x.chunks());
    String json;
    try {
      json = Json.MAPPER.writeValueAsString(r);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    return Map.of("backup_service", SERVICE,
        "backup_url", Base64.getEncoder().encodeToString(json.getBytes(StandardCharsets.UTF_8)));
  }

  /**
   * The backup an admin's {@code import_record} asks for, of the admin's project (the record's
   * project is not trusted): a 400 for any field out of shape.
   */
  static CompletionStage<Backup> importRecord(RequestContext ctx, String text, Policy policy) {
    policy.enforce(ctx, "backup:backup-import");
    JsonNode in = Json.parseObject(text).get("backup-record");
    if (in == null || !in.isObject()) throw ApiError.badRequest("Missing required element 'backup-record' in request body.");
    String service = text(in, "backup_service");
    String url = text(in, "backup_url");
    if (!service.equals(SERVICE)) {
      throw ApiError.badRequest("Invalid backup: Import record failed, cannot find backup service to perform the"
          + " import. Request service " + service + ".");
    }
    JsonNode r;
    try {
      r = Json.parseObject(new String(Base64.getDecoder().decode(url), StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      throw invalid("backup_url is not base64");
    } catch (ApiError e) {
      throw invalid("backup_url is not a JSON object");
    }
    String id = uuid(r, "id");
    String volumeId = uuid(r, "volume_id");
    String name = optionalText(r, "display_name");
    String description = optionalText(r, "display_description");
    String container = optionalText(r, "container");
    JsonNode size = r.get("size");
    if (size == null || !size.isInt() || size.intValue() < 1 || size.intValue() > MAX_GB) {
      throw invalid("size must be a whole number of GB from 1 to " + MAX_GB);
    }
    String host = text(r, "host");
    if (!HOST.matcher(host).matches()) throw invalid("host is not a storage host's name");
    JsonNode chunkList = r.get("chunks");
    if (chunkList == null || !chunkList.isArray() || chunkList.size() != size.intValue() * CHUNKS_PER_GB) {
      throw invalid("chunks must name " + CHUNKS_PER_GB + " chunks per GB of its size");
    }
    List<String> chunks = new ArrayList<>();
    for (JsonNode c : chunkList) {
      // a chunk's name is its SHA-512: nothing else (no path, no other file) is ever named
      if (!c.isTextual() || !c.asText().isEmpty() && !StoredFile.SHA512.matcher(c.asText()).matches()) {
        throw invalid("chunks must be SHA-512 names or empty");
      }
      chunks.add(c.asText());
    }
    Map<String, String> metadata = metadata(r.get("volume_metadata"));
    return CompletableFuture.completedFuture(Backup.imported(id, ctx.projectId(), ctx.userId(), volumeId, name,
        description, size.intValue(), container, chunks, host, metadata, Instant.now()));
  }

  private static Map<String, String> metadata(JsonNode m) {
    if (m == null || m.isNull()) return Map.of();
    if (!m.isObject() || m.size() > 128) throw invalid("volume_metadata must be an object of at most 128 strings");
    Map<String, String> out = new LinkedHashMap<>();
    var fields = m.fields();
    while (fields.hasNext()) {
      var f = fields.next();
      if (f.getKey().isEmpty() || f.getKey().length() > 255 || !f.getValue().isTextual()
          || f.getValue().asText().length() > 255) {
        throw invalid("volume_metadata must map keys to strings of at most 255 characters");
      }
      out.put(f.getKey(), f.getValue().asText());
    }
    return out;
  }

  private static String text(JsonNode in, String field) {
    JsonNode n = in.get(field);
    if (n == null || !n.isTextual()) throw ApiError.badRequest("Invalid input for field/attribute " + field + ". '"
        + field + "' is a required property and must be a string.");
    return n.asText();
  }

  private static String optionalText(JsonNode in, String field) {
    JsonNode n = in.get(field);
    if (n == null || n.isNull()) return "";
    if (!n.isTextual() || n.asText().length() > 255) throw invalid(field + " must be a string of at most 255 characters");
    return n.asText();
  }

  private static String uuid(JsonNode in, String field) {
    JsonNode n = in.get(field);
    if (n == null || !n.isTextual() || !Ids.isUuid(n.asText())) throw invalid(field + " must be a UUID");
    return n.asText().toLowerCase(java.util.Locale.ROOT);
  }

  private static ApiError invalid(String why) {
    return ApiError.badRequest("Invalid backup: Can't parse backup record: " + why + ".");
  }
}
