package dev.vertice.chaos.faults;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code AlertCheck} says which alerts of a Prometheus rule file (monitoring/'s) would have fired
 * on a {@link MetricsRecorder.Recording}: it writes the recorded series as promtool input series
 * (one step per scrape round, {@code _} where a series was not scraped), asks {@code promtool test
 * rules} for no alert at every step, and reads the alerts promtool reports instead. A second pass
 * with every {@code for:} removed finds the alerts whose condition held, but for less than their
 * {@code for:} (a scenario lasts seconds; many rules wait minutes): they are reported apart.
 *
 * <p>Only series whose metric name appears in the rule file are written. Time in the evaluation
 * is the recording's: a rule over {@code rate(x[5m])} sees only what was recorded.
 */
public final class AlertCheck {

  /** The rule file, relative to the repository root. */
  public static final Path DEFAULT_RULES = Path.of("monitoring", "prometheus", "alerts", "vertice.yml");
  /** At most this many evaluation times are checked (evenly spaced over the recording). */
  static final int MAX_EVALUATIONS = 120;
  private static final long PROMTOOL_TIMEOUT_SECONDS = 120;
  private static final Pattern ALERT = Pattern.compile("^\\s*- alert:\\s*(\\S+)\\s*$", Pattern.MULTILINE);
  private static final Pattern FOR = Pattern.compile("^\\s+for:\\s*\\S+\\s*$", Pattern.MULTILINE);
  private static final Pattern WORD = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern FAILED = Pattern.compile("alertname: (\\S+), time: (\\S+?),");
  private static final Pattern LABELS = Pattern.compile("Labels:\\{(.*)}");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  private AlertCheck() {}

  /** {@code Fired} is one alert (by name and labels) and the first time into the recording it fired. */
  public record Fired(String alert, Map<String, String> labels, Duration at) {

    /** {@code Name{label=value,...} at +Ns}, without alertname and severity. */
    @Override
    public String toString() {
      StringBuilder b = new StringBuilder(alert);
      List<String> shown = new ArrayList<>();
      labels.forEach((k, v) -> {
        if (!k.equals("alertname") && !k.equals("severity")) {
          shown.add(k + "=" + v);
        }
      });
      if (!shown.isEmpty()) {
        b.append('{').append(String.join(",", shown)).append('}');
      }
      return b.append(" at +").append(at.toMillis() / 1000.0).append(" s").toString();
    }
  }

  /**
   * {@code Result} of one check: {@code evaluated} false (and {@code note} why) when promtool could
   * not run; {@code firing} the alerts that fired, {@code conditionOnly} those whose condition held
   * for less than their {@code for:}.
   */
  public record Result(boolean evaluated, String note, List<Fired> firing, List<Fired> conditionOnly) {

    /** The names of the alerts that fired, in order. */
    public List<String> firingNames() {
      return firing.stream().map(Fired::alert).distinct().toList();
    }

    /** One line for a report. */
    public String summary() {
      if (!evaluated) {
        return "not evaluated: " + note;
      }
      String s = firing.isEmpty() ? "none fired" : "fired: " + String.join(", ", firing.stream().map(Fired::toString).toList());
      if (!conditionOnly.isEmpty()) {
        s += "; condition held shorter than its for: " + String.join(", ",
            conditionOnly.stream().map(f -> f.alert).distinct().toList());
      }
      return s;
    }
  }

  /** {@code promtool} on the PATH (or in /usr/bin), if installed. */
  public static Optional<String> findPromtool() {
    List<String> dirs = new ArrayList<>(List.of("/usr/bin", "/usr/local/bin"));
    String path = System.getenv("PATH");
    if (path != null) {
      dirs.addAll(0, List.of(path.split(":")));
    }
    return dirs.stream().map(d -> Path.of(d, "promtool")).filter(Files::isExecutable).map(Path::toString).findFirst();
  }

  /**
   * {@code evaluate} runs promtool over {@code recording} with the rules of {@code rules}; never
   * throws for a missing promtool or rule file (the result says so).
   */
  public static Result evaluate(Path rules, MetricsRecorder.Recording recording) throws IOException {
    Optional<String> promtool = findPromtool();
    if (promtool.isEmpty()) {
      return new Result(false, "promtool is not installed (apt-get install prometheus)", List.of(), List.of());
    }
    if (!Files.isRegularFile(rules)) {
      return new Result(false, "no rule file at " + rules.toAbsolutePath(), List.of(), List.of());
    }
    if (recording.rounds() == 0) {
      return new Result(false, "nothing was scraped", List.of(), List.of());
    }
    String ruleText = Files.readString(rules, StandardCharsets.UTF_8);
    List<String> alerts = new ArrayList<>();
    Matcher m = ALERT.matcher(ruleText);
    while (m.find()) {
      alerts.add(m.group(1));
    }
    Set<String> names = new HashSet<>();
    Matcher w = WORD.matcher(ruleText);
    while (w.find()) {
      names.add(w.group());
    }
    Path dir = Files.createTempDirectory("vertice-alerts");
    try {
      Files.writeString(dir.resolve("rules.yml"), ruleText);
      Files.writeString(dir.resolve("rules-no-for.yml"), FOR.matcher(ruleText).replaceAll(""));
      Map<String, Fired> firing = run(promtool.get(), dir, "rules.yml", alerts, names, recording);
      Map<String, Fired> condition = run(promtool.get(), dir, "rules-no-for.yml", alerts, names, recording);
      firing.keySet().forEach(condition::remove);
      Comparator<Fired> order = Comparator.comparing(Fired::at).thenComparing(Fired::alert);
      return new Result(true, "", firing.values().stream().sorted(order).toList(),
          condition.values().stream().sorted(order).toList());
    } finally {
      try (Stream<Path> files = Files.list(dir)) {
        for (Path f : files.toList()) {
          Files.deleteIfExists(f);
        }
      }
      Files.deleteIfExists(dir);
    }
  }

  private static Map<String, Fired> run(String promtool, Path dir, String ruleFile, List<String> alerts,
      Set<String> names, MetricsRecorder.Recording rec) throws IOException {
    long stepMs = rec.interval().toMillis();
    StringBuilder t = new StringBuilder();
    t.append("rule_files: [").append(ruleFile).append("]\n");
    t.append("evaluation_interval: ").append(stepMs).append("ms\n");
    t.append("tests:\n- interval: ").append(stepMs).append("ms\n  input_series:\n");
    rec.series().forEach((key, values) -> {
      if (!names.contains(key.substring(0, key.indexOf('{')))) {
        return;
      }
      t.append("  - series: '").append(key.replace("'", "''")).append("'\n    values: '");
      for (int i = 0; i < rec.rounds(); i++) {
        Double v = values.get(i);
        t.append(i == 0 ? "" : " ").append(v == null ? "_" : format(v));
      }
      t.append("'\n");
    });
    t.append("  alert_rule_test:\n");
    int stride = Math.max(1, (rec.rounds() + MAX_EVALUATIONS - 1) / MAX_EVALUATIONS);
    for (int i = 0; i < rec.rounds(); i += stride) {
      for (String a : alerts) {
        t.append("  - {eval_time: ").append(i * stepMs).append("ms, alertname: ").append(a).append(", exp_alerts: []}\n");
      }
    }
    Path test = dir.resolve("test-" + ruleFile);
    Files.writeString(test, t);
    Path out = dir.resolve("out-" + ruleFile + ".txt");
    Process p = new ProcessBuilder(promtool, "test", "rules", test.getFileName().toString()).directory(dir.toFile())
        .redirectErrorStream(true).redirectOutput(out.toFile()).start();
    try {
      if (!p.waitFor(PROMTOOL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("promtool test rules did not end within " + PROMTOOL_TIMEOUT_SECONDS + " s");
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while promtool ran", e);
    }
    String output = Files.readString(out, StandardCharsets.UTF_8);
    if (p.exitValue() != 0 && !output.contains("FAILED")) {
      throw new IOException("promtool test rules failed: " + output.strip());
    }
    return parseFailures(output);
  }

  /** The alerts in promtool's failure report, each (name and labels) at the first time it appears. */
  static Map<String, Fired> parseFailures(String output) {
    Map<String, Fired> fired = new LinkedHashMap<>();
    String alert = null;
    Duration at = Duration.ZERO;
    for (String line : output.split("\n")) {
      Matcher f = FAILED.matcher(line);
      if (f.find()) {
        alert = f.group(1);
        at = parseDuration(f.group(2));
        continue;
      }
      Matcher l = LABELS.matcher(line);
      if (alert != null && l.find()) {
        Map<String, String> labels = new TreeMap<>();
        Matcher kv = LABEL.matcher(l.group(1));
        while (kv.find()) {
          labels.put(kv.group(1), kv.group(2).replace("\\\"", "\"").replace("\\\\", "\\"));
        }
        String key = alert + labels;
        Fired earlier = fired.get(key);
        if (earlier == null || at.compareTo(earlier.at()) < 0) {
          fired.put(key, new Fired(alert, labels, at));
        }
      }
    }
    return fired;
  }

  /** Parses Prometheus durations such as {@code 1m5s} or {@code 500ms}. */
  static Duration parseDuration(String text) {
    Matcher m = Pattern.compile("(\\d+)(ms|[smhdwy])").matcher(text);
    long ms = 0;
    while (m.find()) {
      long n = Long.parseLong(m.group(1));
      ms += switch (m.group(2)) {
        case "ms" -> n;
        case "s" -> n * 1_000;
        case "m" -> n * 60_000;
        case "h" -> n * 3_600_000;
        case "d" -> n * 86_400_000;
        case "w" -> n * 604_800_000;
        default -> n * 31_536_000_000L;
      };
    }
    return Duration.ofMillis(ms);
  }

  private static String format(double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "+Inf" : "-Inf";
    }
    return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
  }
}
