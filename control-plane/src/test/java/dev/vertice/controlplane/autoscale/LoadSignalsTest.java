package dev.vertice.controlplane.autoscale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.stats.v1.VersionStats;
import dev.vertice.testkit.FakeClock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The signals on a fake clock: sums over reporters, staleness, activity watches and the caps. */
@Timeout(10)
class LoadSignalsTest {

  private static final long SECOND = 1_000_000_000L;

  private final FakeClock clock = new FakeClock();
  private LoadSignals signals = started(AutoscaleConfig.ofDefaults());

  private LoadSignals started(AutoscaleConfig config) {
    LoadSignals s = new LoadSignals(config, clock);
    s.start(clock.scheduler());
    return s;
  }

  @AfterEach
  void tearDown() {
    signals.close();
  }

  /** {@code requests} requests, {@code slow} of them above 100 ms, {@code errors} failed. */
  static VersionStats stats(String service, String version, long requests, long slow, long errors, long inFlight) {
    return VersionStats.newBuilder().setService(service).setVersion(version).setRequests(requests).setErrors(errors)
        .addAllLatencyBoundsSeconds(List.of(0.01, 0.1, 1.0))
        .addAllLatencyCounts(List.of(requests - slow, 0L, slow, 0L)).setInFlight(inFlight).build();
  }

  @Test
  void ratesAreEachReportersLatestBatchOverItsIntervalSummed() {
    signals.onReport("gw-1", SECOND, List.of(stats("orders", "v1", 100, 0, 0, 3), stats("orders", "v2", 50, 0, 5, 1)));
    signals.onReport("gw-2", SECOND / 2, List.of(stats("orders", "v1", 100, 0, 0, 0)));
    Signals all = signals.signals("orders", null);
    assertEquals(350, all.requestsPerSecond(), 1e-9, "100/1 s + 50/1 s + 100/0.5 s");
    assertEquals(4, all.inFlight());
    assertEquals(5.0 / 250, all.errorRate(), 1e-12);
    assertEquals(2, all.reporters());
    assertEquals(300, signals.signals("orders", "v1").requestsPerSecond(), 1e-9);
    assertEquals(50, signals.signals("orders", "v2").requestsPerSecond(), 1e-9);
    assertEquals(Signals.IDLE, signals.signals("payments", null));

    // A reporter's next batch replaces its previous one: the load followed within one interval.
    signals.onReport("gw-1", SECOND, List.of(stats("orders", "v1", 10, 0, 0, 0)));
    assertEquals(210, signals.signals("orders", null).requestsPerSecond(), 1e-9);
    assertEquals(0, signals.signals("orders", "v2").requestsPerSecond(), 1e-9);
  }

  @Test
  void p99ComesFromTheMergedHistograms() {
    // 2 % of the requests between 0.1 s and 1 s: the p99 lies in that bucket.
    signals.onReport("gw-1", SECOND, List.of(stats("orders", "v1", 100, 2, 0, 0)));
    signals.onReport("gw-2", SECOND, List.of(stats("orders", "v1", 100, 2, 0, 0)));
    double p99 = signals.signals("orders", null).p99Millis();
    assertTrue(p99 > 100 && p99 <= 1000, "p99 " + p99 + " ms in (100, 1000]");
    signals.onReport("gw-1", SECOND, List.of(stats("orders", "v1", 100, 0, 0, 0)));
    signals.onReport("gw-2", SECOND, List.of(stats("orders", "v1", 100, 0, 0, 0)));
    assertTrue(signals.signals("orders", null).p99Millis() <= 10);
  }

