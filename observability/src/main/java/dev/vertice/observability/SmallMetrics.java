package dev.vertice.observability;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import java.util.regex.Pattern;

/**
 * {@code SmallMetrics} is a registry of a few meters that writes the Prometheus text exposition
 * format (version 0.0.4) itself: the sidecar's, whose footprint is measured in MiB (issue 17).
 * Micrometer's Prometheus registry, its JVM binders and their classes cost an idle sidecar about 4
 * MiB of RSS; this exports the same series under the same names without loading any of them.
 *
 * <p>It has counters, function counters, gauges and timers (histograms with fixed buckets, no
 * {@code _max}), and with {@link #withJvmMetrics()} the {@code jvm_*}, {@code process_*} and
 * {@code system_*} series the dashboards read (see {@link JvmMeters}). Families are written in the
 * order they were first registered. Thread-safe: meters are registered under a lock, updated
 * without one, and read at each scrape.
 */
public final class SmallMetrics implements Meters, MetricsSource {

  private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern LABEL = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

  /** By Prometheus family name; guarded by itself. */
  private final Map<String, Family> families = new LinkedHashMap<>();

  private SmallMetrics() {}

  /** Returns a registry with nothing bound (tests, embedded use). */
  public static SmallMetrics bare() {
    return new SmallMetrics();
  }

  /** Returns a registry with the JVM and process series bound. */
  public static SmallMetrics withJvmMetrics() {
    SmallMetrics metrics = new SmallMetrics();
    JvmMeters.bind(metrics);
    return metrics;
  }

  @Override
  public Counter counter(String name, String description, String... tags) {
    Child c = child(prometheus(name) + "_total", "counter", description, tags, CountingCounter::new);
    if (c instanceof CountingCounter counter) {
      return counter;
    }
    throw new IllegalArgumentException(name + " " + Arrays.toString(tags) + " is registered as a function counter");
  }

  @Override
  public <T> void functionCounter(String name, String description, T obj, ToDoubleFunction<T> count,
      String... tags) {
    Objects.requireNonNull(obj, "obj");
    Objects.requireNonNull(count, "count");
    child(prometheus(name) + "_total", "counter", description, tags, () -> new Read(() -> count.applyAsDouble(obj)));
  }

  @Override
  public void gauge(String name, String baseUnit, String description, DoubleSupplier value, String... tags) {
    Objects.requireNonNull(value, "value");
    String unit = baseUnit == null ? "" : "_" + baseUnit;
    child(prometheus(name) + unit, "gauge", description, tags, () -> new Read(value));
  }

  @Override
  public Timer timer(String name, String description, Duration[] buckets, String... tags) {
    long[] bounds = Arrays.stream(buckets).mapToLong(Duration::toNanos).toArray();
    for (int i = 1; i < bounds.length; i++) {
      if (bounds[i] <= bounds[i - 1]) {
        throw new IllegalArgumentException("buckets of " + name + " must increase: " + Arrays.toString(buckets));
      }
    }
    return (Histogram) child(prometheus(name) + "_seconds", "histogram", description, tags,
        () -> new Histogram(bounds));
  }

  /**
   * Registers a summary without quantiles ({@code NAME_UNIT_count} and {@code NAME_UNIT_sum}) read
   * at each scrape: the collectors' pause time, which the JVM keeps as totals.
   */
  void summary(String name, String baseUnit, String description, LongSupplier count, DoubleSupplier sum,
      String... tags) {
    child(prometheus(name) + "_" + baseUnit, "summary", description, tags, () -> new Summary(count, sum));
  }

  @Override
  public String scrape() {
    List<Family> snapshot;
    synchronized (families) {
      snapshot = new ArrayList<>(families.size());
      for (Family f : families.values()) {
        snapshot.add(f.copy());
      }
    }
    StringBuilder out = new StringBuilder(4096);
    for (Family f : snapshot) {
      out.append("# HELP ").append(f.name).append(' ').append(escapeHelp(f.help)).append('\n');
      out.append("# TYPE ").append(f.name).append(' ').append(f.type).append('\n');
      f.children.forEach((labels, child) -> child.write(f.name, labels, out));
    }
    return out.toString();
  }

  private Child child(String family, String type, String description, String[] tags, Supplier<Child> make) {
    if (!NAME.matcher(family).matches()) {
      throw new IllegalArgumentException("not a Prometheus metric name: " + family);
    }
    String labels = labels(tags);
    synchronized (families) {
      Family f = families.computeIfAbsent(family, n -> new Family(n, type, description == null ? "" : description));
      if (!f.type.equals(type)) {
        throw new IllegalArgumentException(family + " is registered as a " + f.type + ", not a " + type);
      }
      return f.children.computeIfAbsent(labels, l -> make.get());
    }
  }

