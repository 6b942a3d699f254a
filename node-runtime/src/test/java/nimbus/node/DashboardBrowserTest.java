package nimbus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import nimbus.node.bench.HeadlessChromium;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;

/**
 * The dashboard in Debian's headless Chromium against an all-in-one node: a user logs in,
 * launches from the dialog and watches the server change without reloading (a stop made with the
 * real {@code openstack} CLI shows within a second of its exit), reads its console and history,
 * deletes it; another project's user sees none of it; a hostile name stays text; logging out
 * revokes the token. The other pages: quota charts, an image uploaded with a progress bar and
 * booted from on a network made in the page, which the topology shows the server on; security
 * groups and key pairs; a server launched into a server group, and a volume attached to it (which
 * a reader of the project sees with no button to change anything, while the API refuses its
 * change), detached, extended and deleted; a snapshot of a volume, a volume made from it, both
 * deleted, while a volume renamed with the CLI, a volume and a snapshot made through the API show
 * within a second, pushed (an HTML name as text); an image offered to two projects, one offer
 * taken back, the other accepted in that project's page (and another image rejected), and one
 * with an HTML name offered while the page is open shows within a second, as text. The admin's pages: hypervisor usage as the API says,
 * another project's server, a flavor, a project and a user with a role made in the page who then
 * logs in and sees no admin page but the API's refusal. Changes made through the API show on the
 * open page, pushed, without a reload: a key pair made and deleted on the key pairs page, limits
 * and a new server on the overview's charts, a flavor (an HTML name, as text) on the admin's
 * flavors, a limit on the admin's quotas, a project on the identity page. No page breaks the
 * Content-Security-Policy.
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
  @TempDir
  Path downloads;

  @BeforeEach
  void openBrowser() {
    browser = HeadlessChromium.open(Map.of("download.default_directory", downloads.toString(),
        "download.prompt_for_download", false));
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
    logIn(user, password, "");
  }

  /** Logs in, having run {@code script} in the login page first. */
  private void logIn(String user, String password, String script) {
    browser.get(node.apiUrl() + "/");
    WebElement form = waitFor(By.id("login"));
    ((JavascriptExecutor) browser).executeScript(script);
    browser.findElement(By.id("username")).sendKeys(user);
    browser.findElement(By.id("password")).sendKeys(password);
    click(By.cssSelector("#login button[type=submit]"));
    waitFor(By.cssSelector("#live[data-live=on]"));
    // the page stays loaded from here on (hash routes): what the policy refuses is recorded
    ((JavascriptExecutor) browser).executeScript("window.violations = [];"
        + "document.addEventListener('securitypolicyviolation', (e) => window.violations.push(e.effectiveDirective));");
  }

  @SuppressWarnings("unchecked")
  private List<String> violations() {
    return (List<String>) ((JavascriptExecutor) browser).executeScript("return window.violations;");
  }

  /** Opens a page from the navigation bar, as a user does. */
  private void open(String page) {
    click(By.cssSelector("#nav a[href='#/" + page + "']"));
  }

  /** Saves what the browser shows as target/dashboard-screenshots/NAME.png, a test artifact. */
  private void screenshot(String name) throws java.io.IOException {
    Path dir = Files.createDirectories(Path.of("target", "dashboard-screenshots"));
    Files.write(dir.resolve(name + ".png"), ((org.openqa.selenium.TakesScreenshot) browser)
        .getScreenshotAs(org.openqa.selenium.OutputType.BYTES));
  }

  /** Clicks a button that asks for confirmation twice (found again whenever the page re-renders it). */
  private void confirm(By button) {
    Eventually.until(WAIT, () -> {
      WebElement found = browser.findElement(button);
      boolean armed = "yes".equals(found.getAttribute("data-armed"));
      found.click();
      return armed;
    });
  }

  /** Clicks what BY finds, found again if the page re-rendered it in between. */
  private void click(By by) {
    Eventually.until(WAIT, () -> {
      browser.findElement(by).click();
      return true;
    });
  }

  /** The data-id of the shown element BY finds, or of its nearest ancestor that has one (a table row). */
  private String idOf(By by) {
    return Eventually.await(WAIT, () -> browser.findElements(by).stream().filter(WebElement::isDisplayed).findFirst()
        .map(e -> e.findElement(By.xpath("ancestor-or-self::*[@data-id][1]")).getAttribute("data-id")).orElse(null));
  }

  private void type(String id, String text) {
    WebElement input = browser.findElement(By.id(id));
    input.clear();
    input.sendKeys(text);
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
    click(By.cssSelector("#" + selectId + " option[value='" + value + "']"));
  }

  private String statusOf(String id) {
    var cells = browser.findElements(By.cssSelector("tr[data-id='" + id + "'] td.status"));
    return cells.isEmpty() ? null : cells.get(0).getText();
  }

  @Test
  void aUserLaunchesWatchesStopsAndDeletesAServerWithoutReloading(@TempDir Path cliDir) throws Exception {
    String user = "web-" + UUID.randomUUID().toString().substring(0, 8);
    Api api = member(user);
    logIn(user, "pw-" + user);
    JavascriptExecutor js = (JavascriptExecutor) browser;
    js.executeScript("window.notReloaded = true;");

    click(By.id("launch"));
    waitFor(By.id("launch-dialog"));
    // the dialog checks before it sends
    click(By.id("launch-submit"));
    until(WAIT, d -> d.findElement(By.id("launch-errors")).getText().contains("Give the instance a name."));
    browser.findElement(By.id("server-name")).sendKeys("from-the-browser");
    choose("image", Api.TEST_IMAGE);
    choose("flavor", "42");
    click(By.id("launch-submit"));

    String id = idOf(By.linkText("from-the-browser"));
    until(WAIT, d -> "ACTIVE".equals(statusOf(id)));

    // stopped with the real CLI: the page shows it within a second of the CLI's exit (pushed, not reloaded)
    new OpenstackCli(node, cliDir).cloud("user", user, "pw-" + user, user).run("user", "server", "stop", id);
    until(Duration.ofSeconds(1), d -> "SHUTOFF".equals(statusOf(id)));
    click(By.cssSelector("tr[data-id='" + id + "'] button[data-action=Start]"));
    until(WAIT, d -> "ACTIVE".equals(statusOf(id)));

    click(By.linkText("from-the-browser"));
    until(WAIT, d -> d.findElement(By.id("history")).getText().contains("stop")
        && d.findElement(By.id("history")).getText().contains("create")
        && d.findElement(By.id("history")).getText().contains("start"));
    // the console shows what the API answers (test:///default's guests print nothing)
    String output = api.post("/compute/v2.1/servers/" + id + "/action", "{\"os-getConsoleOutput\": {\"length\": 200}}")
        .body().path("output").asText();
    String shown = output.isEmpty() ? "(the console has printed nothing yet)" : output.strip();
    until(WAIT, d -> d.findElement(By.id("console")).getText().strip().equals(shown));
    assertEquals("from-the-browser", browser.findElement(By.id("server-title")).getText());

    click(By.linkText("← Instances"));
    confirm(By.cssSelector("tr[data-id='" + id + "'] button[data-action=Delete]"));
    until(WAIT, d -> statusOf(id) == null);
    assertEquals(404, api.get("/compute/v2.1/servers/" + id).status());
    assertEquals(Boolean.TRUE, js.executeScript("return window.notReloaded === true;"));
  }

  /**
   * The list asks for the rows the window shows and, at once, for the whole list (whose rows
   * already shown it skips): every server shows once, the table is busy until all are in, and a
   * server from the second answer follows the feed.
   */
  @Test
  void aListLongerThanTheWindowShowsEveryServerOnceAndFollowsTheFeed() {
    String user = "many-" + UUID.randomUUID().toString().substring(0, 8);
    Api api = member(user);
    String project = admin.get("/identity/v3/projects?name=" + user).body().path("projects").get(0).path("id").asText();
    Api.Reply quota = admin.send("PUT", "/compute/v2.1/os-quota-sets/" + project,
        "{\"quota_set\": {\"instances\": 20, \"cores\": 20}}");
    assertEquals(200, quota.status(), quota.raw());
    // a flavor small enough that the 20 fit the test host's memory beside the other tests' servers
    Api.Reply flavor = admin.post("/compute/v2.1/flavors", "{\"flavor\": {\"name\": \"" + user + "\", \"id\": \""
        + user + "\", \"vcpus\": 1, \"ram\": 16, \"disk\": 1}}");
    assertEquals(200, flavor.status(), flavor.raw());
    Api.Reply made = api.post("/compute/v2.1/servers", "{\"server\": {\"name\": \"many\", \"imageRef\": \""
        + Api.TEST_IMAGE + "\", \"flavorRef\": \"" + user + "\", \"min_count\": 20, \"max_count\": 20}}");
    assertEquals(202, made.status(), made.raw());
    List<String> ids = new java.util.ArrayList<>();
    api.get("/compute/v2.1/servers").body().path("servers").forEach(s -> ids.add(s.path("id").asText()));
    assertEquals(20, ids.size());
    ids.forEach(id -> api.awaitStatus(id, "ACTIVE", WAIT));
    // a window of at most 16 rows: the first answer holds fewer than the 20 servers
    browser.manage().window().setSize(new org.openqa.selenium.Dimension(1280, 400));
    logIn(user, "pw-" + user);
    waitFor(By.cssSelector("table.servers[aria-busy=false]"));
    JavascriptExecutor js = (JavascriptExecutor) browser;
    @SuppressWarnings("unchecked")
    List<String> shown = (List<String>) js.executeScript(
        "return [...document.querySelectorAll('#servers tr[data-id]')].map((r) => r.getAttribute('data-id'));");
    assertEquals(new java.util.HashSet<>(ids), new java.util.HashSet<>(shown));
    assertEquals(20, shown.size());
    @SuppressWarnings("unchecked")
    List<String> asked = (List<String>) js.executeScript("return performance.getEntriesByType('resource')"
        + ".filter((e) => e.name.includes('/servers/detail')).map((e) => new URL(e.name).searchParams.get('limit'));");
    // (the feed's opening may load the list once more: each load makes both requests)
    assertTrue(asked.contains("1000") && asked.stream().anyMatch(l -> Integer.parseInt(l) < 20)
        && asked.stream().allMatch(l -> l.equals("1000") || Integer.parseInt(l) < 20), asked.toString());
    String last = shown.get(shown.size() - 1);
    assertEquals(202, api.post("/compute/v2.1/servers/" + last + "/action", "{\"os-stop\": null}").status());
    until(WAIT, d -> "SHUTOFF".equals(statusOf(last)));
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
    click(By.cssSelector("tr[data-id='" + id + "'] td.name a"));
    until(WAIT, d -> d.findElement(By.id("server-title")).getText().equals(hostile));
    assertTrue(browser.findElements(By.tagName("img")).isEmpty());
  }

  @Test
  void loggingOutRevokesTheTokenAndARevokedSessionReturnsToTheLoginPage() {
    String user = "out-" + UUID.randomUUID().toString().substring(0, 8);
    member(user);
    // every token the login is issued (the unscoped one it re-scopes too), as the page's fetch sees them
    logIn(user, "pw-" + user, "window.issued = []; const original = window.fetch;"
        + "window.fetch = (...args) => original(...args).then((r) => {"
        + "  const t = r.headers.get('X-Subject-Token'); if (t) window.issued.push(t); return r; });");
    String token = token();
    @SuppressWarnings("unchecked")
    List<String> issued = (List<String>) ((JavascriptExecutor) browser).executeScript("return window.issued;");
    assertEquals(2, issued.size());
    assertEquals(token, issued.get(1));
    assertEquals(200, admin.withToken(issued.get(0)).get("/identity/v3/auth/projects").status());
    assertEquals(200, admin.withToken(token).get("/compute/v2.1/servers").status());
    click(By.id("logout"));
    until(WAIT, d -> d.findElement(By.id("login-message")).getText().contains("logged out"));
    assertEquals(401, admin.withToken(token).get("/compute/v2.1/servers").status());
    // the unscoped token died with it: nothing the login was issued outlives the log-out
    assertEquals(401, admin.withToken(issued.get(0)).get("/identity/v3/auth/projects").status());
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

  @Test
  void theOverviewChartsTheProjectsQuotaUsageFromEachService() throws Exception {
    String user = "quota-" + UUID.randomUUID().toString().substring(0, 8);
    Api api = member(user);
    String project = admin.get("/identity/v3/projects?name=" + user).body().path("projects").get(0).path("id").asText();
    Api.Reply quota = admin.send("PUT", "/compute/v2.1/os-quota-sets/" + project, "{\"quota_set\": {\"instances\": 4}}");
    assertEquals(200, quota.status(), quota.raw());
    String id = api.createServer("counted", "42");
    api.awaitStatus(id, "ACTIVE", WAIT);
    logIn(user, "pw-" + user);
    open("overview");
    WebElement instances = waitFor(By.cssSelector("li[data-quota=instances]"));
    assertEquals("1 of 4 used", instances.findElement(By.className("quota-text")).getText());
    // the bar is drawn by its attributes, which the policy allows: a quarter of the track's width
    assertEquals("25.00", instances.findElement(By.cssSelector("rect.bar-used")).getAttribute("width"));
    WebElement track = instances.findElement(By.cssSelector("rect.bar-track"));
    WebElement used = instances.findElement(By.cssSelector("rect.bar-used"));
    assertEquals(track.getRect().getWidth() / 4.0, used.getRect().getWidth(), 1.0);
    for (String kind : List.of("cores", "ram", "volumes", "gigabytes", "network", "port", "floatingip", "security_group")) {
      assertTrue(!browser.findElements(By.cssSelector("li[data-quota=" + kind + "] .quota-text")).isEmpty(), kind);
    }
    // the default security group counts: Neutron's quota details, as the API answers them
    int groups = api.get("/network/v2.0/quotas/" + project + "/details.json").body().path("quota").path("security_group")
        .path("used").asInt();
    assertEquals(groups, Integer.parseInt(browser.findElement(By.cssSelector("li[data-quota=security_group]"))
        .getAttribute("data-used")));
    screenshot("overview");
    assertEquals(List.of(), violations());

    // what the policy means in Chromium: a style attribute set by script is refused, CSSOM is not
    Object applied = ((JavascriptExecutor) browser).executeScript(
        "const p = document.createElement('p'); document.body.append(p);"
            + "p.setAttribute('style', 'margin-left: 7px'); const byAttribute = getComputedStyle(p).marginLeft;"
            + "p.removeAttribute('style'); p.style.marginLeft = '9px'; const byCssom = getComputedStyle(p).marginLeft;"
            + "p.remove(); return byAttribute + ' ' + byCssom;");
    assertEquals("0px 9px", applied);
    until(WAIT, d -> violations().equals(List.of("style-src-attr")));
  }

  @Test
  void aUserUploadsAnImageWithProgressBuildsANetworkBootsFromItAndSeesTheTopology(@TempDir Path dir) throws Exception {
    String user = "img-" + UUID.randomUUID().toString().substring(0, 8);
    Api api = member(user);
    Path disk = dir.resolve("disk.qcow2");
    Process made = new ProcessBuilder("qemu-img", "create", "-q", "-f", "qcow2", "-o", "preallocation=full", disk.toString(), "4M")
        .inheritIO().start();
    assertEquals(0, made.waitFor());
    long size = Files.size(disk);
    logIn(user, "pw-" + user);

    open("images");
    type("image-name", "uploaded");
    choose("image-format", "qcow2");
    browser.findElement(By.id("image-file")).sendKeys(disk.toString());
    click(By.id("upload"));
    WebElement progress = browser.findElement(By.id("upload-progress"));
    until(WAIT, d -> String.valueOf(size).equals(progress.getDomProperty("max"))
        && String.valueOf(size).equals(progress.getDomProperty("value")));
    String image = idOf(By.xpath("//tbody[@id='images']/tr[td[@class='name' and text()='uploaded']]"));
    until(WAIT, d -> "active".equals(d.findElement(By.cssSelector("tr[data-id='" + image + "'] td.status")).getText()));
    assertEquals("active", api.get("/image/v2/images/" + image).body().path("status").asText());
    assertEquals(size, api.get("/image/v2/images/" + image).body().path("size").asLong());
    screenshot("images");

    // edited: the new name is text, whatever it holds
    click(By.cssSelector("tr[data-id='" + image + "'] button[data-action=Edit]"));
    waitFor(By.id("edit-dialog"));
    String hostile = "<b>bold</b>";
    type("edit-name", hostile);
    choose("edit-visibility", "shared");
    click(By.id("edit-save"));
    until(WAIT, d -> d.findElement(By.cssSelector("tr[data-id='" + image + "'] td.name")).getText().equals(hostile)
        && d.findElement(By.cssSelector("tr[data-id='" + image + "'] td.visibility")).getText().equals("shared"));
    assertTrue(browser.findElements(By.cssSelector("#images b")).isEmpty());
    assertEquals(hostile, api.get("/image/v2/images/" + image).body().path("name").asText());

    // a network and its subnet, made in the page; a scratch network deleted
    open("networks");
    type("network-name", "web-net");
    click(By.id("network-create"));
    String network = idOf(By.xpath("//tbody[@id='networks']/tr[td[@class='name' and text()='web-net']]"));
    until(WAIT, d -> !d.findElements(By.cssSelector("#subnet-network option[value='" + network + "']")).isEmpty());
    choose("subnet-network", network);
    type("subnet-name", "web-sub");
    type("subnet-cidr", "10.20.30.0/24");
    click(By.id("subnet-create"));
    until(WAIT, d -> d.findElement(By.cssSelector("tr[data-id='" + network + "'] td.subnets")).getText().contains("web-sub 10.20.30.0/24"));
    type("network-name", "scratch");
    click(By.id("network-create"));
    String scratch = idOf(By.xpath("//tbody[@id='networks']/tr[td[@class='name' and text()='scratch']]"));
    confirm(By.cssSelector("tr[data-id='" + scratch + "'] td.actions button"));
    until(WAIT, d -> d.findElements(By.cssSelector("tr[data-id='" + scratch + "']")).isEmpty());
    screenshot("networks");
    assertEquals(404, api.get("/network/v2.0/networks/" + scratch).status());

    // a router with a gateway on the cloud's external network and an interface on the subnet
    String external = admin.post("/network/v2.0/networks", "{\"network\": {\"name\": \"public-" + user
        + "\", \"router:external\": true}}").body().path("network").path("id").asText();
    assertEquals(201, admin.post("/network/v2.0/subnets", "{\"subnet\": {\"network_id\": \"" + external
        + "\", \"cidr\": \"198.51.100.0/24\", \"ip_version\": 4}}").status());
    open("routers");
    type("router-name", "web-router");
    until(WAIT, d -> !d.findElements(By.cssSelector("#router-gateway option[value='" + external + "']")).isEmpty());
    choose("router-gateway", external);
    click(By.id("router-create"));
    String router = idOf(By.xpath("//tbody[@id='routers']/tr[td[@class='name' and text()='web-router']]"));
    String subnet = api.get("/network/v2.0/subnets?network_id=" + network).body().path("subnets").get(0).path("id").asText();
    choose("interface-" + router, subnet);
    click(By.cssSelector("tr[data-id='" + router + "'] button[data-action='Add interface']"));
    until(WAIT, d -> d.findElement(By.cssSelector("tr[data-id='" + router + "'] td.interfaces")).getText().contains("10.20.30.1"));

    // booted from the uploaded image, on the new network, from the image's own Launch button
    open("images");
    click(By.cssSelector("tr[data-id='" + image + "'] button[data-action=Launch]"));
    waitFor(By.id("launch-dialog"));
    assertEquals(image, browser.findElement(By.id("image")).getDomProperty("value"));
    type("server-name", "from-upload");
    choose("flavor", "42");
    choose("network", network);
    click(By.id("launch-submit"));
    until(WAIT, d -> d.findElements(By.id("launch-dialog")).isEmpty());
    open("instances");
    String server = idOf(By.linkText("from-upload"));
    until(WAIT, d -> "ACTIVE".equals(statusOf(server)));
    screenshot("instances");
    assertEquals(image, api.server(server).path("image").path("id").asText());

    // a floating IP allocated, associated with the server's port, disassociated, released
    String port = api.get("/network/v2.0/ports?device_id=" + server).body().path("ports").get(0).path("id").asText();
    open("routers");
    until(WAIT, d -> !d.findElements(By.cssSelector("#fip-network option[value='" + external + "']")).isEmpty());
    choose("fip-network", external);
    click(By.id("fip-allocate"));
    String fip = idOf(By.cssSelector("#floating-ips tr[data-id]"));
    until(WAIT, d -> !d.findElements(By.cssSelector("#associate-" + fip + " option[value='" + port + "']")).isEmpty());
    choose("associate-" + fip, port);
    click(By.cssSelector("tr[data-id='" + fip + "'] button[data-action=Associate]"));
    waitFor(By.cssSelector("tr[data-id='" + fip + "'] button[data-action=Disassociate]"));
    assertEquals(port, api.get("/network/v2.0/floatingips/" + fip).body().path("floatingip").path("port_id").asText());
    click(By.cssSelector("tr[data-id='" + fip + "'] button[data-action=Disassociate]"));
    waitFor(By.cssSelector("tr[data-id='" + fip + "'] button[data-action=Associate]"));
    assertTrue(api.get("/network/v2.0/floatingips/" + fip).body().path("floatingip").path("port_id").isNull());
    // associated elsewhere (the API), the floating IP shows in the open instances page's row, and
    // leaves it once disassociated; Nova's addresses list it beside the fixed one
    String address = api.get("/network/v2.0/floatingips/" + fip).body().path("floatingip").path("floating_ip_address").asText();
    By addresses = By.cssSelector("tr[data-id='" + server + "'] td.addresses");
    open("instances");
    until(WAIT, d -> "ACTIVE".equals(statusOf(server)));
    markPage();
    assertEquals(200, api.send("PUT", "/network/v2.0/floatingips/" + fip,
        "{\"floatingip\": {\"port_id\": \"" + port + "\"}}").status());
    pushed(d -> d.findElement(addresses).getText().contains(address));
    assertTrue(api.server(server).path("addresses").toString().contains("\"addr\":\"" + address
        + "\",\"OS-EXT-IPS:type\":\"floating\""), api.server(server).toString());
    assertEquals(200, api.send("PUT", "/network/v2.0/floatingips/" + fip, "{\"floatingip\": {\"port_id\": null}}").status());
    pushed(d -> !d.findElement(addresses).getText().contains(address));
    open("routers");
    confirm(By.cssSelector("tr[data-id='" + fip + "'] button[data-action=Release]"));
    until(WAIT, d -> d.findElements(By.cssSelector("tr[data-id='" + fip + "']")).isEmpty());
    assertEquals(404, api.get("/network/v2.0/floatingips/" + fip).status());

    // the picture joins the server and the router to the network, each label as text
    open("topology");
    // (a level line has no height, which Selenium counts as not displayed: present is enough)
    until(WAIT, d -> !d.findElements(By.cssSelector("#topology-picture line[data-from='" + server + "'][data-to='" + network + "']")).isEmpty()
        && !d.findElements(By.cssSelector("#topology-picture line[data-from='" + router + "'][data-to='" + network + "']")).isEmpty());
    assertEquals("from-upload", browser.findElement(By.cssSelector("g[data-id='" + server + "'] text.label")).getText());
    assertEquals("web-net", browser.findElement(By.cssSelector("g[data-id='" + network + "'] text.label")).getText());
    assertTrue(browser.findElement(By.id("topology-links")).getText().contains("server from-upload is on network web-net (10.20.30."));
    screenshot("topology");
    assertEquals(List.of(), violations());
  }

  @Test
  void aUserManagesSecurityGroupsAndKeyPairs() throws Exception {
    String user = "keys-" + UUID.randomUUID().toString().substring(0, 8);
    Api api = member(user);
    logIn(user, "pw-" + user);

    open("security-groups");
    type("group-name", "web");
    click(By.id("group-create"));
    String group = idOf(By.xpath("//section[@data-id][h2[text()='web']]"));
    choose("rule-" + group + "-protocol", "tcp");
    type("rule-" + group + "-min", "22");
    type("rule-" + group + "-cidr", "192.0.2.0/24");
    click(By.cssSelector("section[data-id='" + group + "'] button[data-action='Add rule']"));
    until(WAIT, d -> d.findElement(By.cssSelector("section[data-id='" + group + "']")).getText().contains("192.0.2.0/24"));
    screenshot("security-groups");
    var rules = api.get("/network/v2.0/security-group-rules?security_group_id=" + group).body().path("security_group_rules");
    boolean ssh = false;
    for (var rule : rules) {
      ssh |= rule.path("port_range_min").asInt() == 22 && rule.path("port_range_max").asInt() == 22
          && rule.path("remote_ip_prefix").asText().equals("192.0.2.0/24");
    }
    assertTrue(ssh, rules.toString());
    // Neutron's refusal, in its words
    type("rule-" + group + "-min", "70000");
    click(By.cssSelector("section[data-id='" + group + "'] button[data-action='Add rule']"));
    until(WAIT, d -> !d.findElement(By.id("groups-message")).getText().isEmpty());
    confirm(By.cssSelector("section[data-id='" + group + "'] > .toolbar button[data-action=Delete]"));
    until(WAIT, d -> d.findElements(By.cssSelector("section[data-id='" + group + "']")).isEmpty());
    assertEquals(404, api.get("/network/v2.0/security-groups/" + group).status());

    open("key-pairs");
    type("keypair-name", "made");
    click(By.id("keypair-create"));
    WebElement link = waitFor(By.id("private-key-link"));
    assertTrue(link.getAttribute("href").startsWith("blob:"), link.getAttribute("href"));
    assertEquals("made.pem", link.getAttribute("download"));
    // the download is the private key Nova made (the page's policy lets no script read a blob: URL)
    link.click();
    Path saved = downloads.resolve("made.pem");
    Eventually.until(WAIT, () -> Files.exists(saved) && Files.readString(saved).contains("PRIVATE KEY"));
    waitFor(By.cssSelector("tr[data-id='made']"));
    assertEquals(200, api.get("/compute/v2.1/os-keypairs/made").status());
    screenshot("key-pairs");

    type("import-name", "imported");
    type("import-key", FuzzTargets.PUBLIC_KEY);
    click(By.id("import"));
    String fingerprint = waitFor(By.cssSelector("tr[data-id='imported'] td.fingerprint")).getText();
    assertEquals(api.get("/compute/v2.1/os-keypairs/imported").body().path("keypair").path("fingerprint").asText(), fingerprint);
    confirm(By.cssSelector("tr[data-id='imported'] button[data-action=Delete]"));
    until(WAIT, d -> d.findElements(By.cssSelector("tr[data-id='imported']")).isEmpty());
    assertEquals(404, api.get("/compute/v2.1/os-keypairs/imported").status());
    assertEquals(List.of(), violations());
  }

  /** Marks the loaded page: the mark is gone if the page is loaded again (a reload, a login). */
  private void markPage() {
    ((JavascriptExecutor) browser).executeScript("window.notReloaded = true;");
  }

  private boolean stillTheSamePage() {
    return Boolean.TRUE.equals(((JavascriptExecutor) browser).executeScript("return window.notReloaded === true;"));
  }

  /** From now on, the page's requests are noted (window.fetched: their URLs), to see which it reads again. */
  private void recordFetches() {
    ((JavascriptExecutor) browser).executeScript("window.fetched = []; const original = window.fetch;"
        + " window.fetch = (url, options) => { window.fetched.push(String(url)); return original(url, options); };");
  }

  @SuppressWarnings("unchecked")
  private List<String> fetched() {
    return (List<String>) ((JavascriptExecutor) browser).executeScript("return window.fetched;");
  }

  /** Waits for what only a pushed change shows (no page asks again by itself), on the page as it was loaded. */
  private void pushed(java.util.function.Function<WebDriver, Boolean> condition) {
    until(WAIT, condition);
    assertTrue(stillTheSamePage(), "the page was loaded again");
  }

  @Test
  void keyPairsQuotasFlavorsAndProjectsChangedThroughTheApiShowOnTheOpenPages() throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String user = "live-" + suffix;
    Api api = member(user);
    String project = admin.get("/identity/v3/projects?name=" + user).body().path("projects").get(0).path("id").asText();
    logIn(user, "pw-" + user);
    markPage();

    // a key pair made and deleted through the API, as the CLI does, while the page is open
    open("key-pairs");
    waitFor(By.id("keypair-form"));
    String keypair = "made-by-api-" + suffix;
    recordFetches();
    Api.Reply made = api.post("/compute/v2.1/os-keypairs", "{\"keypair\": {\"name\": \"" + keypair + "\"}}");
    assertEquals(200, made.status(), made.raw());
    pushed(d -> d.findElements(By.cssSelector("#keypairs tr[data-id='" + keypair + "'] td.fingerprint")).stream()
        .anyMatch(c -> c.getText().equals(made.body().path("keypair").path("fingerprint").asText())));
    screenshot("key-pairs-pushed");
    assertEquals(202, api.delete("/compute/v2.1/os-keypairs/" + keypair).status());
    pushed(d -> d.findElements(By.cssSelector("#keypairs tr[data-id='" + keypair + "']")).isEmpty());
    // the page read the one key pair again, never its whole list
    assertTrue(fetched().contains("/compute/v2.1/os-keypairs/" + keypair), fetched().toString());
    assertFalse(fetched().contains("/compute/v2.1/os-keypairs"), fetched().toString());

    // the project's limits changed by the admin: the overview's chart follows
    open("overview");
    waitFor(By.cssSelector("li[data-quota=instances]"));
    Api.Reply quota = admin.send("PUT", "/compute/v2.1/os-quota-sets/" + project, "{\"quota_set\": {\"instances\": 3}}");
    assertEquals(200, quota.status(), quota.raw());
    pushed(d -> "3".equals(d.findElement(By.cssSelector("li[data-quota=instances]")).getAttribute("data-limit")));
    Api.Reply ports = admin.send("PUT", "/network/v2.0/quotas/" + project, "{\"quota\": {\"port\": 17}}");
    assertEquals(200, ports.status(), ports.raw());
    pushed(d -> "17".equals(d.findElement(By.cssSelector("li[data-quota=port]")).getAttribute("data-limit")));
    // and its usage: a server made through the API counts
    String server = api.createServer("counted-live", "42");
    pushed(d -> "1".equals(d.findElement(By.cssSelector("li[data-quota=instances]")).getAttribute("data-used")));
    assertEquals(List.of(), violations());

    // the admin's pages: a flavor (an HTML name, shown as text) and a project made through the API
    click(By.id("logout"));
    logIn("admin", nimbus.testing.TestConfig.ADMIN_PASSWORD);
    markPage();
    open("admin-flavors");
    waitFor(By.cssSelector("#flavors tr"));
    String hostile = "<img src=x onerror=alert(1)>f-" + suffix;
    recordFetches();
    Api.Reply flavor = admin.post("/compute/v2.1/flavors", "{\"flavor\": {\"name\": \"" + hostile
        + "\", \"vcpus\": 1, \"ram\": 64, \"disk\": 0}}");
    assertEquals(200, flavor.status(), flavor.raw());
    String flavorId = flavor.body().path("flavor").path("id").asText();
    pushed(d -> d.findElements(By.cssSelector("#flavors tr[data-id='" + flavorId + "'] td.name")).stream()
        .anyMatch(c -> c.getText().equals(hostile)));
    assertTrue(browser.findElements(By.tagName("img")).isEmpty());
    screenshot("admin-flavors-pushed");
    assertEquals(202, admin.delete("/compute/v2.1/flavors/" + flavorId).status());
    pushed(d -> d.findElements(By.cssSelector("#flavors tr[data-id='" + flavorId + "']")).isEmpty());
    assertTrue(fetched().contains("/compute/v2.1/flavors/" + flavorId), fetched().toString());
    assertTrue(fetched().stream().noneMatch(u -> u.startsWith("/compute/v2.1/flavors/detail")), fetched().toString());

    open("admin-quotas");
    choose("quota-project", project);
    until(WAIT, d -> !d.findElements(By.cssSelector("#quotas-compute tr[data-id='compute/cores'][data-project='" + project + "']")).isEmpty());
    Api.Reply cores = admin.send("PUT", "/compute/v2.1/os-quota-sets/" + project, "{\"quota_set\": {\"cores\": 9}}");
    assertEquals(200, cores.status(), cores.raw());
    pushed(d -> d.findElement(By.cssSelector("#quotas-compute tr[data-id='compute/cores'] td.limit")).getText().equals("9"));

    open("admin-identity");
    waitFor(By.cssSelector("#projects tr"));
    String projectName = "pushed-" + suffix;
    Api.Reply created = admin.post("/identity/v3/projects", "{\"project\": {\"name\": \"" + projectName + "\"}}");
    assertEquals(201, created.status(), created.raw());
    pushed(d -> !d.findElements(By.xpath("//tbody[@id='projects']/tr[td[@class='name' and text()='" + projectName + "']]")).isEmpty());
    api.awaitStatus(server, "ACTIVE", WAIT);
    assertEquals(List.of(), violations());
  }

  @Test
  void aUserLaunchesIntoAServerGroupAndCreatesExtendsAttachesDetachesAndDeletesAVolume() throws Exception {
    String user = "vol-" + UUID.randomUUID().toString().substring(0, 8);
    Api api = member(user);
    logIn(user, "pw-" + user);

    // a server group (a soft policy: Nova's 2.15, asked for by the page), and a server launched into it
    open("server-groups");
    type("server-group-name", "spread");
    choose("server-group-policy", "soft-anti-affinity");
    click(By.id("server-group-create"));
    String group = idOf(By.xpath("//tbody[@id='server-groups']/tr[td[@class='name' and text()='spread']]"));
    assertEquals("soft-anti-affinity", browser.findElement(By.cssSelector("tr[data-id='" + group + "'] td.policy")).getText());
    open("instances");
    click(By.id("launch"));
    waitFor(By.id("launch-dialog"));
    type("server-name", "grouped");
    choose("image", Api.TEST_IMAGE);
    choose("flavor", "42");
    choose("server-group", group);
    click(By.id("launch-submit"));
    String server = idOf(By.linkText("grouped"));
    open("server-groups");
    until(WAIT, d -> d.findElement(By.cssSelector("tr[data-id='" + group + "'] td.members")).getText().equals("grouped"));
    assertEquals(server, api.get("/compute/v2.1/os-server-groups/" + group).body().path("server_group").path("members")
        .get(0).asText());
    screenshot("server-groups");

    // a volume: created, counted in the overview's charts, refused a smaller size in Cinder's words
    String project = admin.get("/identity/v3/projects?name=" + user).body().path("projects").get(0).path("id").asText();
    String volumes = "/volume/v3/" + project + "/volumes/";
    open("volumes");
    type("volume-name", "data");
    type("volume-size", "1");
    type("volume-description", "logs");
    click(By.id("volume-create"));
    String volume = idOf(By.xpath("//tbody[@id='volumes']/tr[td[@class='name' and text()='data']]"));
    until(WAIT, d -> "available".equals(volumeStatus(volume)));
    assertEquals("logs", api.get(volumes + volume).body().path("volume").path("description").asText());
    open("overview");
    until(WAIT, d -> "1".equals(d.findElement(By.cssSelector("li[data-quota=volumes]")).getAttribute("data-used"))
        && "1".equals(d.findElement(By.cssSelector("li[data-quota=gigabytes]")).getAttribute("data-used")));
    open("volumes");
    waitFor(By.id("extend-" + volume));
    type("extend-" + volume, "1");
    click(By.cssSelector("tr[data-id='" + volume + "'] button[data-action=Extend]"));
    until(WAIT, d -> d.findElement(By.id("volumes-message")).getText()
        .contains("New size for extend must be greater than current size. (current: 1, extended: 1)."));

    // attached to the grouped server once it is active: in-use on its device; detached
    until(WAIT, d -> "ACTIVE".equals(api.server(server).path("status").asText()));
    until(WAIT, d -> !d.findElements(By.cssSelector("#attach-" + volume + " option[value='" + server + "']")).isEmpty());
    choose("attach-" + volume, server);
    click(By.cssSelector("tr[data-id='" + volume + "'] button[data-action=Attach]"));
    until(WAIT, d -> "in-use".equals(volumeStatus(volume))
        && d.findElement(By.cssSelector("tr[data-id='" + volume + "'] td.attached")).getText().equals("grouped on /dev/vdb"));
    assertEquals(server, api.get(volumes + volume).body().path("volume").path("attachments").get(0).path("server_id").asText());
    screenshot("volumes");
    assertEquals(List.of(), violations());
    aReaderSeesTheProjectButCannotChangeIt(user, project, server, volume, group);
    logIn(user, "pw-" + user);
    open("volumes");
    click(By.cssSelector("tr[data-id='" + volume + "'] button[data-action=Detach]"));
    until(WAIT, d -> "available".equals(volumeStatus(volume))
        && d.findElement(By.cssSelector("tr[data-id='" + volume + "'] td.attached")).getText().isEmpty());

    // extended: the page follows it until it settles (test:///default cannot grow a volume: the
    // extend fails as a backend's would), then deleted
    waitFor(By.id("extend-" + volume));
    type("extend-" + volume, "2");
    click(By.cssSelector("tr[data-id='" + volume + "'] button[data-action=Extend]"));
    until(WAIT, d -> "error_extending".equals(volumeStatus(volume)));
    assertEquals("error_extending", api.get(volumes + volume).body().path("volume").path("status").asText());
    confirm(By.cssSelector("tr[data-id='" + volume + "'] button[data-action=Delete]"));
    until(WAIT, d -> d.findElements(By.cssSelector("tr[data-id='" + volume + "']")).isEmpty());
    assertEquals(404, api.get(volumes + volume).status());

    open("server-groups");
    confirm(By.cssSelector("tr[data-id='" + group + "'] button[data-action=Delete]"));
    until(WAIT, d -> d.findElements(By.cssSelector("tr[data-id='" + group + "']")).isEmpty());
    assertEquals(404, api.get("/compute/v2.1/os-server-groups/" + group).status());
    assertEquals(List.of(), violations());
  }

  @Test
  void theAdminSeesHypervisorsAndEveryProjectAndMakesAUserWhoLogsInWithoutTheAdminPages() throws Exception {
    Api owner = member("else-" + UUID.randomUUID().toString().substring(0, 8));
    String theirs = owner.createServer("elsewhere", "42");
    owner.awaitStatus(theirs, "ACTIVE", WAIT);
    logIn("admin", nimbus.testing.TestConfig.ADMIN_PASSWORD);

    // each host's usage is what Nova's hypervisor detail says (opened again if a server moved it meanwhile)
    Eventually.until(WAIT, () -> {
      open("admin-instances");
      open("admin-hypervisors");
      var host = admin.get("/compute/v2.1/os-hypervisors/detail").body().path("hypervisors").get(0);
      WebElement row = waitFor(By.cssSelector("#hypervisors tr[data-id='" + host.path("id").asText() + "']"));
      return row.findElement(By.cssSelector("td.name")).getText().equals(host.path("hypervisor_hostname").asText())
          && row.findElement(By.cssSelector("td.vcpus")).getAttribute("data-used").equals(host.path("vcpus_used").asText())
          && row.findElement(By.cssSelector("td.vcpus")).getAttribute("data-total").equals(host.path("vcpus").asText())
          && row.findElement(By.cssSelector("td.ram")).getAttribute("data-used").equals(host.path("memory_mb_used").asText())
          && row.findElement(By.cssSelector("td.ram")).getAttribute("data-total").equals(host.path("memory_mb").asText())
          && row.findElement(By.cssSelector("td.running")).getText().equals(host.path("running_vms").asText());
    });
    assertTrue(browser.findElements(By.cssSelector("#hypervisors svg.bar rect.bar-used")).size() >= 2);
    screenshot("admin-hypervisors");

    // another project's server, with its project's name and host, linked to its page
    open("admin-instances");
    String project = owner.get("/identity/v3/auth/projects").body().path("projects").get(0).path("name").asText();
    until(WAIT, d -> !d.findElements(By.cssSelector("#all-servers tr[data-id='" + theirs + "'] td.host")).isEmpty()
        && d.findElement(By.cssSelector("#all-servers tr[data-id='" + theirs + "'] td.project")).getText().equals(project)
        && !d.findElement(By.cssSelector("#all-servers tr[data-id='" + theirs + "'] td.host")).getText().isEmpty());
    click(By.cssSelector("#all-servers tr[data-id='" + theirs + "'] td.name a"));
    until(WAIT, d -> d.findElement(By.id("server-title")).getText().equals("elsewhere"));

    // a flavor made and deleted
    open("admin-flavors");
    type("flavor-name", "made-here");
    type("flavor-vcpus", "1");
    type("flavor-ram", "64");
    type("flavor-disk", "0");
    click(By.id("flavor-create"));
    String flavor = idOf(By.xpath("//tbody[@id='flavors']/tr[td[@class='name' and text()='made-here']]"));
    assertEquals(64, admin.get("/compute/v2.1/flavors/" + flavor).body().path("flavor").path("ram").asInt());
    confirm(By.cssSelector("#flavors tr[data-id='" + flavor + "'] button[data-action=Delete]"));
    until(WAIT, d -> d.findElements(By.cssSelector("#flavors tr[data-id='" + flavor + "']")).isEmpty());
    assertEquals(404, admin.get("/compute/v2.1/flavors/" + flavor).status());

    // a project (its name shown as text) and a user in it with the member role
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String projectName = "<b>x-" + suffix + "</b>";
    String user = "made-" + suffix;
    open("admin-identity");
    type("project-name", projectName);
    click(By.id("project-create"));
    String made = idOf(By.xpath("//tbody[@id='projects']/tr[td[@class='name' and text()='" + projectName + "']]"));
    assertTrue(browser.findElements(By.cssSelector("#projects b")).isEmpty());
    String memberRole = admin.get("/identity/v3/roles?name=member").body().path("roles").get(0).path("id").asText();
    type("user-name", user);
    type("user-password", "pw-" + user);
    choose("user-project", made);
    choose("user-role", memberRole);
    click(By.id("user-create"));
    String userId = idOf(By.xpath("//tbody[@id='users']/tr[td[@class='name' and text()='" + user + "']]"));
    WebElement grant = waitFor(By.cssSelector("#assignments tr[data-id='" + userId + "/" + made + "/" + memberRole + "']"));
    assertEquals(projectName, grant.findElement(By.cssSelector("td.project")).getText());
    assertEquals("member", grant.findElement(By.cssSelector("td.role")).getText());
    screenshot("admin-identity");

    // the project's compute quota changed in one value
    open("admin-quotas");
    choose("quota-project", made);
    until(WAIT, d -> !d.findElements(By.cssSelector("#quotas-compute tr[data-id='compute/instances'][data-project='" + made + "']")).isEmpty());
    type("quota-compute-instances", "7");
    click(By.cssSelector("#quotas-compute tr[data-id='compute/instances'] button[data-action=Set]"));
    until(WAIT, d -> d.findElement(By.cssSelector("#quotas-compute tr[data-id='compute/instances'] td.limit")).getText().equals("7"));
    assertEquals(7, admin.get("/compute/v2.1/os-quota-sets/" + made).body().path("quota_set").path("instances").asInt());
    assertEquals(List.of(), violations());

    // the new user logs in to the new project: no admin pages in the bar, and one opened by hand
    // shows the API's refusal and nothing else
    click(By.id("logout"));
    logIn(user, "pw-" + user);
    assertEquals(projectName, browser.findElement(By.cssSelector("#project option[value='" + made + "']")).getText());
    assertTrue(browser.findElements(By.cssSelector("#nav a[href^='#/admin-']")).isEmpty());
    Api madeUser = admin.as(user, "pw-" + user, projectName);
    Api.Reply refused = madeUser.get("/compute/v2.1/os-hypervisors/detail");
    assertEquals(403, refused.status());
    ((JavascriptExecutor) browser).executeScript("location.hash = '#/admin-hypervisors';");
    assertEquals(refused.body().path("forbidden").path("message").asText(), waitFor(By.cssSelector("#main .error")).getText());
    assertEquals(List.of("H1", "P"), browser.findElements(By.cssSelector("#main > *")).stream().map(WebElement::getTagName)
        .map(String::toUpperCase).toList());
    Api.Reply keystone = madeUser.get("/identity/v3/projects");
    assertEquals(403, keystone.status());
    ((JavascriptExecutor) browser).executeScript("location.hash = '#/admin-identity';");
    assertEquals(keystone.body().path("error").path("message").asText(), waitFor(By.cssSelector("#main .error")).getText());
    assertEquals(2, browser.findElements(By.cssSelector("#main > *")).size());
    assertTrue(browser.findElements(By.cssSelector("#main table, #main form")).isEmpty());
  }

  @Test
  void aUserTakesASnapshotOfAVolumeMakesAVolumeFromItAndDeletesIt(@TempDir Path cliDir) throws Exception {
    String user = "snap-" + UUID.randomUUID().toString().substring(0, 8);
    Api api = member(user);
    String project = admin.get("/identity/v3/projects?name=" + user).body().path("projects").get(0).path("id").asText();
    String base = "/volume/v3/" + project;
    String source = api.post(base + "/volumes", "{\"volume\": {\"size\": 1, \"name\": \"source\"}}")
        .body().path("volume").path("id").asText();
    Eventually.until(WAIT, () -> "available".equals(api.get(base + "/volumes/" + source).body().path("volume").path("status").asText()));
    logIn(user, "pw-" + user);

    // a snapshot taken of the volume chosen in the form, followed until it is available
    open("volume-snapshots");
    choose("snapshot-volume", source);
    type("snapshot-name", "before-upgrade");
    type("snapshot-description", "kept");
    click(By.id("snapshot-create"));
    String snapshot = idOf(By.xpath("//tbody[@id='snapshots']/tr[td[@class='name' and text()='before-upgrade']]"));
    until(WAIT, d -> "available".equals(d.findElement(By.cssSelector("#snapshots tr[data-id='" + snapshot + "'] td.status")).getText()));
    assertEquals("source", browser.findElement(By.cssSelector("#snapshots tr[data-id='" + snapshot + "'] td.volume")).getText());
    Api.Reply shown = api.get(base + "/snapshots/" + snapshot);
    assertEquals(source, shown.body().path("snapshot").path("volume_id").asText());
    assertEquals("kept", shown.body().path("snapshot").path("description").asText());
    JavascriptExecutor js = (JavascriptExecutor) browser;
    js.executeScript("window.notReloaded = true;");

    // a snapshot taken through the API shows within a second of the answer (pushed), its HTML name as text
    String hostile = "<img src=x onerror=alert(1)>";
    Api.Reply taken = api.post(base + "/snapshots", "{\"snapshot\": {\"volume_id\": \"" + source + "\", \"name\": \""
        + hostile + "\"}}");
    assertEquals(202, taken.status(), taken.raw());
    String hostileSnapshot = taken.body().path("snapshot").path("id").asText();
    until(Duration.ofSeconds(1), d -> d.findElements(By.cssSelector("#snapshots tr[data-id='" + hostileSnapshot + "'] td.name"))
        .stream().anyMatch(cell -> cell.getText().equals(hostile)));
    assertTrue(browser.findElements(By.tagName("img")).isEmpty());

    // a volume made from it, in the volumes page once it is available
    type("from-snapshot-" + snapshot, "restored");
    click(By.cssSelector("#snapshots tr[data-id='" + snapshot + "'] button[data-action='Create volume']"));
    String restored = Eventually.await(WAIT, () -> {
      for (var v : api.get(base + "/volumes/detail").body().path("volumes")) {
        if (v.path("name").asText().equals("restored")) return v;
      }
      return null;
    }).path("id").asText();
    assertEquals(snapshot, api.get(base + "/volumes/" + restored).body().path("volume").path("snapshot_id").asText());
    screenshot("volume-snapshots");
    open("volumes");
    until(WAIT, d -> "available".equals(volumeStatus(restored)));
    assertEquals("restored", browser.findElement(By.cssSelector("#volumes tr[data-id='" + restored + "'] td.name")).getText());

    // renamed with the real CLI: the page shows it within a second of the CLI's exit (pushed, not reloaded)
    new OpenstackCli(node, cliDir).cloud("user", user, "pw-" + user, user)
        .run("user", "volume", "set", "--name", "renamed-by-cli", restored);
    until(Duration.ofSeconds(1), d -> d.findElements(By.cssSelector("#volumes tr[data-id='" + restored + "'] td.name"))
        .stream().anyMatch(cell -> cell.getText().equals("renamed-by-cli")));
    // created through the API: its row comes within a second of the answer, and follows it to available
    Api.Reply created = api.post(base + "/volumes", "{\"volume\": {\"size\": 1, \"name\": \"pushed\"}}");
    assertEquals(202, created.status(), created.raw());
    String pushed = created.body().path("volume").path("id").asText();
    until(Duration.ofSeconds(1), d -> volumeStatus(pushed) != null);
    until(WAIT, d -> "available".equals(volumeStatus(pushed)));
    assertEquals(Boolean.TRUE, js.executeScript("return window.notReloaded === true;"));

    // the volume made from it deleted, then the snapshot, from its page
    confirm(By.cssSelector("#volumes tr[data-id='" + restored + "'] button[data-action=Delete]"));
    until(WAIT, d -> d.findElements(By.cssSelector("#volumes tr[data-id='" + restored + "']")).isEmpty());
    open("volume-snapshots");
    confirm(By.cssSelector("#snapshots tr[data-id='" + snapshot + "'] button[data-action=Delete]"));
    until(WAIT, d -> d.findElements(By.cssSelector("#snapshots tr[data-id='" + snapshot + "']")).isEmpty());
    assertEquals(404, api.get(base + "/snapshots/" + snapshot).status());
    assertEquals(List.of(), violations());
  }

  @Test
  void anOwnerSharesAnImageWithAnotherProjectWhichAcceptsItAndRejectsAnother() throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String owner = "owner-" + suffix;
    Api owners = member(owner);
    Api takers = member("taker-" + suffix);
    Api others = member("other-" + suffix);
    String taker = takers.get("/identity/v3/auth/projects").body().path("projects").get(0).path("id").asText();
    String other = others.get("/identity/v3/auth/projects").body().path("projects").get(0).path("id").asText();
    String image = owners.post("/image/v2/images", "{\"name\": \"golden-" + suffix
        + "\", \"disk_format\": \"raw\", \"container_format\": \"bare\", \"visibility\": \"shared\"}").body().path("id").asText();
    String refused = owners.post("/image/v2/images", "{\"name\": \"unwanted-" + suffix
        + "\", \"disk_format\": \"raw\", \"container_format\": \"bare\", \"visibility\": \"shared\"}").body().path("id").asText();
    assertEquals(200, owners.post("/image/v2/images/" + refused + "/members", "{\"member\": \"" + taker + "\"}").status());

    // the owner offers the image to two projects and takes one offer back, in the members dialog
    logIn(owner, "pw-" + owner);
    open("images");
    click(By.cssSelector("#images tr[data-id='" + image + "'] button[data-action=Members]"));
    waitFor(By.id("members-dialog"));
    for (String project : List.of(taker, other)) {
      type("member-project", project);
      click(By.id("member-add"));
      until(WAIT, d -> !d.findElements(By.cssSelector("#members tr[data-id='" + project + "']")).isEmpty());
    }
    assertEquals("pending", browser.findElement(By.cssSelector("#members tr[data-id='" + taker + "'] td.status")).getText());
    screenshot("image-members");
    confirm(By.cssSelector("#members tr[data-id='" + other + "'] button[data-action=Remove]"));
    until(WAIT, d -> d.findElements(By.cssSelector("#members tr[data-id='" + other + "']")).isEmpty());
    assertEquals(404, owners.get("/image/v2/images/" + image + "/members/" + other).status());
    assertEquals("pending", owners.get("/image/v2/images/" + image + "/members/" + taker).body().path("status").asText());
    click(By.id("members-close"));
    assertEquals(List.of(), violations());
    click(By.id("logout"));

    // the project it is offered to sees both offers, not in its list until it accepts; accepts one, rejects the other
    logIn("taker-" + suffix, "pw-taker-" + suffix);
    open("images");
    waitFor(By.cssSelector("#offered-images tr[data-id='" + image + "']"));
    waitFor(By.cssSelector("#offered-images tr[data-id='" + refused + "']"));
    assertTrue(browser.findElements(By.cssSelector("#images tr[data-id='" + image + "']")).isEmpty());
    click(By.cssSelector("#offered-images tr[data-id='" + image + "'] button[data-action=Accept]"));
    waitFor(By.cssSelector("#images tr[data-id='" + image + "']"));
    click(By.cssSelector("#offered-images tr[data-id='" + refused + "'] button[data-action=Reject]"));
    until(WAIT, d -> d.findElements(By.cssSelector("#offered-images tr[data-id]")).isEmpty());
    assertTrue(browser.findElements(By.cssSelector("#images tr[data-id='" + refused + "']")).isEmpty());
    screenshot("images-shared");
    assertEquals("accepted", owners.get("/image/v2/images/" + image + "/members/" + taker).body().path("status").asText());
    assertEquals("rejected", owners.get("/image/v2/images/" + refused + "/members/" + taker).body().path("status").asText());
    assertTrue(takers.get("/image/v2/images").raw().contains(image));
    assertTrue(!takers.get("/image/v2/images").raw().contains(refused));
    // a project it was taken back from sees it nowhere
    assertEquals(404, others.get("/image/v2/images/" + image).status());

    // an image offered while the page is open shows within a second of the offer (pushed), its HTML name as text
    String hostile = "<img src=x onerror=alert(1)>";
    String offered = owners.post("/image/v2/images", "{\"name\": \"" + hostile
        + "\", \"disk_format\": \"raw\", \"container_format\": \"bare\", \"visibility\": \"shared\"}").body().path("id").asText();
    assertEquals(200, owners.post("/image/v2/images/" + offered + "/members", "{\"member\": \"" + taker + "\"}").status());
    until(Duration.ofSeconds(1), d -> d.findElements(By.cssSelector("#offered-images tr[data-id='" + offered + "'] td.name"))
        .stream().anyMatch(cell -> cell.getText().equals(hostile)));
    assertTrue(browser.findElements(By.tagName("img")).isEmpty());
    assertEquals(List.of(), violations());
  }

  /**
   * A user with only the reader role on the project logs in: the instances, volumes, images and
   * networks pages list what a member's API answers, and they and the other pages that change
   * things offer no button or form; the API refuses the reader's stop. Ends logged out.
   */
  private void aReaderSeesTheProjectButCannotChangeIt(String member, String project, String server, String volume,
      String group) {
    Api memberApi = admin.as(member, "pw-" + member, member);
    String reader = "reader-" + member;
    String userId = admin.post("/identity/v3/users", "{\"user\": {\"name\": \"" + reader + "\", \"password\": \"pw-"
        + reader + "\", \"default_project_id\": \"" + project + "\"}}").body().path("user").path("id").asText();
    String role = admin.get("/identity/v3/roles?name=reader").body().path("roles").get(0).path("id").asText();
    assertEquals(204, admin.put("/identity/v3/projects/" + project + "/users/" + userId + "/roles/" + role).status());
    click(By.id("logout"));
    logIn(reader, "pw-" + reader);

    until(WAIT, d -> "ACTIVE".equals(statusOf(server)));
    assertTrue(!browser.findElement(By.id("nav")).getText().contains("null"), browser.findElement(By.id("nav")).getText());
    assertNothingToChange();
    open("volumes");
    until(WAIT, d -> "in-use".equals(volumeStatus(volume))
        && d.findElement(By.cssSelector("tr[data-id='" + volume + "'] td.attached")).getText().equals("grouped on /dev/vdb"));
    assertNothingToChange();
    open("images");
    until(WAIT, d -> idsOf(memberApi.get("/image/v2/images?limit=1000").body().path("images")).equals(shownIds("images")));
    assertNothingToChange();
    open("networks");
    until(WAIT, d -> idsOf(memberApi.get("/network/v2.0/networks").body().path("networks")).equals(shownIds("networks")));
    assertNothingToChange();
    open("server-groups");
    waitFor(By.cssSelector("#server-groups tr[data-id='" + group + "']"));
    assertNothingToChange();
    open("security-groups");
    waitFor(By.cssSelector("#security-groups section[data-id]"));
    assertNothingToChange();
    open("routers");
    waitFor(By.cssSelector("#routers tr"));
    assertNothingToChange();
    assertEquals(List.of(), violations());

    Api readerApi = admin.as(reader, "pw-" + reader, member);
    assertEquals(403, readerApi.action(server, "{\"os-stop\": null}"));
    assertEquals("ACTIVE", memberApi.server(server).path("status").asText());
    click(By.id("logout"));
    waitFor(By.id("login"));
  }

  /** The page says the role only reads, and has no button or form in it. */
  private void assertNothingToChange() {
    assertEquals(List.of(), browser.findElements(By.cssSelector("#main button, #main form, #main dialog")).stream()
        .map(e -> e.getTagName() + " " + e.getText()).toList());
    waitFor(By.id("read-only"));
  }

  /** The data-ids of the rows of tbody ID, sorted; null until it shows a row (or its notice that it has none). */
  private List<String> shownIds(String tbody) {
    var rows = browser.findElements(By.cssSelector("#" + tbody + " tr"));
    return rows.isEmpty() ? null : rows.stream().map(r -> r.getAttribute("data-id")).filter(i -> i != null).sorted().toList();
  }

  private static List<String> idsOf(com.fasterxml.jackson.databind.JsonNode list) {
    return java.util.stream.StreamSupport.stream(list.spliterator(), false).map(n -> n.path("id").asText()).sorted().toList();
  }

  private String volumeStatus(String id) {
    var cells = browser.findElements(By.cssSelector("#volumes tr[data-id='" + id + "'] td.status"));
    return cells.isEmpty() ? null : cells.get(0).getText();
  }
}
