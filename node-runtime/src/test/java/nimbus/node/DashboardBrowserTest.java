package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The dashboard in Debian's headless Chromium against an all-in-one node: a user logs in,
 * launches from the dialog and watches the server change without reloading (a stop made through
 * the API shows within a second), reads its console and history, deletes it; another project's
 * user sees none of it; a hostile name stays text; logging out revokes the token.
 */
class DashboardBrowserTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static Node node;
  private static Api admin;
  @RegisterExtension
  static final RunningNode NODE = RunningNode.allInOne(Map.of("nimbus.host.reconcile-interval", "1s"), (n, a) -> {
    node = n;
    admin = a;
  });
  private WebDriver browser;

  @BeforeEach
  void openBrowser() {
    ChromeOptions options = new ChromeOptions().setBinary("/usr/bin/chromium")
        // root in a container: Chromium's sandbox needs user namespaces it does not get
        .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900");
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File("/usr/bin/chromedriver")).build();
    browser = new ChromeDriver(service, options);
  }

  @AfterEach
  void closeBrowser() {
    browser.quit();
  }

  /** A new project with a member; answers the member's API client. */
  private static Api member(String name) {
    admin.createUserInProject(name, "pw-" + name, name, "member");
    return admin.as(name, "pw-" + name, name);
  }

  private void logIn(String user, String password) {
    browser.get(node.apiUrl() + "/");
    WebElement form = waitFor(By.id("login"));
    browser.findElement(By.id("username")).sendKeys(user);
    browser.findElement(By.id("password")).sendKeys(password);
    browser.findElement(By.cssSelector("#login button[type=submit]")).click();
    waitFor(By.cssSelector("#live[data-live=on]"));
  }

  /** The element, once the page shows it (polled with a deadline). */
  private WebElement waitFor(By by) {
    return Eventually.await(WAIT, () -> browser.findElements(by).stream().filter(WebElement::isDisplayed).findFirst().orElse(null));
  }

  private void until(Duration within, java.util.function.Function<WebDriver, Boolean> condition) {
    Eventually.until(within, () -> condition.apply(browser));
  }

  /** Chooses an option of a select by its value, as a user's click does. */
  private void choose(String selectId, String value) {
    browser.findElement(By.cssSelector("#" + selectId + " option[value='" + value + "']")).click();
  }

  private String statusOf(String id) {
    var cells = browser.findElements(By.cssSelector("tr[data-id='" + id + "'] td.status"));
    return cells.isEmpty() ? null : cells.get(0).getText();
  }

  @Test
  void aUserLaunchesWatchesStopsAndDeletesAServerWithoutReloading() {
    String user = "web-" + UUID.randomUUID().toString().substring(0, 8);
    Api api = member(user);
    logIn(user, "pw-" + user);
    JavascriptExecutor js = (JavascriptExecutor) browser;
    js.executeScript("window.notReloaded = true;");

    browser.findElement(By.id("launch")).click();
    waitFor(By.id("launch-dialog"));
    // the dialog checks before it sends
    browser.findElement(By.id("launch-submit")).click();
    until(WAIT, d -> d.findElement(By.id("launch-errors")).getText().contains("Give the instance a name."));
    browser.findElement(By.id("server-name")).sendKeys("from-the-browser");
    choose("image", Api.TEST_IMAGE);
    choose("flavor", "42");
    browser.findElement(By.id("launch-submit")).click();

    WebElement link = waitFor(By.linkText("from-the-browser"));
    String id = link.findElement(By.xpath("ancestor::tr")).getAttribute("data-id");
    until(WAIT, d -> "ACTIVE".equals(statusOf(id)));

    // stopped through the API, as the CLI does: the page shows it within a second of the API
    assertEquals(202, api.action(id, "{\"os-stop\": null}"));
    api.awaitStatus(id, "SHUTOFF", WAIT);
    until(Duration.ofSeconds(1), d -> "SHUTOFF".equals(statusOf(id)));
    browser.findElement(By.cssSelector("tr[data-id='" + id + "'] button[data-action=Start]")).click();
    until(WAIT, d -> "ACTIVE".equals(statusOf(id)));

    link = browser.findElement(By.linkText("from-the-browser"));
    link.click();
    until(WAIT, d -> d.findElement(By.id("history")).getText().contains("stop")
        && d.findElement(By.id("history")).getText().contains("create")
        && d.findElement(By.id("history")).getText().contains("start"));
    // the console shows what the API answers (test:///default's guests print nothing)
    String output = api.post("/compute/v2.1/servers/" + id + "/action", "{\"os-getConsoleOutput\": {\"length\": 200}}")
        .body().path("output").asText();
    String shown = output.isEmpty() ? "(the console has printed nothing yet)" : output.strip();
    until(WAIT, d -> d.findElement(By.id("console")).getText().strip().equals(shown));
    assertEquals("from-the-browser", browser.findElement(By.id("server-title")).getText());

    browser.findElement(By.linkText("← Instances")).click();
    WebElement delete = waitFor(By.cssSelector("tr[data-id='" + id + "'] button[data-action=Delete]"));
    delete.click();
    delete.click(); // the second click confirms
    until(WAIT, d -> statusOf(id) == null);
    assertEquals(404, api.get("/compute/v2.1/servers/" + id).status());
    assertEquals(Boolean.TRUE, js.executeScript("return window.notReloaded === true;"));
  }

  @Test
  void anotherProjectsUserSeesNoneOfIt() {
    Api owner = member("own-" + UUID.randomUUID().toString().substring(0, 8));
    String theirs = owner.createServer("not-yours", "42");
    String user = "other-" + UUID.randomUUID().toString().substring(0, 8);
    Api other = member(user);
    logIn(user, "pw-" + user);
    waitFor(By.cssSelector("#servers td.notice"));
    String later = owner.createServer("not-yours-either", "42");
    owner.awaitStatus(later, "ACTIVE", WAIT);
    // the user's own server shows live; the other project's, made before it, never did
    String mine = other.createServer("mine", "42");
    until(WAIT, d -> "ACTIVE".equals(statusOf(mine)));
    assertEquals(null, statusOf(theirs));
    assertEquals(null, statusOf(later));
    assertTrue(!browser.getPageSource().contains("not-yours"));
  }

  @Test
  void aHostileNameIsShownAsTextAndRunsNothing() {
    String user = "name-" + UUID.randomUUID().toString().substring(0, 8);
    Api api = member(user);
    String hostile = "<img src=x onerror=alert(1)>";
    String id = api.createServer(hostile, "42");
    logIn(user, "pw-" + user);
    until(WAIT, d -> d.findElements(By.cssSelector("tr[data-id='" + id + "'] td.name a")).stream()
        .anyMatch(a -> a.getText().equals(hostile)));
    assertTrue(browser.findElements(By.tagName("img")).isEmpty());
    browser.findElement(By.cssSelector("tr[data-id='" + id + "'] td.name a")).click();
    until(WAIT, d -> d.findElement(By.id("server-title")).getText().equals(hostile));
    assertTrue(browser.findElements(By.tagName("img")).isEmpty());
  }

  @Test
  void loggingOutRevokesTheTokenAndARevokedSessionReturnsToTheLoginPage() {
    String user = "out-" + UUID.randomUUID().toString().substring(0, 8);
    member(user);
    logIn(user, "pw-" + user);
    String token = token();
    assertEquals(200, admin.withToken(token).get("/compute/v2.1/servers").status());
    browser.findElement(By.id("logout")).click();
    until(WAIT, d -> d.findElement(By.id("login-message")).getText().contains("logged out"));
    assertEquals(401, admin.withToken(token).get("/compute/v2.1/servers").status());
    assertTrue(!browser.getPageSource().contains(token));

    // a token revoked elsewhere: the page notices and asks for a new login
    logIn(user, "pw-" + user);
    String second = token();
    assertEquals(204, admin.sendWithHeader("DELETE", "/identity/v3/auth/tokens", "X-Subject-Token", second).status());
    until(WAIT, d -> !d.findElements(By.id("login-message")).isEmpty()
        && d.findElement(By.id("login-message")).getText().contains("expired or was revoked"));
  }

  /** The session's token, read from the page's own module (held nowhere else). */
  private String token() {
    Object token = ((JavascriptExecutor) browser).executeAsyncScript(
        "const done = arguments[arguments.length - 1];"
            + "import('/dashboard/api.js').then((m) => done(m.current().token));");
    return (String) token;
  }
}
