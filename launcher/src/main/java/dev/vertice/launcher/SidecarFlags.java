package dev.vertice.launcher;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code SidecarFlags} is the sidecar command's command line: every flag with its environment variable
 * ({@code --probe-interval} and {@code VERTICE_PROBE_INTERVAL}), its default and its help, and the
 * parser that reads them (a flag wins over its variable, the variable over the default).
 *
 * <p>It is not picocli, which the launcher's other commands use: a sidecar is a small process beside
 * every app, and picocli's command model cost it 2.9 MiB of its RSS (issue 17). The syntax is picocli's
 * as far as the sidecar uses it: {@code --flag value} or {@code --flag=value}, each flag once, {@code
 * -h}/{@code --help}, and {@code --exec} taking every argument after it.
 */
final class SidecarFlags {

  /** A flag: its name, its default when neither the flag nor its variable is given (null: none), its help. */
  record Flag(String name, String defaultValue, String description) {

    /** Returns the flag's environment variable: {@code --some-flag} is {@code VERTICE_SOME_FLAG}. */
    String env() {
      return envOf(name);
    }
  }

  /** The flag that takes the rest of the command line as the app's, and has no environment variable. */
  static final String EXEC = "--exec";

  /** The command's first sentence, which {@code vertice --help} lists. */
  static final String SUMMARY = "Registers an app with the control plane without a line of code in the app.";

  static final String DESCRIPTION = "Registers an app with the control plane without a line of code in the app:"
      + " keeps its lease alive, probes its health (HTTP GET or grpc.health.v1) and pushes every change at once,"
      + " drains it on SIGTERM (DRAINING, wait, deregister), and serves the app the pushed endpoints of its"
      + " upstreams on a local port: GET /v1/endpoints/{service}. With --exec (last) it also starts the app and"
      + " restarts it when it exits or stops answering its probe.";

  private static final String EXEC_DESCRIPTION = "Starts the app as a child process and supervises it: every"
      + " argument after --exec is the app's command line (put --exec last). The sidecar restarts the app when"
      + " it exits or fails its probe for --restart-after-unhealthy, with backoff, up to the crash-loop limit;"
      + " on SIGTERM it drains, then stops the app (SIGTERM, SIGKILL after --app-stop-grace). No environment"
      + " variable. Default: none (the app runs on its own).";