  @Test
  void aReporterThatStopsSendingCountsAsIdleAfterItsStaleIntervals() {
    List<Boolean> heard = new CopyOnWriteArrayList<>();
    LoadSignals.Watch w = signals.watch("orders", null, heard::add);
    assertEquals(List.of(false), heard, "the current activity at once");
    signals.onReport("gw-1", SECOND, List.of(stats("orders", "v1", 10, 0, 0, 0)));
    assertEquals(List.of(false, true), heard);
    signals.onReport("gw-1", SECOND, List.of(stats("orders", "v1", 20, 0, 0, 0)));
    assertEquals(List.of(false, true), heard, "no change, nothing heard");

    clock.forwardTime(Duration.ofMillis(2_900));
    assertTrue(signals.signals("orders", null).active(), "still within 3 intervals");
    clock.forwardTime(Duration.ofMillis(200));
    assertFalse(signals.signals("orders", null).active());
    assertEquals(List.of(false, true, false), heard, "the sweep told the watcher");
    assertEquals(0, signals.reporters());

    // Requests in flight alone keep a service active (long requests, none finished).
    signals.onReport("gw-1", SECOND, List.of(stats("orders", "v1", 0, 0, 0, 2)));
    assertEquals(List.of(false, true, false, true), heard);
    w.close();
    signals.onReport("gw-1", SECOND, List.of());
    assertEquals(4, heard.size(), "a closed watch hears nothing");
    assertEquals(0, signals.watchCount());
  }

  @Test
  void aVersionWatchFollowsThatVersionOnly() {
    List<Boolean> v2 = new CopyOnWriteArrayList<>();
    signals.watch("orders", "v2", v2::add);
    signals.onReport("gw-1", SECOND, List.of(stats("orders", "v1", 10, 0, 0, 0)));
    assertEquals(List.of(false), v2);
    signals.onReport("gw-1", SECOND, List.of(stats("orders", "v2", 10, 0, 0, 0)));
    assertEquals(List.of(false, true), v2);
  }

  @Test
  void reportersAndWatchesAreCapped() {
    signals.close();
    signals = started(AutoscaleConfig.custom().maxReporters(2).maxActivityStreams(1).build());
    signals.onReport("gw-1", SECOND, List.of(stats("orders", "v1", 10, 0, 0, 0)));
    signals.onReport("gw-2", SECOND, List.of(stats("orders", "v1", 10, 0, 0, 0)));
    signals.onReport("gw-3", SECOND, List.of(stats("orders", "v1", 10, 0, 0, 0)));
    assertEquals(20, signals.signals("orders", null).requestsPerSecond(), 1e-9);
    assertEquals(1, signals.droppedReports());
    signals.onReport("gw-1", SECOND, List.of(stats("orders", "v1", 30, 0, 0, 0)));
    assertEquals(40, signals.signals("orders", null).requestsPerSecond(), 1e-9, "a known reporter still counts");

    assertNotNull(signals.watch("orders", null, a -> {}));
    assertNull(signals.watch("orders", null, a -> {}), "beyond maxActivityStreams");
  }

  @Test
  void exportedRowsKeepTheBusiestServicesAndVersions() {
    signals.close();
    signals = started(AutoscaleConfig.custom().maxExportedServices(1).maxExportedVersions(1).build());
    List<List<LoadSignals.Row>> exported = new CopyOnWriteArrayList<>();
    signals.onExport(exported::add);
    signals.onReport("gw-1", SECOND, List.of(stats("orders", "v1", 10, 0, 0, 0), stats("orders", "v2", 30, 0, 0, 0),
        stats("payments", "v1", 5, 0, 0, 0)));
    clock.forwardTime(Duration.ofMillis(1_100));
    assertFalse(exported.isEmpty(), "exported after a change, within a second");
    List<LoadSignals.Row> rows = exported.get(exported.size() - 1);
    assertEquals(2, rows.size(), rows.toString());
    assertEquals("orders", rows.get(0).service());
    assertNull(rows.get(0).version());
    assertEquals(40, rows.get(0).signals().requestsPerSecond(), 1e-9);
    assertEquals("v2", rows.get(1).version());
  }

  @Test
  void configRejectsImpossibleValuesNamingTheSetting() {
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> AutoscaleConfig.custom().staleIntervals(0));
    assertTrue(e.getMessage().contains("staleIntervals") && e.getMessage().contains("0"), e.getMessage());
    e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> AutoscaleConfig.custom().sweepInterval(Duration.ofMillis(1)));
    assertTrue(e.getMessage().contains("sweepInterval"), e.getMessage());
    assertEquals(AutoscaleConfig.DEFAULT_MAX_REPORTERS,
        AutoscaleConfig.from(AutoscaleConfig.ofDefaults()).build().maxReporters());
  }
}
