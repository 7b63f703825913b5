package dev.vertice.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.canary.Rollout;
import dev.vertice.canary.RolloutSpec;
import dev.vertice.canary.RolloutState;
import dev.vertice.client.WatchClient;
import dev.vertice.testkit.Await;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The console in a real browser: Debian's Chromium, headless, driven by chromedriver through
 * Selenium, against a real control plane. Every change is made on the server while the page stays
 * loaded; a marker set in the page before proves it was never reloaded.
 *
 * <p>The services page's screenshot is saved to {@code target/console-services.png}, or to the path in
 * the system property {@code console.screenshot} (how the README's picture is made).
 */
@Timeout(90)
class ConsoleBrowserTest {

  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final String CHROMIUM = "/usr/bin/chromium";
  private static final String CHROMEDRIVER = "/usr/bin/chromedriver";

  private ConsoleFixture fx;
  private WatchClient gateway;
  private ChromeDriverService driverService;
  private WebDriver browser;

  @BeforeEach
  void start() throws Exception {
    assertTrue(new File(CHROMIUM).canExecute() && new File(CHROMEDRIVER).canExecute(),
        "the browser tests need Debian's chromium and chromium-driver (scripts/test installs them)");
    Logger.getLogger("org.openqa.selenium").setLevel(Level.WARNING);
    fx = new ConsoleFixture(ConsoleConfig.ofDefaults(), null);
    gateway = WatchClient.builder().controlPlane("127.0.0.1:" + fx.server.port()).nodeId("gateway-eu-1")
        .nodeKind("gateway").zone("eu-1a").build();
    gateway.subscribeAll();
    driverService = new ChromeDriverService.Builder().usingDriverExecutable(new File(CHROMEDRIVER))
        .usingAnyFreePort().withSilent(true).build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM);
    options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
        "--window-size=1280,720", "--no-first-run", "--disable-extensions", "--disable-background-networking");
    browser = new ChromeDriver(driverService, options);
    browser.manage().timeouts().pageLoadTimeout(WAIT).scriptTimeout(WAIT);
  }

  @AfterEach
  void stop() {
    if (browser != null) {
      browser.quit();
    }
    if (driverService != null) {
      driverService.stop();
    }
    if (gateway != null) {
      gateway.close();
    }
    if (fx != null) {
      fx.close();
    }
  }

  private WebDriverWait waiting() {
    return new WebDriverWait(browser, WAIT, Duration.ofMillis(50));
  }

  // The pages redraw on every event: elements are read and clicked in one script, never held across redraws.
  private Object js(String script, Object... args) {
    return ((JavascriptExecutor) browser).executeScript(script, args);
  }

  private String read(String css, String attribute) {
    Object v = js("const e = document.querySelector(arguments[0]);"
        + " return e === null ? null : (arguments[1] ? e.getAttribute(arguments[1]) : e.textContent);", css, attribute);
    return v == null ? null : v.toString();
  }

  private String text(String css) {
    waiting().withMessage(() -> css + " never appeared").until(d -> read(css, null) != null);
    return read(css, null);
  }

  private void awaitText(String css, String expected) {
    waiting().withMessage(() -> css + " never read '" + expected + "' (last: " + read(css, null) + ")")
        .until(d -> expected.equals(read(css, null)));
  }

  private void awaitAttribute(String css, String attribute, String expected) {
    waiting().withMessage(() -> css + "[" + attribute + "] never became '" + expected + "' (last: "
        + read(css, attribute) + "; page: " + read("main", null) + "; status: " + read("#status", null) + ")")
        .until(d -> expected.equals(read(css, attribute)));
  }

  private void click(String css) {
    waiting().withMessage(() -> css + " never appeared to be clicked").until(d -> Boolean.TRUE.equals(
        js("const e = document.querySelector(arguments[0]); if (e === null) return false; e.click(); return true;",
            css)));
  }

  private Object marker() {
    return js("return window.__consoleTestMarker;");
  }

  @Test
  void pagesFollowTheRegistryAndRolloutsLiveAndRunAnAdminAction() throws Exception {
    fx.register("orders", "orders-v1-a", "v1", "eu-1a", HealthStatus.HEALTH_STATUS_SERVING);
    fx.register("orders", "orders-v1-b", "v1", "eu-1b", HealthStatus.HEALTH_STATUS_SERVING);
    fx.register("orders", "orders-v2-a", "v2", "eu-1a", HealthStatus.HEALTH_STATUS_SERVING);
    fx.register("payments", "payments-1", "v3", "eu-1b", HealthStatus.HEALTH_STATUS_SERVING);

    browser.get(fx.base() + "/ui/#/services");
    awaitText("#live", "live");
    assertEquals("3", text("tr[data-service='orders'] td.instances"));
    js("window.__consoleTestMarker = 'same page';");

    // A new instance: its row appears without reload, pushed through the server-sent events.
    fx.register("checkout", "checkout-1", "v1", "eu-1a", HealthStatus.HEALTH_STATUS_SERVING);
    awaitText("tr[data-service='checkout'] td.instances", "1");
    assertEquals("1 / 1", text("tr[data-service='checkout'] td.serving"));
    fx.register("inventory", "inventory-1", "v7", "eu-1c", HealthStatus.HEALTH_STATUS_NOT_SERVING);
    awaitText("tr[data-service='inventory'] td.serving", "0 / 1");
    Path shot = Path.of(System.getProperty("console.screenshot", "target/console-services.png"));
    Files.createDirectories(shot.toAbsolutePath().getParent());
    Files.write(shot, ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));

    // The service page: its instance turns NOT_SERVING as the store says so.
    click("tr[data-service='checkout'] a");
    awaitText("tr[data-instance='checkout-1'] td.health", "SERVING");
    fx.cp.store().setHealth("checkout", "checkout-1", HealthStatus.HEALTH_STATUS_NOT_SERVING);
    awaitText("tr[data-instance='checkout-1'] td.health", "NOT_SERVING");

    // A rollout: the weight bar moves as the controller promotes, and an admin pauses it from the page.
    Await.until("this control plane leads the canary", WAIT, () -> fx.cp.canary().leading());
    Rollout r = fx.cp.canary().create(RolloutSpec.draft().service("orders").stableVersion("v1")
        .candidateVersion("v2").stageDuration(Duration.ofMinutes(10)).analysisInterval(Duration.ofMinutes(5))
        .progressDeadline(Duration.ofHours(1)).validate().orThrow());
    click("[data-nav='rollouts']");
    String bar = "[data-rollout='" + r.id() + "'] .bar";
    awaitAttribute(bar, "data-candidate-weight", Integer.toString(r.candidateWeight()));
    Rollout promoted = fx.cp.canary().promote(r.id(), false);
    assertTrue(promoted.candidateWeight() > r.candidateWeight());
    awaitAttribute(bar, "data-candidate-weight", Integer.toString(promoted.candidateWeight()));
    String width = read(bar + " .candidate", "style");
    assertTrue(width.contains("width: " + promoted.candidateWeight() + "%"), width);

    click("[data-rollout='" + r.id() + "'] button[data-action='pause']");
    awaitAttribute("[data-rollout='" + r.id() + "']", "data-state", "PAUSED");
    assertEquals(RolloutState.PAUSED, fx.cp.canary().get(r.id()).orElseThrow().state());

    // The gateway watching, and the push engine's figures.
    click("[data-nav='nodes']");
    assertEquals("gateway", text("tr[data-node='gateway-eu-1'] td:nth-child(2)"));
    assertEquals("eu-1a", text("tr[data-node='gateway-eu-1'] td:nth-child(3)"));
    click("[data-nav='push']");
    assertTrue(text(".figures").contains("convergence p99"));

    assertEquals("same page", marker(), "the page was never reloaded");
  }
}