  static final List<Flag> FLAGS = List.of(
      new Flag("--service-name", null,
          "Service the app belongs to; OSINT_SERVICE style names normalise to osint-service"
          + " (VERTICE_SERVICE_NAME). Required."),
      new Flag("--address", "127.0.0.1",
          "Address the app is reached at, registered and probed (VERTICE_ADDRESS). Default: ${DEFAULT-VALUE}."),
      new Flag("--port", null,
          "The app's port (VERTICE_PORT). Required."),
      new Flag("--protocol", "http",
          "http or grpc: how the app is probed and registered (VERTICE_PROTOCOL). Default: ${DEFAULT-VALUE}."),
      new Flag("--instance-id", "",
          "Instance id (VERTICE_INSTANCE_ID). Default: address:port, stable across restarts."),
      new Flag("--version", "v1",
          "Version label, for canary subsets (VERTICE_VERSION). Default: ${DEFAULT-VALUE}."),
      new Flag("--zone", "",
          "Zone or locality (VERTICE_ZONE). Default: none."),
      new Flag("--weight", "100",
          "Load-balancing weight, 1-10000 (VERTICE_WEIGHT). Default: ${DEFAULT-VALUE}."),
      new Flag("--metadata", "",
          "Labels as key=value pairs separated by commas (VERTICE_METADATA). Default: none."),
      new Flag("--health-path", "/health",
          "Path probed with HTTP GET; 200-399 is healthy (VERTICE_HEALTH_PATH). Default: ${DEFAULT-VALUE}."),
      new Flag("--grpc-health-service", "",
          "Service name sent in grpc.health.v1 Check for a grpc app; empty asks about the whole"
          + " server (VERTICE_GRPC_HEALTH_SERVICE). Default: empty."),
      new Flag("--control-plane", "localhost:7700", ControlPlaneAddressFlag.DESCRIPTION),
      new Flag("--upstreams", "",
          "Services the app calls, separated by commas: their endpoints are pushed to the sidecar and"
          + " served on the local API (VERTICE_UPSTREAMS). Default: none."),
      new Flag("--probe-interval", "5s",
          "Time between probes (VERTICE_PROBE_INTERVAL). Default: ${DEFAULT-VALUE}."),
      new Flag("--probe-timeout", "1s",
          "Time one probe may take; longer counts as a failure (VERTICE_PROBE_TIMEOUT). Default: ${DEFAULT-VALUE}."),
      new Flag("--success-threshold", "1",
          "Consecutive successes that make an unhealthy app SERVING (VERTICE_SUCCESS_THRESHOLD)."
          + " Default: ${DEFAULT-VALUE}."),
      new Flag("--failure-threshold", "3",
          "Consecutive failures that make a healthy app NOT_SERVING (VERTICE_FAILURE_THRESHOLD)."
          + " Default: ${DEFAULT-VALUE}."),
      new Flag("--ttl", "60s",
          "Lease TTL asked for (VERTICE_TTL). Default: ${DEFAULT-VALUE}."),
      new Flag("--keepalive-interval", "30s",
          "Interval of lease keepalives; shorter than the TTL (VERTICE_KEEPALIVE_INTERVAL)."
          + " Default: ${DEFAULT-VALUE}."),
      new Flag("--drain-period", "10s",
          "Longest wait between DRAINING and deregistration on SIGTERM (VERTICE_DRAIN_PERIOD)."
          + " Default: ${DEFAULT-VALUE}."),
      new Flag("--inflight-url", "",
          "Optional app endpoint reporting its requests in flight (HTTP GET answering N or"
          + " {\"inflight\":N}); the drain ends early once it reads 0 (VERTICE_INFLIGHT_URL). Default: none."),
      new Flag("--drain-settle", "1s",
          "Time after DRAINING before the in-flight count may end the drain: gateways receive the push"
          + " and requests already routed arrive (VERTICE_DRAIN_SETTLE). Default: ${DEFAULT-VALUE}."),
      new Flag("--api-host", "127.0.0.1",
          "Address of the local API for the app (VERTICE_API_HOST). Default: ${DEFAULT-VALUE}."),
      new Flag("--api-port", "15000",
          "Port of the local API; 0 picks a free one (VERTICE_API_PORT). Default: ${DEFAULT-VALUE}."),
      // The admin port is for Prometheus and orchestrator probes, which come from other hosts or
      // containers: unlike the local API (the app's, on the loopback) it listens on every interface by
      // default, as the gateway's and the control plane's admin ports do. It serves read-only
      // metrics and readiness only.
      new Flag("--admin-host", "0.0.0.0",
          "Address the admin port listens on; 127.0.0.1 keeps it local (VERTICE_ADMIN_HOST)."
          + " Default: ${DEFAULT-VALUE} (every interface, so that Prometheus can scrape it)."),
      new Flag("--admin-port", "9702",
          "Admin HTTP port serving /metrics (Prometheus) and /healthz (200 while registered); 0 picks"
          + " a free one, -1 turns it off (VERTICE_ADMIN_PORT). Default: ${DEFAULT-VALUE}."),
      new Flag("--call-timeout", "5s",
          "Deadline of each call to the control plane (VERTICE_CALL_TIMEOUT). Default: ${DEFAULT-VALUE}."),
      new Flag("--backoff-initial", "100ms",
          "First retry delay while the control plane is unreachable, growing x1.6 with ±20% jitter"
          + " (VERTICE_BACKOFF_INITIAL). Default: ${DEFAULT-VALUE}."),
      new Flag("--backoff-max", "5s",
          "Longest retry delay while the control plane is unreachable (VERTICE_BACKOFF_MAX)."
          + " Default: ${DEFAULT-VALUE}."),
      // TLS (issue 9): the local API and admin port, then the control-plane connection.
      new Flag("--tls-cert", "",
          "PEM certificate chain of the local API and the admin port; with --tls-key they serve HTTPS,"
          + " reloaded when the file changes (VERTICE_TLS_CERT). Default: none (plain HTTP, with a warning)."),
      new Flag("--tls-key", "",
          "PKCS#8 PEM private key of --tls-cert (VERTICE_TLS_KEY). Default: none."),
      new Flag("--tls-client-ca", "",
          "PEM CA bundle that the app's client certificates are verified against on the local API"
          + " (mutual TLS) (VERTICE_TLS_CLIENT_CA). Default: none."),
      new Flag("--tls-client-auth", "",
          "none, optional or require: whether the local API asks for client certificates"
          + " (VERTICE_TLS_CLIENT_AUTH). Default: require with --tls-client-ca, else none."),
      new Flag("--tls-refresh", "30s",
          "How often the certificate, key and CA files (listener and control plane) are checked for"
          + " changes (VERTICE_TLS_REFRESH). Default: ${DEFAULT-VALUE}."),
      new Flag("--control-plane-ca", "", ControlPlaneTlsFlags.CA_DESCRIPTION),
      new Flag("--control-plane-cert", "", ControlPlaneTlsFlags.CERT_DESCRIPTION),
      new Flag("--control-plane-key", "", ControlPlaneTlsFlags.KEY_DESCRIPTION),
      new Flag("--control-plane-token-file", "", ControlPlaneTlsFlags.TOKEN_FILE_DESCRIPTION),
      // Supervision of the app (issue 19, R10); --exec itself is parsed apart (EXEC).
      new Flag("--restart-after-unhealthy", "",
          "With --exec: how long the app may go without a good probe after its last one before it is"
          + " stopped and restarted; at least --probe-interval (VERTICE_RESTART_AFTER_UNHEALTHY)."
          + " Default: 6 probe intervals (30s at the default interval)."),
      new Flag("--app-start-timeout", "60s",
          "With --exec: time the app has after each start to answer its first good probe before it is"
          + " stopped and restarted (VERTICE_APP_START_TIMEOUT). Default: ${DEFAULT-VALUE}."),
      new Flag("--restart-backoff-initial", "1s",
          "With --exec: delay before the first restart, doubling with ±20% jitter after each one and"
          + " starting over once the app stayed healthy for a crash-loop window (VERTICE_RESTART_BACKOFF_INITIAL)."
          + " Default: ${DEFAULT-VALUE}."),
      new Flag("--restart-backoff-max", "30s",
          "With --exec: longest delay before a restart (VERTICE_RESTART_BACKOFF_MAX). Default: ${DEFAULT-VALUE}."),
      new Flag("--crash-loop-restarts", "5",
          "With --exec: restarts within --crash-loop-window after which the app stays down (crash loop:"
          + " NOT_SERVING, /healthz 503, vertice_sidecar_app_crash_loop 1) (VERTICE_CRASH_LOOP_RESTARTS)."
          + " Default: ${DEFAULT-VALUE}."),
      new Flag("--crash-loop-window", "5m",
          "With --exec: the window in which restarts are counted (VERTICE_CRASH_LOOP_WINDOW)."
          + " Default: ${DEFAULT-VALUE}."),
      new Flag("--app-stop-grace", "10s",
          "With --exec: time between SIGTERM and SIGKILL when the app is stopped, after a drain or for"
          + " failing its probe (VERTICE_APP_STOP_GRACE). Default: ${DEFAULT-VALUE}."));

