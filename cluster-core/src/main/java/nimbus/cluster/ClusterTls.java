package nimbus.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.UUID;
import nimbus.config.NimbusSettings;
import nimbus.config.SettingsException;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The cluster's transport credentials: Artery runs over TLS with mutual authentication, and a
 * node (or a Java client) takes part only with a certificate signed by the cluster's own CA.
 * The node that founds a cluster makes the CA; {@code nimbus cert} issues certificates for the
 * nodes that join. Files (PEM) in the node's {@code nimbus.cluster.tls-dir}: {@code ca.crt},
 * {@code node.crt}, {@code node.key}, and on the founding node {@code ca.key}.
 */
public final class ClusterTls {
  public static final String CA_CERT = "ca.crt";
  public static final String CA_KEY = "ca.key";
  public static final String NODE_CERT = "node.crt";
  public static final String NODE_KEY = "node.key";
  /** The name on every node's certificate: peers must share it (besides the CA) to talk. */
  static final String NODE_NAME = "nimbus-node";
  private static final Duration CA_LIFETIME = Duration.ofDays(3650);
  private static final Duration NODE_LIFETIME = Duration.ofDays(825);
  private static final SecureRandom RANDOM = new SecureRandom();

  private ClusterTls() {}

  /**
   * Makes sure this node has its credentials: a node that founds a cluster (no seed nodes)
   * makes the cluster's CA and its own certificate; a joining node must have been given them.
   */
  public static void ensure(NimbusSettings settings) {
    Path dir = settings.cluster().tlsDir();
    if (hasCredentials(dir)) return;
    if (!settings.cluster().seedNodes().isEmpty()) {
      throw new SettingsException("nimbus.cluster.tls-dir", "no certificate of the cluster in " + dir,
          "on a node of the cluster run ./nimbus cert --out DIR and copy DIR to " + dir);
    }
    try {
      createCa(dir);
      issue(dir, dir);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot make the cluster's certificates in " + dir + ": " + e.getMessage(), e);
    }
  }

  static boolean hasCredentials(Path dir) {
    return Files.isReadable(dir.resolve(CA_CERT)) && Files.isReadable(dir.resolve(NODE_CERT))
        && Files.isReadable(dir.resolve(NODE_KEY));
  }

  /** Pekko's transport over mutual TLS with this node's files. */
  public static Config pekkoConfig(Path dir) {
    String engine = "pekko.remote.artery.ssl.rotating-keys-engine.";
    return ConfigFactory.parseMap(Map.of(
        "pekko.remote.artery.transport", "tls-tcp",
        "pekko.remote.artery.ssl.ssl-engine-provider",
        "org.apache.pekko.remote.artery.tcp.ssl.RotatingKeysSSLEngineProvider",
        engine + "key-file", dir.resolve(NODE_KEY).toString(),
        engine + "cert-file", dir.resolve(NODE_CERT).toString(),
        engine + "ca-cert-file", dir.resolve(CA_CERT).toString()));
  }

  /** Makes a new CA in {@code dir} (a new cluster's). */
  public static void createCa(Path dir) throws IOException, GeneralSecurityException {
    KeyPair ca = rsa();
    X500Name name = new X500Name("CN=Nimbus cluster CA " + UUID.randomUUID());
    X509v3CertificateBuilder b = builder(name, name, CA_LIFETIME, ca);
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    privateDir(dir);
    writeSecret(dir.resolve(CA_KEY), Pem.encode("PRIVATE KEY", ca.getPrivate().getEncoded()));
    Files.writeString(dir.resolve(CA_CERT), Pem.encode("CERTIFICATE", sign(b, ca.getPrivate()).getEncoded()));
  }

  /**
   * Issues a node certificate with the CA in {@code caDir} (which must hold {@code ca.key}):
   * {@code out} gets {@code ca.crt}, {@code node.crt} and {@code node.key}, ready to be copied to
   * the new node's {@code tls-dir}.
   */
  public static void issue(Path caDir, Path out) throws IOException, GeneralSecurityException {
    if (!Files.isReadable(caDir.resolve(CA_KEY))) {
      throw new SettingsException("nimbus.cluster.tls-dir", "no CA key in " + caDir,
          "run this on the node that founded the cluster (it keeps ca.key)");
    }
    X509Certificate caCert = (X509Certificate) CertificateFactory.getInstance("X.509")
        .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(caDir.resolve(CA_CERT))));
    PrivateKey caKey = Pem.privateKey(Files.readString(caDir.resolve(CA_KEY)));
    KeyPair node = rsa();
    X509v3CertificateBuilder b = builder(X500Name.getInstance(caCert.getSubjectX500Principal().getEncoded()),
        new X500Name("CN=" + NODE_NAME), NODE_LIFETIME, node);
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
    b.addExtension(Extension.extendedKeyUsage, false,
        new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
    b.addExtension(Extension.subjectAlternativeName, false,
        new GeneralNames(new GeneralName(GeneralName.dNSName, NODE_NAME)));
    privateDir(out);
    if (!caDir.equals(out)) Files.copy(caDir.resolve(CA_CERT), out.resolve(CA_CERT), StandardCopyOption.REPLACE_EXISTING);
    writeSecret(out.resolve(NODE_KEY), Pem.encode("PRIVATE KEY", node.getPrivate().getEncoded()));
    Files.writeString(out.resolve(NODE_CERT), Pem.encode("CERTIFICATE", sign(b, caKey).getEncoded()));
  }

  private static KeyPair rsa() throws GeneralSecurityException {
    // RSA: the key type Pekko's PEM reader takes
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048, RANDOM);
    return generator.generateKeyPair();
  }

  private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, Duration lifetime, KeyPair keys) {
    Instant now = Instant.now();
    return new JcaX509v3CertificateBuilder(issuer, new BigInteger(127, RANDOM).add(BigInteger.ONE),
        Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(lifetime)), subject, keys.getPublic());
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key) throws GeneralSecurityException {
    try {
      return new JcaX509CertificateConverter().getCertificate(
          builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(key)));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
  }

  private static void privateDir(Path dir) throws IOException {
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
  }

  /** Readable by this user alone from the moment it exists. */
  private static void writeSecret(Path file, String text) throws IOException {
    Files.deleteIfExists(file);
    Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(file, text);
  }
}
