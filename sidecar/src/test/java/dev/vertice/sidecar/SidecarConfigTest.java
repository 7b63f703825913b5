package dev.vertice.sidecar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SidecarConfigTest {

  @Test
  void defaultsFollowTheSeedAndKubernetesProbes() {
    SidecarConfig c = SidecarConfig.custom("OSINT_SERVICE", 8080).build();
    assertEquals("osint-service", c.service());
    assertEquals("127.0.0.1:8080", c.instanceId(), "stable across restarts");
    assertEquals(Duration.ofSeconds(60), c.ttl());
    assertEquals(Duration.ofSeconds(30), c.keepalive());
    assertEquals(Duration.ofSeconds(5), c.probeInterval());
    assertEquals(Duration.ofSeconds(1), c.probeTimeout());
    assertEquals(1, c.successThreshold());
    assertEquals(3, c.failureThreshold());
    assertEquals(Duration.ofSeconds(10), c.drainPeriod());
    assertEquals("/health", c.healthPath());
    assertEquals(List.of("localhost:7700"), c.controlPlane().addresses());
    assertEquals(15000, c.apiPort());
  }

  @Test
  void supervisionIsOffByDefaultAndItsDefaultsAreDocumented() {
    SidecarConfig c = SidecarConfig.ofDefaults("orders", 8080);
    assertEquals(List.of(), c.exec());
    assertEquals(Duration.ofSeconds(30), c.restartAfterUnhealthy(), "6 probe intervals");
    assertEquals(Duration.ofSeconds(1), c.restartBackoff().initialDelay());
    assertEquals(Duration.ofSeconds(30), c.restartBackoff().maxDelay());
    assertEquals(2.0, c.restartBackoff().multiplier());
    assertEquals(5, c.crashLoopRestarts());
    assertEquals(Duration.ofMinutes(5), c.crashLoopWindow());
    assertEquals(Duration.ofSeconds(10), c.appStopGrace());
    assertEquals(Duration.ofSeconds(60), c.appStartTimeout());
    SidecarConfig fast = SidecarConfig.from(c).probeInterval(Duration.ofMillis(200)).probeTimeout(Duration.ofMillis(100)).exec(List.of("app", "--x")).build();
    assertEquals(Duration.ofMillis(1200), fast.restartAfterUnhealthy(), "follows the probe interval unless set");
    SidecarConfig set = SidecarConfig.from(fast).restartAfterUnhealthy(Duration.ofSeconds(3)).build();
    assertEquals(Duration.ofSeconds(3), SidecarConfig.from(set).probeInterval(Duration.ofSeconds(1)).build()
        .restartAfterUnhealthy(), "a set value is kept by from()");
    assertEquals(List.of("app", "--x"), SidecarConfig.from(set).build().exec());
  }

  @Test
  void upstreamsAreNormalisedAndDeduplicated() {
    SidecarConfig c = SidecarConfig.custom("a", 1).upstreams(List.of("ORDERS", "orders", " ", "nmap_service")).build();
    assertEquals(List.of("orders", "nmap-service"), c.upstreams());
  }

  @Test
  void instanceHoldsWhatIsRegisteredAndFromCopiesEverySetting() {
    SidecarConfig c = SidecarConfig.custom("orders", 8080).version("v2").zone("eu").weight(7)
        .metadata(Map.of("team", "a")).ttl(Duration.ofSeconds(20)).keepalive(Duration.ofSeconds(5))
        .upstreams(List.of("stock")).build();
    assertEquals("orders", c.instance().service());
    assertEquals("127.0.0.1:8080", c.instance().instanceId());
    assertEquals("v2", c.instance().version());
    assertEquals(Map.of("team", "a"), c.instance().metadata());
    assertEquals(Duration.ofSeconds(5), c.instance().keepaliveInterval());
    SidecarConfig copy = SidecarConfig.from(c).build();
    assertEquals(c.toString(), copy.toString());
    assertEquals(c.instance(), copy.instance());
    assertEquals("127.0.0.1:8080", SidecarConfig.ofDefaults("orders", 8080).instanceId());
  }

  static Stream<Arguments> invalid() {
    return Stream.of(
        bad("service-name", b -> SidecarConfig.custom("no spaces allowed", 80)),
        bad("port", b -> SidecarConfig.custom("a", 0)),
        bad("address", b -> b.address(" ")),
        bad("instance-id", b -> b.instanceId("a/b")),
        bad("version", b -> b.version("")),
        bad("zone", b -> b.zone("eu west")),
        bad("weight", b -> b.weight(0)),
        bad("health-path", b -> b.healthPath("health")),
        bad("control-plane", b -> b.controlPlane("nohostport")),
        bad("upstreams", b -> b.upstreams(List.of("bad name"))),
        bad("probe-interval", b -> b.probeInterval(Duration.ZERO)),
        bad("probe-timeout", b -> b.probeTimeout(Duration.ofSeconds(6))),
        bad("success-threshold", b -> b.successThreshold(0)),
        bad("failure-threshold", b -> b.failureThreshold(101)),
        bad("ttl", b -> b.ttl(Duration.ofSeconds(-1))),
        bad("keepalive-interval", b -> b.keepalive(Duration.ofSeconds(60))),
        bad("drain-period", b -> b.drainPeriod(Duration.ofSeconds(-1))),
        bad("inflight-url", b -> b.inflightUrl(URI.create("ftp://x/"))),
        bad("api-port", b -> b.apiPort(70000)),
        bad("backoff-max", b -> b.backoffInitial(Duration.ofSeconds(2)).backoffMax(Duration.ofSeconds(1))),
        bad("metadata", b -> b.metadata(Map.of(" ", "x"))),
        bad("exec", b -> b.exec(List.of(" ", "x"))),
        bad("restart-after-unhealthy", b -> b.restartAfterUnhealthy(Duration.ZERO)),
        bad("restart-after-unhealthy", b -> b.restartAfterUnhealthy(Duration.ofSeconds(1))),
        bad("restart-backoff-initial", b -> b.restartBackoffInitial(Duration.ofSeconds(-1))),
        bad("restart-backoff-max", b -> b.restartBackoffInitial(Duration.ofSeconds(2))
            .restartBackoffMax(Duration.ofSeconds(1))),
        bad("crash-loop-restarts", b -> b.crashLoopRestarts(0)),
        bad("app-start-timeout", b -> b.appStartTimeout(Duration.ZERO)),
        bad("crash-loop-window", b -> b.crashLoopWindow(Duration.ZERO)),
        bad("app-stop-grace", b -> b.appStopGrace(Duration.ofSeconds(-1))));
  }

  private static Arguments bad(String setting, UnaryOperator<SidecarConfig.Builder> change) {
    return Arguments.of(setting, change);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalid")
  void invalidSettingIsNamed(String setting, UnaryOperator<SidecarConfig.Builder> change) {
    InvalidSettingException e = assertThrows(InvalidSettingException.class,
        () -> change.apply(SidecarConfig.custom("a", 80)).build());
    assertEquals(setting, e.setting(), e.getMessage());
  }
}
