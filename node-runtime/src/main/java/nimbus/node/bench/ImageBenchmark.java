package nimbus.node.bench;

import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Random;

/**
 * {@code nimbus bench images}: image upload and download throughput through the image API
 * (streamed into the content-addressed store, hashed with MD5 and SHA-512 on the way), against
 * a plain copy of the same file on the same disk in the same run.
 */
final class ImageBenchmark {
  private ImageBenchmark() {}

  static int run(Map<String, String> options) throws Exception {
    int mb = Integer.parseInt(options.getOrDefault("size-mb", "512"));
    int rounds = Integer.parseInt(options.getOrDefault("rounds", "3"));
    try (BenchHarness h = new BenchHarness(options, Map.of())) {
      Path dir = h.node.settings().dataDir();
      Path file = dir.resolve("bench-image.raw");
      writeRandom(file, mb);
      System.out.printf("file: %d MiB of random bytes in %s%n", mb, dir);
      double copy = 0;
      double upload = 0;
      double download = 0;
      for (int round = 0; round < rounds; round++) {
        // a different first byte each round: the store keeps equal files once, so each upload is new
        patchFirstByte(file, round);
        Path target = dir.resolve("bench-copy-" + round);
        long c0 = System.nanoTime();
        Files.copy(file, target, StandardCopyOption.REPLACE_EXISTING);
        try (var channel = java.nio.channels.FileChannel.open(target, java.nio.file.StandardOpenOption.WRITE)) {
          channel.force(true); // the store's file is on disk too when the upload answers
        }
        copy = Math.max(copy, mb / seconds(c0));
        Files.delete(target);

        String id = BenchHarness.read(h.http.send(h.post("/image/v2/images",
            "{\"name\": \"bench-" + round + "\", \"disk_format\": \"raw\", \"container_format\": \"bare\"}"),
            HttpResponse.BodyHandlers.ofString()).body()).path("id").asText();
        long u0 = System.nanoTime();
        HttpResponse<Void> put = h.http.send(HttpRequest.newBuilder(URI.create(h.api + "/image/v2/images/" + id + "/file"))
            .header("X-Auth-Token", h.token()).header("Content-Type", "application/octet-stream")
            .PUT(HttpRequest.BodyPublishers.ofFile(file)).build(), HttpResponse.BodyHandlers.discarding());
        if (put.statusCode() != 204) throw new IllegalStateException("upload answered " + put.statusCode());
        upload = Math.max(upload, mb / seconds(u0));

        long d0 = System.nanoTime();
        HttpResponse<java.io.InputStream> got = h.http.send(h.get("/image/v2/images/" + id + "/file"),
            HttpResponse.BodyHandlers.ofInputStream());
        long bytes;
        try (var in = got.body()) {
          bytes = in.transferTo(OutputStream.nullOutputStream());
        }
        if (bytes != (long) mb << 20) throw new IllegalStateException("downloaded " + bytes + " bytes");
        download = Math.max(download, mb / seconds(d0));
      }
      System.out.printf("plain file copy (with fsync): %.0f MB/s%n", copy);
      System.out.printf("image upload (HTTP, MD5 + SHA-512, stored): %.0f MB/s (%.0f%% of the copy)%n",
          upload, 100 * upload / copy);
      System.out.printf("image download (HTTP): %.0f MB/s%n", download);
      System.out.printf("best of %d rounds%n", rounds);
    }
    return 0;
  }

  private static double seconds(long start) {
    return (System.nanoTime() - start) / 1e9;
  }

  private static void writeRandom(Path file, int mb) throws Exception {
    Random random = new Random(1);
    byte[] chunk = new byte[1 << 20];
    try (OutputStream out = Files.newOutputStream(file)) {
      for (int i = 0; i < mb; i++) {
        random.nextBytes(chunk);
        out.write(chunk);
      }
    }
  }

  private static void patchFirstByte(Path file, int value) throws Exception {
    try (var f = new java.io.RandomAccessFile(file.toFile(), "rw")) {
      f.write(value);
    }
  }
}
