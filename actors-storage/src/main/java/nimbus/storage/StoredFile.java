package nimbus.storage;

import nimbus.cluster.CborSerializable;

/** An image's file in the store: its size and its hashes (SHA-512 also names it there). */
public record StoredFile(String sha512, String md5, long size) implements CborSerializable {}
