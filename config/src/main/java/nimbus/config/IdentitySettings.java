package nimbus.config;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/** Identity: the first admin's password, token lifetime and keys, login lockout, password length. */
public record IdentitySettings(
    Optional<String> adminPassword,
    Duration tokenExpiry,
    List<byte[]> tokenKeys,
    int lockoutFailureAttempts,
    Duration lockoutDuration,
    Optional<String> publicUrl,
    int maxPasswordLength,
    int maxPendingPasswordChecks) {

  static IdentitySettings from(Config c) {
    Duration expiry = c.getDuration("token-expiry");
    if (expiry.isNegative() || expiry.isZero()) {
      throw new SettingsException("nimbus.identity.token-expiry", expiry + " is not positive", "use e.g. 1h");
    }
    List<byte[]> keys = c.getStringList("token-keys").stream().map(k -> {
      byte[] key;
      try {
        key = Base64.getDecoder().decode(k.trim());
      } catch (IllegalArgumentException e) {
        throw new SettingsException("nimbus.identity.token-keys", "a key is not base64",
            "generate one with: head -c32 /dev/urandom | base64");
      }
      if (key.length != 32) {
        throw new SettingsException("nimbus.identity.token-keys", "a key has " + key.length + " bytes, not 32",
            "generate one with: head -c32 /dev/urandom | base64");
      }
      return key;
    }).toList();
    String password = c.getString("admin-password");
    String url = c.getString("public-url");
    return new IdentitySettings(password.isEmpty() ? Optional.empty() : Optional.of(password), expiry, keys,
        Math.max(1, c.getInt("lockout-failure-attempts")), c.getDuration("lockout-duration"),
        url.isBlank() ? Optional.empty() : Optional.of(url.replaceAll("/+$", "")),
        Math.max(8, c.getInt("max-password-length")),
        Math.max(1, c.getInt("max-pending-password-checks")));
  }

  /** Never print the password or the keys. */
  @Override
  public String toString() {
    return "IdentitySettings[expiry=" + tokenExpiry + ", keys=" + tokenKeys.size() + "]";
  }
}
