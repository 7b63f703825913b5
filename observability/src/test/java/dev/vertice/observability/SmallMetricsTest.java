package dev.vertice.observability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class SmallMetricsTest {

  private static final Duration[] BUCKETS = {Duration.ofMillis(1), Duration.ofMillis(10), Duration.ofMillis(2500)};

  @Test
  void countersGaugesAndFunctionCountersAreWrittenOnceEachUnderTheirFamily() {
    SmallMetrics m = SmallMetrics.bare();
    Meters.Counter ok = m.counter("vertice.sidecar.probes", "Health probes", "result", "success");
    m.counter("vertice.sidecar.probes", "Health probes", "result", "failure");
    ok.increment();
    ok.increment();
    assertSame(ok, m.counter("vertice.sidecar.probes", "Health probes", "result", "success"),
        "the same name and tags give the first counter");
    AtomicLong responses = new AtomicLong(7);
    m.functionCounter("vertice.watch.responses", "Watch responses received", responses, AtomicLong::get);
    m.gauge("vertice.watch.staleness", "seconds", "How out of date", () -> 1.5);

    assertEquals("""
        # HELP vertice_sidecar_probes_total Health probes
        # TYPE vertice_sidecar_probes_total counter
        vertice_sidecar_probes_total{result="success"} 2.0
        vertice_sidecar_probes_total{result="failure"} 0.0
        # HELP vertice_watch_responses_total Watch responses received
        # TYPE vertice_watch_responses_total counter
        vertice_watch_responses_total 7.0
        # HELP vertice_watch_staleness_seconds How out of date
        # TYPE vertice_watch_staleness_seconds gauge
        vertice_watch_staleness_seconds 1.5
        """, m.scrape());
    responses.set(9);
    assertTrue(m.scrape().contains("vertice_watch_responses_total 9.0\n"), "read at each scrape");
  }

  @Test
  void aTimerIsAHistogramWithCumulativeBucketsInSeconds() {
    SmallMetrics m = SmallMetrics.bare();
    Meters.Timer t = m.timer("vertice.sidecar.probe", "Time of each probe", BUCKETS, "kind", "http");
    t.record(Duration.ofMillis(1).toNanos()); // on a bound: counted in it
    t.record(Duration.ofMillis(3).toNanos());
    t.record(Duration.ofSeconds(30).toNanos()); // above every bound
    t.record(-5); // a clock that stepped back counts as 0

    assertEquals("""
        # HELP vertice_sidecar_probe_seconds Time of each probe
        # TYPE vertice_sidecar_probe_seconds histogram
        vertice_sidecar_probe_seconds_bucket{kind="http",le="0.001"} 2
        vertice_sidecar_probe_seconds_bucket{kind="http",le="0.01"} 3
        vertice_sidecar_probe_seconds_bucket{kind="http",le="2.5"} 3
        vertice_sidecar_probe_seconds_bucket{kind="http",le="+Inf"} 4
        vertice_sidecar_probe_seconds_count{kind="http"} 4
        vertice_sidecar_probe_seconds_sum{kind="http"} 30.004
        """, m.scrape());
  }

  @Test
  void labelValuesAndHelpAreEscapedAndSpecialValuesSpelledAsPrometheusReadsThem() {
    SmallMetrics m = SmallMetrics.bare();
    m.gauge("odd", null, "back\\slash\nnewline", () -> Double.NaN, "id", "a\"b\\c\nd");
    m.gauge("up.high", null, "", () -> Double.POSITIVE_INFINITY);
    m.gauge("down.low", null, "", () -> Double.NEGATIVE_INFINITY);
    String text = m.scrape();
    assertTrue(text.contains("# HELP odd back\\\\slash\\nnewline\n"), text);
    assertTrue(text.contains("odd{id=\"a\\\"b\\\\c\\nd\"} NaN\n"), text);
    assertTrue(text.contains("up_high +Inf\n") && text.contains("down_low -Inf\n"), text);
  }

  @Test
  void aGaugeThatThrowsReadsNaNAndTheRestOfTheScrapeIsWritten() {
    SmallMetrics m = SmallMetrics.bare();
    m.gauge("broken", null, "throws", () -> {
      throw new IllegalStateException("the bean went away");
    });
    m.gauge("fine", null, "reads", () -> 2);
    String text = m.scrape();
    assertTrue(text.contains("\nbroken NaN\n") && text.contains("\nfine 2.0\n"), text);
  }

  @Test
  void badNamesTagsAndBucketsAreRefusedAndRegisterNothing() {
    SmallMetrics m = SmallMetrics.bare();
    m.counter("vertice.ok", "fine");
    String before = m.scrape();
    assertThrows(IllegalArgumentException.class, () -> m.counter("vertice.bad-name", "dash"));
    assertThrows(IllegalArgumentException.class, () -> m.counter("vertice.odd", "odd tags", "result"));
    assertThrows(IllegalArgumentException.class, () -> m.counter("vertice.label", "bad label", "bad-key", "v"));
    assertThrows(IllegalArgumentException.class, () -> m.counter("vertice.reserved", "reserved", "__name__", "v"));
    assertThrows(IllegalArgumentException.class, () -> m.timer("vertice.le", "le is the buckets'", BUCKETS, "le", "1"));
    assertThrows(IllegalArgumentException.class, () -> m.timer("vertice.unsorted", "unsorted",
        new Duration[] {Duration.ofSeconds(2), Duration.ofSeconds(1)}));
    assertThrows(IllegalArgumentException.class, () -> m.gauge("vertice.ok.total", null, "a counter's name", () -> 1));
    m.functionCounter("vertice.read", "read", new AtomicLong(), AtomicLong::get);
    assertThrows(IllegalArgumentException.class, () -> m.counter("vertice.read", "now counted"),
        "a function counter is not a counter to increment");
    assertEquals(before + """
        # HELP vertice_read_total read
        # TYPE vertice_read_total counter
        vertice_read_total 0.0
        """, m.scrape(), "nothing but the one good meter was registered");
  }

  /** The sidecar's meters go to either registry: both must export the same series, labels included. */
  @Test
  void theSameMetersExportTheSameSeriesAsMicrometersPrometheusRegistry() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    SmallMetrics small = SmallMetrics.bare();
    for (Meters meters : List.of(Meters.of(registry), small)) {
      meters.counter("vertice.sidecar.probes", "Health probes", "result", "success").increment();
      meters.functionCounter("vertice.watch.nacks", "NACKs", this, x -> 3);
      meters.gauge("vertice.watch.staleness", "seconds", "How out of date", () -> 0.5);
      meters.gauge("vertice.sidecar.registered", null, "Registered", () -> 1);
      meters.timer("vertice.sidecar.probe", "Time of each probe", BUCKETS).record(2_000_000);
    }
    assertEquals(series(registry.scrape()), series(small.scrape()));
    registry.close();
  }

  @Test
  void theJvmSeriesAreThereWithMicrometersNamesAndLabels() {
    System.gc(); // so that each collector has a pause to count
    String text = SmallMetrics.withJvmMetrics().scrape();
    for (String line : List.of("jvm_memory_used_bytes{area=\"heap\",id=",
        "jvm_memory_committed_bytes{area=\"nonheap\",id=", "jvm_gc_pause_seconds_count{gc=",
        "jvm_gc_pause_seconds_sum{gc=", "jvm_threads_live_threads ",
        "jvm_classes_loaded_classes ", "process_cpu_usage ", "process_files_open_files ", "process_start_time_seconds ",
        "process_uptime_seconds ", "system_cpu_count ")) {
      assertTrue(text.contains("\n" + line), "no " + line + " in\n" + text);
    }
    Matcher threads = Pattern.compile("\njvm_threads_live_threads (\\S+)\n").matcher(text);
    assertTrue(threads.find() && Double.parseDouble(threads.group(1)) >= 1, text);
  }

  /** Each sample's name and labels, without values; Micrometer's {@code _max} gauges left out. */
  private static Set<String> series(String exposition) {
    Set<String> out = new TreeSet<>();
    for (String line : exposition.split("\n")) {
      if (!line.isBlank() && !line.startsWith("#") && !line.contains("_max")) {
        out.add(line.substring(0, line.lastIndexOf(' ')));
      }
    }
    return out;
  }
}
