package nimbus.edge;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import nimbus.config.ApiSettings;
import nimbus.config.SettingsException;

/** The API's TLS context from the operator's PEM certificate (chain) and PKCS#8 key. */
final class ApiTls {
  private ApiTls() {}

  static SSLContext context(ApiSettings.Tls tls) {
    try {
      Certificate[] chain = CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(tls.certFile()))).toArray(Certificate[]::new);
      if (chain.length == 0) throw new GeneralSecurityException("no certificate in " + tls.certFile());
      PrivateKey key = privateKey(Files.readString(tls.keyFile()));
      char[] password = new char[0];
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry("api", key, password, chain);
      KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keys.init(store, password);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keys.getKeyManagers(), null, null);
      return context;
    } catch (IOException | GeneralSecurityException e) {
      throw new SettingsException("nimbus.api.tls-cert-file", "cannot serve HTTPS: " + e.getMessage(),
          "give a PEM certificate and its unencrypted PKCS#8 PEM key");
    }
  }

  private static PrivateKey privateKey(String pem) throws GeneralSecurityException {
    if (!pem.contains("-----BEGIN PRIVATE KEY-----")) {
      throw new GeneralSecurityException("the key is not an unencrypted PKCS#8 PEM (BEGIN PRIVATE KEY)");
    }
    byte[] der = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
    for (String algorithm : new String[] {"RSA", "EC"}) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (InvalidKeySpecException notThisOne) {
        // try the next algorithm
      }
    }
    throw new GeneralSecurityException("the key is neither RSA nor EC");
  }
}