  /** Turns Micrometer's dotted name into Prometheus's. */
  private static String prometheus(String name) {
    return Objects.requireNonNull(name, "name").replace('.', '_');
  }

  /** Returns {@code {k="v",...}} for key-value pairs, or "" for none. */
  private static String labels(String[] tags) {
    if (tags.length % 2 != 0) {
      throw new IllegalArgumentException("tags are key-value pairs: " + Arrays.toString(tags));
    }
    if (tags.length == 0) {
      return "";
    }
    StringBuilder b = new StringBuilder("{");
    for (int i = 0; i < tags.length; i += 2) {
      String key = tags[i];
      if (key == null || !LABEL.matcher(key).matches() || key.startsWith("__") || key.equals("le")) {
        throw new IllegalArgumentException("not a label name of ours: " + key);
      }
      b.append(i == 0 ? "" : ",").append(key).append("=\"")
          .append(escapeLabel(Objects.requireNonNull(tags[i + 1], key))).append('"');
    }
    return b.append('}').toString();
  }

  private static String escapeLabel(String v) {
    return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }

  private static String escapeHelp(String v) {
    return v.replace("\\", "\\\\").replace("\n", "\\n");
  }

  /** Writes a sample value as Prometheus reads it. */
  static String value(double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "+Inf" : "-Inf";
    }
    return Double.toString(v);
  }

  /** Labels {@code labels} with one more pair, {@code le}. */
  private static String withLe(String labels, String le) {
    return labels.isEmpty() ? "{le=\"" + le + "\"}"
        : labels.substring(0, labels.length() - 1) + ",le=\"" + le + "\"}";
  }

  private record Family(String name, String type, String help, Map<String, Child> children) {

    Family(String name, String type, String help) {
      this(name, type, help, new LinkedHashMap<>());
    }

    Family copy() {
      return new Family(name, type, help, new LinkedHashMap<>(children));
    }
  }

  /** One labelled series (or a histogram's or summary's several). */
  private interface Child {

    void write(String family, String labels, StringBuilder out);
  }

  private static final class CountingCounter implements Child, Counter {

    private final LongAdder count = new LongAdder();

    @Override
    public void increment() {
      count.increment();
    }

    @Override
    public void write(String family, String labels, StringBuilder out) {
      out.append(family).append(labels).append(' ').append(value(count.sum())).append('\n');
    }
  }

  /** A gauge, or a counter whose value is read; one that throws reads NaN (as Micrometer's do), the scrape goes on. */
  private record Read(DoubleSupplier read) implements Child {

    @Override
    public void write(String family, String labels, StringBuilder out) {
      double v;
      try {
        v = read.getAsDouble();
      } catch (RuntimeException e) {
        v = Double.NaN;
      }
      out.append(family).append(labels).append(' ').append(value(v)).append('\n');
    }
  }

  private record Summary(LongSupplier count, DoubleSupplier sum) implements Child {

    @Override
    public void write(String family, String labels, StringBuilder out) {
      out.append(family).append("_count").append(labels).append(' ').append(count.getAsLong()).append('\n');
      out.append(family).append("_sum").append(labels).append(' ').append(value(sum.getAsDouble())).append('\n');
    }
  }

  /** Counts per bucket (not cumulative; the last one above every bound) and the sum, in nanoseconds. */
  private static final class Histogram implements Child, Timer {

    private final long[] bounds;
    private final String[] les;
    private final AtomicLongArray counts;
    private final LongAdder sumNanos = new LongAdder();

    Histogram(long[] bounds) {
      this.bounds = bounds;
      this.les = new String[bounds.length];
      for (int i = 0; i < bounds.length; i++) {
        les[i] = Double.toString(bounds[i] / 1e9);
      }
      this.counts = new AtomicLongArray(bounds.length + 1);
    }

    @Override
    public void record(long nanos) {
      long n = Math.max(0, nanos);
      int i = 0;
      while (i < bounds.length && n > bounds[i]) {
        i++;
      }
      counts.incrementAndGet(i);
      sumNanos.add(n);
    }

    @Override
    public void write(String family, String labels, StringBuilder out) {
      long cumulative = 0;
      for (int i = 0; i <= bounds.length; i++) {
        cumulative += counts.get(i);
        out.append(family).append("_bucket").append(withLe(labels, i < bounds.length ? les[i] : "+Inf"))
            .append(' ').append(cumulative).append('\n');
      }
      // _count is the +Inf bucket, so the two agree even while a probe is being recorded.
      out.append(family).append("_count").append(labels).append(' ').append(cumulative).append('\n');
      out.append(family).append("_sum").append(labels).append(' ').append(value(sumNanos.sum() / 1e9)).append('\n');
    }
  }
}
