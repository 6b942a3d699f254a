package nimbus.edge;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import nimbus.cluster.Pem;
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
      PrivateKey key = Pem.privateKey(Files.readString(tls.keyFile()));
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
}
