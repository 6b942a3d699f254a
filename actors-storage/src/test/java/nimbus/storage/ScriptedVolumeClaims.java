package nimbus.storage;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import nimbus.cluster.Rejection;
import org.apache.pekko.Done;
import org.apache.pekko.pattern.StatusReply;

/** Answers each of a volume's steps as the test says; an unscripted one gets no answer (a lost message). */
final class ScriptedVolumeClaims implements VolumeClaims {
  final List<String> asked = new CopyOnWriteArrayList<>();
  private final Map<String, StatusReply<?>> answers = new ConcurrentHashMap<>();

  void accept(String step) {
    answers.put(step, StatusReply.ack());
  }

  void answer(String step, Object value) {
    answers.put(step, StatusReply.success(value));
  }

  void refuse(String step, Rejection.Kind kind, String message) {
    answers.put(step, Rejection.of(kind, message));
  }

  /** The step gets no answer from now on. */
  void forget(String step) {
    answers.remove(step);
  }

  long times(String step) {
    return asked.stream().filter(step::equals).count();
  }

  @SuppressWarnings("unchecked")
  private <T> CompletionStage<StatusReply<T>> step(String name) {
    asked.add(name);
    StatusReply<?> answer = answers.get(name);
    return answer != null ? CompletableFuture.completedFuture((StatusReply<T>) answer)
        : CompletableFuture.failedFuture(new TimeoutException("no answer to " + name));
  }

  @Override
  public CompletionStage<StatusReply<Done>> reserve(String projectId, String volumeId, String volumeType, int gigabytes) {
    // a test that scripts a type's own answer (a retype's quota) tells it apart
    String typed = "reserve " + gigabytes + " as " + volumeType;
    if (answers.containsKey(typed)) return step(typed);
    asked.add(typed);
    return step("reserve " + gigabytes);
  }

  @Override
  public CompletionStage<StatusReply<Done>> countAgainAs(String projectId, String volumeId, String volumeType) {
    return step("count again as " + volumeType);
  }

  @Override
  public CompletionStage<StatusReply<String>> migrateStorage(String fromHost, String volumeId,
      java.util.Optional<String> backend, int gigabytes) {
    return step("migrate from " + fromHost + " to " + backend.orElse("any"));
  }

  @Override
  public CompletionStage<StatusReply<Done>> release(String projectId, String volumeId) {
    return step("release");
  }

  @Override
  public CompletionStage<StatusReply<String>> createStorage(String volumeId, java.util.Optional<String> backend, int gigabytes) {
    return step("create " + gigabytes);
  }

  @Override
  public CompletionStage<StatusReply<String>> createStorageFrom(String host, String volumeId, String snapshotId,
      int gigabytes) {
    return step("create " + host + " from " + snapshotId + " " + gigabytes);
  }

  @Override
  public CompletionStage<StatusReply<String>> cloneStorage(String host, String volumeId, String sourceId, int gigabytes) {
    return step("clone " + host + " from " + sourceId + " " + gigabytes);
  }

  @Override
  public CompletionStage<StatusReply<String>> createStorageFromImage(String volumeId, VolumeImage image, java.util.Optional<String> backend,
      int gigabytes) {
    return step("convert " + image.imageId() + " " + image.diskFormat() + " " + gigabytes);
  }

  @Override
  public CompletionStage<StatusReply<Done>> growAttachedDisk(String computeHost, String serverId, String volumeId,
      String device, int gigabytes) {
    return step("grow-disk " + computeHost + " " + serverId + " " + device + " " + gigabytes);
  }

  @Override
  public CompletionStage<StatusReply<Done>> resizeStorage(String host, String volumeId, int gigabytes) {
    return step("resize " + host + " " + gigabytes);
  }

  @Override
  public CompletionStage<StatusReply<Done>> removeStorage(String host, String volumeId) {
    return step("remove " + host);
  }

  @Override
  public CompletionStage<StatusReply<Done>> createImage(Image image) {
    return step("image " + image.id());
  }

  @Override
  public CompletionStage<StatusReply<Done>> uploadToImage(String host, String volumeId, String imageId, String diskFormat) {
    return step("upload " + host + " " + imageId + " " + diskFormat);
  }

  @Override
  public CompletionStage<StatusReply<Done>> discardImage(String imageId) {
    return step("discard " + imageId);
  }
}
