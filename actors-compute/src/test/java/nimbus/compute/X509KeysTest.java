package nimbus.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.util.Base64;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** X.509 keypairs: fingerprints as openssl prints them, certificates made as Nova makes them. */
class X509KeysTest {

  @Test
  void aGeneratedCertificateIsFingerprintedAsOpensslDoesAndItsKeyIsABundle() throws Exception {
    SshKeys.Generated made = X509Keys.generate("user-1");
    assertTrue(made.publicKey().startsWith("-----BEGIN CERTIFICATE-----"), made.publicKey());
    String fingerprint = X509Keys.fingerprint(made.publicKey()).orElseThrow();
    Process openssl = new ProcessBuilder("openssl", "x509", "-noout", "-fingerprint", "-sha1").start();
    openssl.getOutputStream().write(made.publicKey().getBytes(StandardCharsets.US_ASCII));
    openssl.getOutputStream().close();
    String printed = new String(openssl.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
    assertEquals(printed.substring(printed.indexOf('=') + 1).toLowerCase(), fingerprint);
    KeyStore bundle = KeyStore.getInstance("PKCS12");
    bundle.load(new java.io.ByteArrayInputStream(Base64.getDecoder().decode(made.privateKey())), new char[0]);
    assertTrue(bundle.aliases().hasMoreElements(), "the bundle holds the key");
  }

  @Test
  void somethingElseHasNoFingerprint() {
    assertEquals(Optional.empty(), X509Keys.fingerprint("ssh-rsa AAAA"));
    assertEquals(Optional.empty(), X509Keys.fingerprint("-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n"));
  }
}
