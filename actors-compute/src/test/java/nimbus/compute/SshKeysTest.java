package nimbus.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
    assertTrue(pair.privateKey().startsWith("-----BEGIN PRIVATE KEY-----\n"));
  }
}
