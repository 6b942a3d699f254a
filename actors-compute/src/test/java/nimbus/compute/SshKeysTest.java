package nimbus.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** OpenSSH keys: fingerprints as ssh-keygen -E md5 prints them, generated keys that parse. */
class SshKeysTest {

  @Test
  void fingerprintsMatchSshKeygen() {
    // ssh-keygen -l -E md5 said: MD5:ea:e3:38:49:07:86:61:f4:61:71:31:be:fa:8a:af:2b
    String key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHcy8w3XLgRW1yPBWrChHLPctauBr8Ems747PxHw1V8O root@vm";
    assertEquals(Optional.of("ea:e3:38:49:07:86:61:f4:61:71:31:be:fa:8a:af:2b"), SshKeys.fingerprint(key));
  }

  @Test
  void malformedKeysHaveNoFingerprint() {
    assertTrue(SshKeys.fingerprint("not a key").isEmpty());
    assertTrue(SshKeys.fingerprint("ssh-rsa !!!notbase64").isEmpty());
    // the blob says ed25519, the text says rsa
    assertTrue(SshKeys.fingerprint("ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIHcy8w3XLgRW1yPBWrChHLPctauBr8Ems747PxHw1V8O").isEmpty());
  }

  @Test
  void generatedKeysAreOpenSshAndPem() {
    SshKeys.Generated pair = SshKeys.generate("test");
    assertTrue(pair.publicKey().startsWith("ssh-rsa AAAAB3NzaC1yc2E"), pair.publicKey());
    assertTrue(SshKeys.fingerprint(pair.publicKey()).isPresent());
    assertTrue(pair.privateKey().startsWith("-----BEGIN RSA PRIVATE KEY-----\n"), pair.privateKey());
    assertTrue(pair.privateKey().endsWith("\n-----END RSA PRIVATE KEY-----\n"), pair.privateKey());
  }

  @Test
  void generatedPrivateKeysArePkcs1OfThePublicKey() throws Exception {
    SshKeys.Generated pair = SshKeys.generate("test");
    byte[] pkcs1 = Base64.getMimeDecoder().decode(pair.privateKey()
        .replace("-----BEGIN RSA PRIVATE KEY-----", "").replace("-----END RSA PRIVATE KEY-----", ""));
    // Java reads PKCS#8 only: wrapped in PKCS#8's PrivateKeyInfo (version 0, rsaEncryption), the
    // PKCS#1 key must be a whole RSA private key whose modulus and exponent are the public key's
    byte[] algorithm = HexFormat.of().parseHex("020100300d06092a864886f70d0101010500");
    ByteArrayOutputStream info = new ByteArrayOutputStream();
    info.write(algorithm);
    info.write(0x04);
    info.write(0x82);
    info.write(pkcs1.length >>> 8);
    info.write(pkcs1.length & 0xff);
    info.write(pkcs1);
    ByteArrayOutputStream pkcs8 = new ByteArrayOutputStream();
    pkcs8.write(0x30);
    pkcs8.write(0x82);
    pkcs8.write(info.size() >>> 8);
    pkcs8.write(info.size() & 0xff);
    info.writeTo(pkcs8);
    RSAPrivateCrtKey key = (RSAPrivateCrtKey) KeyFactory.getInstance("RSA")
        .generatePrivate(new PKCS8EncodedKeySpec(pkcs8.toByteArray()));

    ByteBuffer blob = ByteBuffer.wrap(Base64.getDecoder().decode(pair.publicKey().split(" ")[1]));
    assertEquals("ssh-rsa", new String(field(blob), StandardCharsets.US_ASCII));
    assertEquals(new BigInteger(field(blob)), key.getPublicExponent());
    assertEquals(new BigInteger(field(blob)), key.getModulus());
    assertEquals(key.getModulus(), key.getPrimeP().multiply(key.getPrimeQ()));
  }

  private static byte[] field(ByteBuffer blob) {
    byte[] bytes = new byte[blob.getInt()];
    blob.get(bytes);
    return bytes;
  }
}
