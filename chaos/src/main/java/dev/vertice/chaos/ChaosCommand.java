package dev.vertice.chaos;

import dev.vertice.launcher.DurationConverter;
import dev.vertice.launcher.Main;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ChaosCommand} is {@code ./vertice chaos}: the scenarios, one at a time, against a cluster under
 * load and churn, and the report. The {@code vertice} script runs it as its own entry point (this module
 * comes after the launcher, whose {@code cluster up} it runs in process when asked to start a cluster).
 */
@Command(name = "chaos", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Fault scenarios against a cluster up topology, one at a time, under open-loop load through both"
        + " gateways and registration churn, healing in between; reports each against its targets.",
    footer = {"", "Exit codes: 0 every target met, 1 a target missed (or the run failed), 2 invalid flags, or a partition or"
        + " link-fault scenario named where it cannot run (not root, no iptables, no cgroup v2)."})
public final class ChaosCommand implements Callable<Integer> {

  @Parameters(arity = "0..*", paramLabel = "SCENARIO",
      description = "Scenarios to run, in order ('all' for every one; default: the profile's). --list shows them.")
  List<String> names = new ArrayList<>();

  @Option(names = "--profile", defaultValue = "${env:VERTICE_CHAOS_PROFILE:-full}",
      description = "full (every scenario, full durations) or short (3 scenarios, short"
          + " faults; what the test suite runs). Default: ${DEFAULT-VALUE}.")
  String profile;

  @Option(names = "--dir", defaultValue = "${env:VERTICE_CLUSTER_DIR:-.run/cluster}",
      description = "The cluster's run directory (as cluster up --dir). Default: ${DEFAULT-VALUE}.")
  Path dir;

  @Option(names = "--start", description = "Start a cluster in --dir first (and stop it at the end unless --keep)"
      + " when none runs there.")
  boolean start;

  @Option(names = "--keep", description = "Leave a cluster that --start started running at the end.")
  boolean keep;

  @Option(names = "--rate",
      description = "Requests per second to each gateway, open loop (default " + ChaosSettings.DEFAULT_RATE_PER_GATEWAY
          + "; short profile " + ChaosSettings.SHORT_RATE_PER_GATEWAY + ").")
  Integer rate;

  @Option(names = "--churn-rate",
      description = "Registration writes per second: register, renew, deregister, abandon (default "
          + ChaosSettings.DEFAULT_CHURN_RATE + "; short profile " + ChaosSettings.SHORT_CHURN_RATE + ").")
  Integer churnRate;

  @Option(names = "--fault-duration", converter = DurationConverter.class,
      description = "How long a killed process stays down (default 10s; short profile 3s).")
  Duration faultDuration;

  @Option(names = "--replica-stop", converter = DurationConverter.class,
      description = "How long a control-plane replica stays SIGSTOPped (default 15s; short profile 4s).")
  Duration replicaStop;

  @Option(names = "--settle", converter = DurationConverter.class,
      description = "Load before the first fault and quiet time after each heal (default 5s; short profile 2s).")
  Duration settle;

  @Option(names = "--json", description = "The report as JSON on stdout (the timeline goes to stderr).")
  boolean json;

  @Option(names = "--list", description = "List the scenarios and exit.")
  boolean list;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  /** Scenarios that take a victim: theirs start before the load, in parallel. */
  private static final List<String> VICTIM_SCENARIOS = List.of("kill-instance-with-sidecar", "kill-app-keep-sidecar",
      "restart-everything", "outlier-recovery");

