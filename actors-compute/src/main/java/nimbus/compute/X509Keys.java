package nimbus.compute;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * X.509 keypairs (Nova's keypair type {@code x509}, from microversion 2.2): a PEM certificate's
 * fingerprint (SHA-1, aa:bb:...), and a new client certificate made as Nova makes one, with
 * {@code openssl}: the certificate as the public key, its private key in a PKCS#12 bundle
 * without a password, base64-encoded, as the private key.
 */
public final class X509Keys {
  private X509Keys() {}

  /** The SHA-1 fingerprint of a PEM certificate; empty if it is not one. */
  public static Optional<String> fingerprint(String pem) {
    try (InputStream in = new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII))) {
      byte[] der = CertificateFactory.getInstance("X.509").generateCertificate(in).getEncoded();
      return Optional.of(HexFormat.ofDelimiter(":").formatHex(MessageDigest.getInstance("SHA-1").digest(der)));
    } catch (GeneralSecurityException | IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** The command that makes a certificate for {@code userId}, its key written to {@code keyFile}. */
  static List<String> certificateCommand(String userId, Path keyFile) {
    return List.of("openssl", "req", "-x509", "-nodes", "-days", "3650", "-newkey", "rsa:2048", "-outform", "PEM",
        "-keyout", keyFile.toString(), "-subj", "/CN=" + userId.replace("/", "_"),
        "-addext", "extendedKeyUsage=clientAuth");
  }

  /** The command that bundles the key in {@code keyFile} with the certificate it reads. */
  static List<String> bundleCommand(Path keyFile) {
    return List.of("openssl", "pkcs12", "-export", "-inkey", keyFile.toString(), "-passout", "pass:");
  }

  /** A new certificate and its bundled key; blocks on openssl: call it on a blocking executor. */
  public static SshKeys.Generated generate(String userId) {
    Path dir = null;
    try {
      dir = Files.createTempDirectory("nimbus-x509", PosixFilePermissions.asFileAttribute(
          PosixFilePermissions.fromString("rwx------")));
      Path keyFile = dir.resolve("key.pem");
      byte[] certificate = run(certificateCommand(userId, keyFile), new byte[0]);
      byte[] bundle = run(bundleCommand(keyFile), certificate);
      return new SshKeys.Generated(new String(certificate, StandardCharsets.US_ASCII),
          Base64.getEncoder().encodeToString(bundle));
    } catch (IOException e) {
      throw new IllegalStateException("cannot make an x509 certificate", e);
    } finally {
      if (dir != null) delete(dir);
    }
  }

  private static byte[] run(List<String> command, byte[] input) throws IOException {
    Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    try {
      p.getOutputStream().write(input);
      p.getOutputStream().close();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException(command.get(0) + " " + command.get(1) + " failed");
      }
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } finally {
      p.destroy();
    }
  }

  private static void delete(Path dir) {
    try (var files = Files.list(dir)) {
      for (Path f : files.toList()) Files.deleteIfExists(f);
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      // a private temporary directory left behind holds nothing another user can read
    }
  }
}
