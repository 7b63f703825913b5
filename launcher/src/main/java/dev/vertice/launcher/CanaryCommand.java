package dev.vertice.launcher;

import com.google.protobuf.util.Durations;
import dev.vertice.api.canary.v1.AnalysisThresholds;
import dev.vertice.api.canary.v1.DeadlineAction;
import dev.vertice.api.canary.v1.Rollout;
import dev.vertice.api.canary.v1.RolloutSpec;
import dev.vertice.api.canary.v1.Strategy;
import dev.vertice.client.CanaryClient;
import dev.vertice.observability.Tracing;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code CanaryCommand} is {@code vertice canary}: start, follow and steer rollouts through the
 * control plane's CanaryService.
 *
 * <p>Exit codes: 0 success; 1 when the control plane refuses or cannot be reached; 2 for bad input,
 * naming the option (also when the server rejects a field: the message names the matching option).
 */
@Command(name = "canary", mixinStandardHelpOptions = true,
    resourceBundle = "dev.vertice.launcher.CliConnectionFlags$Texts",
    description = "Progressive delivery: start, follow and steer rollouts of a candidate version.",
    subcommands = {CanaryCommand.Start.class, CanaryCommand.StatusCmd.class, CanaryCommand.ListCmd.class,
        CanaryCommand.Promote.class, CanaryCommand.Rollback.class, CanaryCommand.Pause.class,
        CanaryCommand.Resume.class, CanaryCommand.Abort.class},
    footer = {"", "Exit codes: 0 success, 1 refused by the control plane or unreachable, 2 invalid input."})
