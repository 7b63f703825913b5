package dev.vertice.chaos.faults;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code MetricsRecorder} scrapes Prometheus {@code /metrics} endpoints at a fixed interval, as
 * Prometheus would, and keeps every sample: one value per series and scrape round, labelled with
 * the target's {@code job} and {@code instance}, plus {@code up} (1 when the scrape answered 200
 * within the timeout, else 0). {@link AlertCheck} turns a recording into promtool input series.
 *
 * <p>Thread-safe: scrapes run on its own thread; readers take a copy.
 */
public final class MetricsRecorder implements AutoCloseable {

  /** Default time between scrape rounds. */
  public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(1);
  /** Longest series count kept (beyond it new series are ignored, counted in {@link #droppedSeries()}). */
  public static final int MAX_SERIES = 50_000;
  /** Each scrape's timeout is the interval, or this when the interval is shorter. */
  public static final Duration MIN_TIMEOUT = Duration.ofSeconds(1);

  /** {@code Target} is one endpoint to scrape; {@code job} as in monitoring/prometheus/prometheus.yml. */
  public record Target(String job, String instance, URI url) {}

  private final List<Target> targets;
  private final Duration interval;
  private final Duration timeout;
  private final HttpClient http;
  private final ScheduledExecutorService scheduler;
  private final Map<String, Map<Integer, Double>> series = new LinkedHashMap<>(); // guarded by this
  private int rounds; // guarded by this
  private long droppedSeries; // guarded by this

  private MetricsRecorder(List<Target> targets, Duration interval) {
    if (interval.toMillis() < 100) {
      throw new IllegalArgumentException("scrape interval must be at least 100ms: " + interval);
    }
    this.targets = List.copyOf(targets);
    this.interval = interval;
    this.timeout = interval.compareTo(MIN_TIMEOUT) < 0 ? MIN_TIMEOUT : interval;
    this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout).build();
    this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "metrics-recorder");
      t.setDaemon(true);
      return t;
    });
  }

  /** {@code start} scrapes {@code targets} now and every {@code interval} until {@link #close()}. */
  public static MetricsRecorder start(List<Target> targets, Duration interval) {
    MetricsRecorder r = new MetricsRecorder(targets, interval);
    r.scheduler.scheduleAtFixedRate(r::scrapeRound, 0, interval.toNanos(), TimeUnit.NANOSECONDS);
    return r;
  }

  /** {@code recording} returns what was scraped so far, round by round. */
  public synchronized Recording recording() {
    Map<String, Map<Integer, Double>> copy = new LinkedHashMap<>();
    series.forEach((k, v) -> copy.put(k, Map.copyOf(v)));
    return new Recording(interval, rounds, copy);
  }

  /** Series not kept because {@value #MAX_SERIES} were already. */
  public synchronized long droppedSeries() {
    return droppedSeries;
  }

  /** Stops scraping (a round in progress ends first, for at most the interval). */
  @Override
  public void close() {
    scheduler.shutdown();
    try {
      scheduler.awaitTermination(interval.toMillis() * 3, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    scheduler.shutdownNow();
  }

  /**
   * {@code Recording} is a finished set of scrape rounds: for each series (as promtool writes it,
   * {@code name{label="value",...}}), its value per round; rounds are {@code interval} apart.
   */
  public record Recording(Duration interval, int rounds, Map<String, Map<Integer, Double>> series) {

    /** The value of {@code key} in {@code round}, if scraped. */
    public Optional<Double> value(String key, int round) {
      return Optional.ofNullable(series.getOrDefault(key, Map.of()).get(round));
    }
  }

  private void scrapeRound() {
    List<Map.Entry<String, Double>> samples = new ArrayList<>();
    // Every target at once, as Prometheus does: one slow target does not delay the others.
    List<CompletableFuture<HttpResponse<String>>> pending = new ArrayList<>();
    for (Target t : targets) {
      pending.add(http.sendAsync(HttpRequest.newBuilder(t.url()).timeout(timeout).build(),
          HttpResponse.BodyHandlers.ofString()));
    }
    for (int i = 0; i < targets.size(); i++) {
      Target t = targets.get(i);
      String body = null;
      try {
        HttpResponse<String> r = pending.get(i).get(timeout.toMillis() + 500, TimeUnit.MILLISECONDS);
        if (r.statusCode() == 200) {
          body = r.body();
        }
      } catch (ExecutionException | TimeoutException e) {
        pending.get(i).cancel(true); // down: up = 0
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      samples.add(Map.entry(key("up", List.of(), t), body == null ? 0.0 : 1.0));
      if (body != null) {
        for (Sample s : parse(body)) {
          samples.add(Map.entry(key(s.name(), s.labels(), t), s.value()));
        }
      }
    }
    synchronized (this) {
      int round = rounds++;
      for (Map.Entry<String, Double> e : samples) {
        Map<Integer, Double> values = series.get(e.getKey());
        if (values == null) {
          if (series.size() >= MAX_SERIES) {
            droppedSeries++;
            continue;
          }
          values = new LinkedHashMap<>();
          series.put(e.getKey(), values);
        }
        values.put(round, e.getValue());
      }
    }
  }

  /** One sample of the text exposition format. */
  record Sample(String name, List<String[]> labels, double value) {}

  private static String key(String name, List<String[]> labels, Target t) {
    StringBuilder b = new StringBuilder(name).append("{job=\"").append(escape(t.job())).append("\",instance=\"")
        .append(escape(t.instance())).append('"');
    for (String[] l : labels) {
      if (!l[0].equals("job") && !l[0].equals("instance")) {
        b.append(',').append(l[0]).append("=\"").append(escape(l[1])).append('"');
      }
    }
    return b.append('}').toString();
  }

  private static String escape(String v) {
    return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }

  /** Parses the Prometheus text format (comments skipped, label values unescaped, timestamps ignored). */
  static List<Sample> parse(String body) {
    List<Sample> out = new ArrayList<>();
    for (String line : body.split("\n")) {
      line = line.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int i = 0;
      while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') {
        i++;
      }
      String name = line.substring(0, i);
      List<String[]> labels = new ArrayList<>();
      if (i < line.length() && line.charAt(i) == '{') {
        i++;
        while (i < line.length() && line.charAt(i) != '}') {
          int eq = line.indexOf('=', i);
          if (eq < 0) {
            break;
          }
          String label = line.substring(i, eq).strip();
          i = eq + 2; // past ="
          StringBuilder v = new StringBuilder();
          while (i < line.length() && line.charAt(i) != '"') {
            char c = line.charAt(i);
            if (c == '\\' && i + 1 < line.length()) {
              char n = line.charAt(++i);
              v.append(n == 'n' ? '\n' : n);
            } else {
              v.append(c);
            }
            i++;
          }
          labels.add(new String[] {label, v.toString()});
          i++; // past the closing quote
          while (i < line.length() && (line.charAt(i) == ',' || line.charAt(i) == ' ')) {
            i++;
          }
        }
        i++; // past }
      }
      String[] rest = line.substring(Math.min(i, line.length())).strip().split("\\s+");
      if (name.isEmpty() || rest.length == 0 || rest[0].isEmpty()) {
        continue;
      }
      try {
        out.add(new Sample(name, labels, parseValue(rest[0])));
      } catch (NumberFormatException e) {
        // not a sample line
      }
    }
    return out;
  }

  private static double parseValue(String v) {
    return switch (v) {
      case "+Inf", "Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      case "NaN" -> Double.NaN;
      default -> Double.parseDouble(v);
    };
  }
}
