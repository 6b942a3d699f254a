package nimbus.storage;

import nimbus.cluster.CborSerializable;

/**
 * The image a volume was made from, as it was when the volume was asked: what Cinder shows as the
 * volume's {@code volume_image_metadata}, and where a storage host finds the bytes ({@code file}:
 * a path on the hosts, or {@code store:} and the SHA-512 of the image store's file). The bytes are
 * a tenant's: the host inspects them as {@code diskFormat} before it converts them.
 */
public record VolumeImage(String imageId, String name, String containerFormat, String diskFormat, int minDisk,
    int minRam, long size, String checksum, String file) implements CborSerializable {}
