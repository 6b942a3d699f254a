package nimbus.storage;

import nimbus.cluster.CborSerializable;

/** An image's file in the store: its size and its hashes (SHA-512 also names it there). */
public record StoredFile(String sha512, String md5, long size) implements CborSerializable {
  /** A SHA-512 in hex: the only name a file has in the store and in the hosts' caches. */
  public static final java.util.regex.Pattern SHA512 = java.util.regex.Pattern.compile("[0-9a-f]{128}");
}