  private static final Map<String, Flag> BY_NAME = new HashMap<>();

  static {
    for (Flag f : FLAGS) {
      BY_NAME.put(f.name(), f);
    }
  }

  /** A command line that is not valid: the message says which flag and why. */
  static final class InvalidFlagException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    InvalidFlagException(String message) {
      super(message);
    }
  }

  /** What a command line says: each flag's value (flag, else variable, else default), the app's command. */
  static final class Parsed {
    private final Map<String, String> values;
    private final List<String> exec;
    private final boolean help;

    private Parsed(Map<String, String> values, List<String> exec, boolean help) {
      this.values = values;
      this.exec = exec;
      this.help = help;
    }

    /** Returns whether help was asked for. */
    boolean help() {
      return help;
    }

    /** Returns the app's command line after {@code --exec}, empty without it. */
    List<String> exec() {
      return exec;
    }

    /** Returns {@code flag}'s value, null when it has none. */
    String string(String flag) {
      if (!BY_NAME.containsKey(flag)) {
        throw new IllegalArgumentException("no flag " + flag);
      }
      return values.get(flag);
    }

    /** Returns {@code flag}'s whole number, null when it has none; another value is an invalid flag. */
    Integer integer(String flag) {
      String v = string(flag);
      if (v == null) {
        return null;
      }
      try {
        return Integer.parseInt(v.strip());
      } catch (NumberFormatException e) {
        throw invalid(flag, "'" + v + "' is not a whole number");
      }
    }

    /** Returns {@code flag}'s duration ({@link DurationFormat}); another value is an invalid flag. */
    Duration duration(String flag) {
      String v = string(flag);
      try {
        return DurationFormat.parse(v);
      } catch (IllegalArgumentException e) {
        throw invalid(flag, e.getMessage());
      }
    }
  }

  private SidecarFlags() {
  }

  /** Returns the environment variable of {@code --some-flag}: VERTICE_SOME_FLAG. */
  static String envOf(String flag) {
    String name = flag.replaceFirst("^--", "").replace('-', '_').toUpperCase(Locale.ROOT);
    return "VERTICE_" + name;
  }

  /** Returns the error of {@code flag}'s value: {@code invalid --port (VERTICE_PORT): problem}. */
  static InvalidFlagException invalid(String flag, String problem) {
    String env = flag.equals(EXEC) ? "" : " (" + envOf(flag) + ")";
    return new InvalidFlagException("invalid " + flag + env + ": " + problem);
  }

  /**
   * Parses {@code args}, the variables in {@code env} filling what no flag gives.
   *
   * @throws InvalidFlagException for an unknown flag or argument, a flag given twice or without its value
   */
  static Parsed parse(List<String> args, Map<String, String> env) {
    Map<String, String> given = new LinkedHashMap<>();
    List<String> exec = List.of();
    boolean help = false;
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (arg.equals("-h") || arg.equals("--help")) {
        help = true;
        continue;
      }
      if (arg.equals(EXEC)) {
        List<String> command = new ArrayList<>(args.subList(i + 1, args.size()));
        if (!command.isEmpty() && command.get(0).equals("--")) {
          command.remove(0);
        }
        if (command.isEmpty()) {
          throw invalid(EXEC, "the app's command line is missing (put it after --exec)");
        }
        exec = List.copyOf(command);
        break;
      }
      int eq = arg.indexOf('=');
      String name = arg.startsWith("--") && eq > 0 ? arg.substring(0, eq) : arg;
      if (!BY_NAME.containsKey(name)) {
        throw new InvalidFlagException(arg.startsWith("-") ? "unknown flag '" + name + "'"
            : "unexpected argument '" + arg + "' (every setting is a --flag)");
      }
      String value;
      if (eq > 0 && arg.startsWith("--")) {
        value = arg.substring(eq + 1);
      } else if (i + 1 < args.size() && !isFlag(args.get(i + 1))) {
        value = args.get(++i);
      } else {
        throw new InvalidFlagException("missing value of " + name + " (" + envOf(name) + ")");
      }
      if (given.put(name, value) != null) {
        throw new InvalidFlagException(name + " is given twice");
      }
    }
    Map<String, String> values = new HashMap<>();
    for (Flag f : FLAGS) {
      String v = given.get(f.name());
      if (v == null) {
        v = env.get(f.env());
      }
      values.put(f.name(), v != null ? v : f.defaultValue());
    }
    return new Parsed(values, exec, help);
  }

  /** Returns whether {@code arg} is a flag rather than a value (so "-1" and "-" are values). */
  private static boolean isFlag(String arg) {
    int eq = arg.indexOf('=');
    String name = eq > 0 ? arg.substring(0, eq) : arg;
    return BY_NAME.containsKey(name) || name.equals(EXEC) || name.equals("-h") || name.equals("--help");
  }

  /** Prints the help: usage, description, every flag with its variable and default. */
  static void printHelp(PrintWriter out) {
    out.println("Usage: vertice sidecar [--FLAG=VALUE]... [--exec CMD...]");
    wrap(out, "", DESCRIPTION);
    wrap(out, "", "Every option can also be set with the environment variable shown; flags win.");
    out.println();
    out.println("  -h, --help");
    wrap(out, "        ", "Shows this help and exits.");
    for (Flag f : FLAGS) {
      out.println("  " + f.name() + "=<" + f.name().substring(2) + ">");
      String d = f.description().replace("${DEFAULT-VALUE}", f.defaultValue() == null ? "" : f.defaultValue());
      wrap(out, "        ", d);
    }
    out.println("  " + EXEC + " CMD...");
    wrap(out, "        ", EXEC_DESCRIPTION);
    out.println();
    out.println("Durations are whole numbers with ms, s, m or h (e.g. 500ms, 30s, 5m).");
    out.println("Exit codes: 0 after a clean drain, 1 on a run-time failure, 2 on invalid configuration.");
    out.flush();
  }

  /** Prints {@code text} in lines of at most 100 characters, each after {@code indent}. */
  private static void wrap(PrintWriter out, String indent, String text) {
    StringBuilder line = new StringBuilder(indent);
    for (String word : text.split(" ")) {
      if (line.length() > indent.length() && line.length() + 1 + word.length() > 100) {
        out.println(line);
        line.setLength(0);
        line.append(indent);
      }
      if (line.length() > indent.length()) {
        line.append(' ');
      }
      line.append(word);
    }
    out.println(line);
  }
}