public final class CanaryCommand implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Server field paths and the options that set them. */
  static final Map<String, String> FIELD_OPTIONS = Map.ofEntries(
      Map.entry("spec.service", "--service"),
      Map.entry("spec.stable_version", "--stable"),
      Map.entry("spec.candidate_version", "--candidate"),
      Map.entry("spec.strategy", "--strategy"),
      Map.entry("spec.stage_weights", "--stages"),
      Map.entry("spec.stage_duration", "--stage-duration"),
      Map.entry("spec.analysis_interval", "--analysis-interval"),
      Map.entry("spec.thresholds.max_error_rate", "--max-error-rate"),
      Map.entry("spec.thresholds.max_latency_ratio", "--max-latency-ratio"),
      Map.entry("spec.thresholds.min_requests", "--min-requests"),
      Map.entry("spec.thresholds.latency_margin", "--latency-margin"),
      Map.entry("spec.thresholds.latency_significance", "--latency-significance"),
      Map.entry("spec.failure_limit", "--failure-limit"),
      Map.entry("spec.progress_deadline", "--progress-deadline"),
      Map.entry("spec.deadline_action", "--on-deadline"),
      Map.entry("id", "ROLLOUT-ID"),
      Map.entry("reason", "--reason"),
      Map.entry("service", "--service"));

  /** Runs one call, turning gRPC errors into messages and exit codes. */
  abstract static class Call implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    CliConnectionFlags target;

    abstract int run(CanaryClient canary, PrintWriter out);

    @Override
    public final Integer call() {
      // Off unless the OTEL_* environment configures an exporter: then each call is a client span.
      Tracing tracing = Tracing.fromEnvironment("vertice-cli");
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      CanaryClient owner;
      try {
        String address = target.check(spec);
        owner = CanaryClient.connect(address, target.channelCredentials(spec), target.callCredentials(spec),
            tracing.clientInterceptors());
      } catch (RuntimeException e) {
        tracing.close();
        throw e;
      }
      try {
        return run(owner.withDeadline(target.timeout()), out);
      } catch (StatusRuntimeException e) {
        return CallFailures.report(e, err, target.controlPlane(), "CanaryService", CanaryCommand::option);
      } finally {
        // Output printed without a line end stays in the writer's buffer until flushed: without this,
        // `canary status` printed nothing once the JVM exited.
        out.flush();
        owner.close(); // the channel: the client with the deadline borrows it
        tracing.close(); // flushes the spans
      }
    }
  }

  /** Returns the option that sets request field {@code field} (a path such as {@code spec.stage_weights[2]}). */
  static String option(String field) {
    String f = field;
    while (true) {
      String o = FIELD_OPTIONS.get(f);
      if (o != null) {
        return o + (f.equals(field) ? "" : " (" + field + ")");
      }
      int cut = Math.max(f.lastIndexOf('.'), f.lastIndexOf('['));
      if (cut <= 0) {
        return field;
      }
      f = f.substring(0, cut);
    }
  }

  @Command(name = "start", mixinStandardHelpOptions = true, sortOptions = false,
      description = "Starts a rollout; prints its id and state.")
  static final class Start extends Call {
    @Option(names = "--service", required = true, description = "The service.")
    String service;

    @Option(names = "--stable", required = true, description = "Version label of the stable instances, e.g. v1.")
    String stable;

    @Option(names = "--candidate", required = true, description = "Version label of the candidate, e.g. v2.")
    String candidate;

    @Option(names = "--strategy", defaultValue = "canary",
        description = "canary (stages) or blue-green (0 -> 100 at once). Default: ${DEFAULT-VALUE}.")
    String strategy;

    @Option(names = "--stages", description = "Candidate weights per stage, e.g. 5,25,50,100 (the default).")
    String stages;

    @Option(names = "--stage-duration", converter = DurationConverter.class,
        description = "Least time in a stage before promotion (server default 60s).")
    Duration stageDuration;

    @Option(names = "--analysis-interval", converter = DurationConverter.class,
        description = "How often a stage is analysed (server default 10s).")
    Duration analysisInterval;

    @Option(names = "--max-error-rate", description = "Highest candidate error rate, 0-1 (default 0.05).")
    Double maxErrorRate;

    @Option(names = "--max-latency-ratio",
        description = "Highest candidate/stable p99 ratio, also the latency U test's effect size (default 1.5).")
    Double maxLatencyRatio;

    @Option(names = "--min-requests",
        description = "Fewest requests of each version in a stage window before the candidate is judged (default 100).")
    Long minRequests;

    @Option(names = "--latency-margin", converter = DurationConverter.class,
        description = "How far the candidate's p99 may exceed ratio x stable p99, 0ms-60s (default 5ms).")
    Duration latencyMargin;

    @Option(names = "--latency-significance",
        description = "Significance level of the latency Mann-Whitney U test, in (0, 0.5] (default 0.01).")
    Double latencySignificance;

    @Option(names = "--failure-limit", description = "Failed checks before a rollback (default 1).")
    Integer failureLimit;

    @Option(names = "--progress-deadline", converter = DurationConverter.class,
        description = "Longest time a stage may take (server default 10m).")
    Duration progressDeadline;

    @Option(names = "--on-deadline", description = "rollback (default) or hold, at the progress deadline.")
    String onDeadline;

    @Override
    int run(CanaryClient canary, PrintWriter out) {
      Rollout r = canary.create(spec());
      out.println("started " + r.getId());
      out.print(RolloutView.render(r, Clock.systemUTC().instant()));
      return 0;
    }

    RolloutSpec spec() {
      RolloutSpec.Builder b = RolloutSpec.newBuilder().setService(service).setStableVersion(stable)
          .setCandidateVersion(candidate);
      switch (strategy.strip().toLowerCase(java.util.Locale.ROOT)) {
        case "canary" -> b.setStrategy(Strategy.STRATEGY_CANARY);
        case "blue-green", "bluegreen", "blue/green" -> b.setStrategy(Strategy.STRATEGY_BLUE_GREEN);
        default -> throw bad("--strategy", "'" + strategy + "' is neither canary nor blue-green");
      }
      if (stages != null) {
        int previous = 0;
        for (String part : stages.split(",", -1)) {
          int w;
          try {
            w = Integer.parseInt(part.strip());
          } catch (NumberFormatException e) {
            throw bad("--stages", "'" + part + "' is not a whole number; give weights such as 5,25,50,100");
          }
          if (w < 1 || w > 100 || w <= previous) {
            throw bad("--stages", "weights must strictly increase within 1..100: " + stages);
          }
          b.addStageWeights(w);
          previous = w;
        }
        if (previous != 100) {
          throw bad("--stages", "the last stage must be 100: " + stages);
        }
      }
      if (stageDuration != null) {
        b.setStageDuration(positive("--stage-duration", stageDuration));
      }
      if (analysisInterval != null) {
        b.setAnalysisInterval(positive("--analysis-interval", analysisInterval));
      }
      if (progressDeadline != null) {
        b.setProgressDeadline(positive("--progress-deadline", progressDeadline));
      }
      AnalysisThresholds.Builder t = AnalysisThresholds.newBuilder();
      if (maxErrorRate != null) {
        if (!(maxErrorRate > 0 && maxErrorRate <= 1)) {
          throw bad("--max-error-rate", maxErrorRate + " is outside (0, 1]");
        }
        t.setMaxErrorRate(maxErrorRate);
      }
      if (maxLatencyRatio != null) {
        if (!(maxLatencyRatio > 0) || maxLatencyRatio.isInfinite()) {
          throw bad("--max-latency-ratio", maxLatencyRatio + " must be a positive number");
        }
        t.setMaxLatencyRatio(maxLatencyRatio);
      }
      if (minRequests != null) {
        if (minRequests < 1) {
          throw bad("--min-requests", minRequests + " must be at least 1");
        }
        t.setMinRequests(minRequests);
      }
      if (latencyMargin != null) {
        if (latencyMargin.compareTo(Duration.ofMinutes(1)) > 0) {
          throw bad("--latency-margin", DurationFormat.format(latencyMargin) + " is above 60s");
        }
        t.setLatencyMargin(Durations.fromMillis(latencyMargin.toMillis()));
      }
      if (latencySignificance != null) {
        if (!(latencySignificance > 0 && latencySignificance <= 0.5)) {
          throw bad("--latency-significance", latencySignificance + " is outside (0, 0.5]");
        }
        t.setLatencySignificance(latencySignificance);
      }
      b.setThresholds(t);
      if (failureLimit != null) {
        if (failureLimit < 1) {
          throw bad("--failure-limit", failureLimit + " must be at least 1");
        }
        b.setFailureLimit(failureLimit);
      }
      if (onDeadline != null) {
        switch (onDeadline.strip().toLowerCase(java.util.Locale.ROOT)) {
          case "rollback" -> b.setDeadlineAction(DeadlineAction.DEADLINE_ACTION_ROLLBACK);
          case "hold" -> b.setDeadlineAction(DeadlineAction.DEADLINE_ACTION_HOLD);
          default -> throw bad("--on-deadline", "'" + onDeadline + "' is neither rollback nor hold");
        }
      }
      return b.build();
    }

    private com.google.protobuf.Duration positive(String option, Duration d) {
      if (d.isZero()) {
        throw bad(option, "must be positive");
      }
      return Durations.fromMillis(d.toMillis());
    }

    private CommandLine.ParameterException bad(String option, String problem) {
      return new CommandLine.ParameterException(spec.commandLine(), "invalid " + option + ": " + problem);
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "Shows a rollout: stage, weights, both versions' requests, error rates and p99, what comes next.")
  static final class StatusCmd extends Call {
    @Parameters(paramLabel = "ROLLOUT-ID", description = "The rollout, e.g. shop-3.")
    String id;

    @Option(names = "--watch", description = "Keep showing each change until the rollout ends (Ctrl-C to stop).")
    boolean watch;

    @Override
    int run(CanaryClient canary, PrintWriter out) {
      if (!watch) {
        out.print(RolloutView.render(canary.get(id), Clock.systemUTC().instant()));
        return 0;
      }
      boolean terminal = System.console() != null;
      try (CanaryClient.RolloutWatch w = canary.watch(id)) {
        while (w.hasNext()) {
          Rollout r = w.next();
          if (terminal) {
            out.print("\033[H\033[2J"); // redraw in place on a terminal
          } else {
            out.println("---");
          }
          out.print(RolloutView.render(r, Clock.systemUTC().instant()));
          out.flush();
        }
      }
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists rollouts, newest first.")
  static final class ListCmd extends Call {
    @Option(names = "--service", description = "Only this service's rollouts.")
    String service;

    @Option(names = "--active", description = "Only rollouts not finished.")
    boolean active;

    @Override
    int run(CanaryClient canary, PrintWriter out) {
      List<Rollout> all = canary.list(service, active);
      if (all.isEmpty()) {
        out.println("no rollouts");
      }
      for (Rollout r : all) {
        out.println(RolloutView.line(r));
      }
      return 0;
    }
  }

  @Command(name = "promote", mixinStandardHelpOptions = true, description = "Moves a rollout to its next stage now.")
  static final class Promote extends Call {
    @Parameters(paramLabel = "ROLLOUT-ID", description = "The rollout.")
    String id;

    @Option(names = "--full", description = "Straight to 100 % and end the rollout.")
    boolean full;

    @Override
    int run(CanaryClient canary, PrintWriter out) {
      out.print(RolloutView.render(canary.promote(id, full), Clock.systemUTC().instant()));
      return 0;
    }
  }

  @Command(name = "rollback", mixinStandardHelpOptions = true, description = "Rolls a rollout back to stable.")
  static final class Rollback extends Call {
    @Parameters(paramLabel = "ROLLOUT-ID", description = "The rollout.")
    String id;

    @Option(names = "--reason", defaultValue = "", description = "Why, recorded with the decision.")
    String reason;

    @Override
    int run(CanaryClient canary, PrintWriter out) {
      out.print(RolloutView.render(canary.rollback(id, reason), Clock.systemUTC().instant()));
      return 0;
    }
  }

  @Command(name = "pause", mixinStandardHelpOptions = true, description = "Pauses a rollout: weights hold.")
  static final class Pause extends Call {
    @Parameters(paramLabel = "ROLLOUT-ID", description = "The rollout.")
    String id;

    @Override
    int run(CanaryClient canary, PrintWriter out) {
      out.print(RolloutView.render(canary.pause(id), Clock.systemUTC().instant()));
      return 0;
    }
  }

  @Command(name = "resume", mixinStandardHelpOptions = true, description = "Resumes a paused rollout.")
  static final class Resume extends Call {
    @Parameters(paramLabel = "ROLLOUT-ID", description = "The rollout.")
    String id;

    @Override
    int run(CanaryClient canary, PrintWriter out) {
      out.print(RolloutView.render(canary.resume(id), Clock.systemUTC().instant()));
      return 0;
    }
  }

  @Command(name = "abort", mixinStandardHelpOptions = true, description = "Stops a rollout: stable gets all traffic.")
  static final class Abort extends Call {
    @Parameters(paramLabel = "ROLLOUT-ID", description = "The rollout.")
    String id;

    @Override
    int run(CanaryClient canary, PrintWriter out) {
      out.print(RolloutView.render(canary.abort(id), Clock.systemUTC().instant()));
      return 0;
    }
  }
}
