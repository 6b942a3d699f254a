package nimbus.node.bench;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.openqa.selenium.SessionNotCreatedException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/** Debian's Chromium, headless under its chromedriver, for the dashboard's browser tests and benchmark. */
public final class HeadlessChromium {
  private static final int ATTEMPTS = 3;

  private HeadlessChromium() {
  }

  /**
   * A new browser with Chromium's preferences {@code prefs} (a download directory, say). A browser
   * that does not start is started again, up to three times: on a loaded two-core machine one
   * start in a few hundred failed (the CI's did once), which says nothing of the page under test.
   */
  public static WebDriver open(Map<String, Object> prefs) {
    SessionNotCreatedException failure = null;
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      ByteArrayOutputStream log = new ByteArrayOutputStream();
      ChromeDriverService service = new ChromeDriverService.Builder()
          .usingDriverExecutable(new File("/usr/bin/chromedriver")).withLogOutput(log).build();
      try {
        return new ChromeDriver(service, options(prefs));
      } catch (SessionNotCreatedException e) {
        service.stop();
        e.addSuppressed(new IllegalStateException("chromedriver's log: " + log.toString(StandardCharsets.UTF_8)));
        if (failure != null) e.addSuppressed(failure);
        failure = e;
      }
    }
    throw failure;
  }

  private static ChromeOptions options(Map<String, Object> prefs) {
    ChromeOptions options = new ChromeOptions().setBinary("/usr/bin/chromium")
        // as root in a container Chromium's sandbox lacks the user namespaces it needs
        .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900");
    if (!prefs.isEmpty()) options.setExperimentalOption("prefs", prefs);
    return options;
  }
}
