package nimbus.node.storage;

/** A storage backend's refusal or failure, worded for the volume's fault. */
public final class StorageException extends RuntimeException {
  public StorageException(String message, Throwable cause) {
    super(message, cause);
  }
}