  public static void main(String[] args) {
    CommandLine cli = new CommandLine(new ChaosCommand());
    System.exit(cli.execute(args));
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Map<String, Scenario> all = Scenarios.all();
    if (list) {
      all.values().forEach(s -> out.printf("%-30s %s%n", s.name(), s.description()));
      out.flush();
      return 0;
    }
    ChaosSettings settings = settings();
    List<Scenario> chosen = new ArrayList<>();
    List<String> wanted = names.isEmpty() ? (profile.equals("short") ? Scenarios.SHORT : List.of("all")) : names;
    for (String n : wanted) {
      if (n.equals("all")) {
        chosen.addAll(all.values());
      } else if (all.containsKey(n)) {
        chosen.add(all.get(n));
      } else {
        throw new CommandLine.ParameterException(spec.commandLine(), "invalid SCENARIO: no scenario '" + n
            + "' (--list shows them; 'all' runs every one)");
      }
    }
    Optional<String> refusal = FaultScenarios.refusal(names);
    if (refusal.isPresent()) {
      err.println("chaos: cannot run " + refusal.get());
      err.flush();
      return 2;
    }
    if (chosen.stream().anyMatch(s -> FaultScenarios.needsNetfilter(s.name()))) {
      FaultScenarios.removeLeftovers().ifPresent(err::println);
    }
    Path d = dir.toAbsolutePath();
    boolean started = false;
    if (!Files.exists(d.resolve(ClusterHandle.STATE))) {
      if (!start) {
        err.println("no cluster runs from " + d + ": ./vertice cluster up --dir " + dir + " first, or add --start");
        return 1;
      }
      err.println("chaos: starting a cluster in " + d + " ...");
      StringWriter upOut = new StringWriter();
      int code = Main.run(new PrintWriter(upOut, true), new PrintWriter(upOut, true), "cluster", "up", "--dir",
          d.toString(), "--services", ChaosRunner.SERVICE, "--candidates", "none");
      if (code != 0) {
        err.println("chaos: cluster up failed:\n" + upOut);
        return 1;
      }
      started = true;
      err.print(upOut);
    }
    ClusterHandle cluster;
    try {
      cluster = ClusterHandle.open(d);
    } catch (IOException e) {
      err.println("chaos: " + e.getMessage());
      stopCluster(started && !keep, d, err);
      return 1;
    }
    FaultLog log = new FaultLog(json ? err : out);
    ChaosRunner runner = new ChaosRunner(cluster, settings, log, System.getProperty("java.class.path"));
    boolean stopAtEnd = started && !keep;
    Thread hook = new Thread(() -> {
      runner.stop();
      runner.close();
      stopCluster(stopAtEnd, d, err);
    }, "chaos-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    List<ScenarioResult> results = new ArrayList<>();
    try {
      long victims = chosen.stream().filter(s -> VICTIM_SCENARIOS.contains(s.name())).count();
      runner.prepareVictims((int) victims);
      runner.start();
      for (Scenario s : chosen) {
        results.add(runner.run(s));
      }
    } finally {
      runner.close();
      stopCluster(stopAtEnd, d, err);
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // shutting down already: the hook runs
      }
    }
    if (json) {
      out.print(ChaosReport.json(results, settings, log.lines()));
    } else {
      out.print(ChaosReport.table(results, settings));
    }
    out.flush();
    return results.stream().allMatch(ScenarioResult::passed) ? 0 : 1;
  }

  private ChaosSettings settings() {
    ChaosSettings base;
    switch (profile) {
      case "full" -> base = ChaosSettings.ofDefaults();
      case "short" -> base = ChaosSettings.shortProfile();
      default -> throw new CommandLine.ParameterException(spec.commandLine(), "invalid --profile: '" + profile
          + "' (full or short)");
    }
    ChaosSettings.Builder b = ChaosSettings.from(base);
    if (rate != null) {
      apply("--rate", () -> b.ratePerGateway(rate));
    }
    if (churnRate != null) {
      apply("--churn-rate", () -> b.churnRate(churnRate));
    }
    if (faultDuration != null) {
      apply("--fault-duration", () -> b.faultDuration(faultDuration));
    }
    if (replicaStop != null) {
      apply("--replica-stop", () -> b.replicaStop(replicaStop));
    }
    if (settle != null) {
      apply("--settle", () -> b.settle(settle));
    }
    return b.build();
  }

  private void apply(String flag, Runnable r) {
    try {
      r.run();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "invalid " + flag + ": " + e.getMessage());
    }
  }

  private static synchronized void stopCluster(boolean stop, Path d, PrintWriter err) {
    if (!stop || !Files.exists(d.resolve(ClusterHandle.STATE))) {
      return;
    }
    StringWriter w = new StringWriter();
    Main.run(new PrintWriter(w, true), new PrintWriter(w, true), "cluster", "down", "--dir", d.toString());
    err.print(w);
    err.flush();
  }
}
