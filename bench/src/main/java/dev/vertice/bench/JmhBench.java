package dev.vertice.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.util.Statistics;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code JmhBench} runs the gateway's JMH microbenchmarks (the routing decision; the cached
 * health check) in forked JVMs and reports them in the bench table / JSON format: the mean, and for
 * sampled benchmarks the p50/p99/p99.9 of every sampled call.
 */
@Command(name = "gateway-jmh", mixinStandardHelpOptions = true,
    description = "JMH: routing decision (snapshot read + balancer pick) and cached health-check latency.")
final class JmhBench implements Callable<Integer> {

  @Option(names = "--include", defaultValue = "RoutingJmh|HealthCheckJmh",
      description = "Regular expression of the benchmarks to run. Default: ${DEFAULT-VALUE}.")
  String include;

  @Option(names = "--forks", defaultValue = "2", description = "Forked JVMs per benchmark. Default: ${DEFAULT-VALUE}.")
  int forks;

  @Option(names = "--warmup-iterations", defaultValue = "3", description = "Default: ${DEFAULT-VALUE}.")
  int warmupIterations;

  @Option(names = "--iterations", defaultValue = "5", description = "Measured iterations. Default: ${DEFAULT-VALUE}.")
  int iterations;

  @Option(names = "--iteration-seconds", defaultValue = "2", description = "Default: ${DEFAULT-VALUE}.")
  int iterationSeconds;

  @Option(names = "--json", description = "One JSON object per benchmark on stdout (the table goes to stderr).")
  boolean json;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (forks < 0 || warmupIterations < 0 || iterations < 1 || iterationSeconds < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--forks and --warmup-iterations must not be negative, --iterations and --iteration-seconds positive");
    }
    ChainedOptionsBuilder o = new OptionsBuilder().include(include).forks(forks)
        .warmupIterations(warmupIterations).warmupTime(TimeValue.seconds(iterationSeconds))
        .measurementIterations(iterations).measurementTime(TimeValue.seconds(iterationSeconds))
        .jvmArgsAppend("-Xms512m", "-Xmx512m", "-XX:+UseG1GC");
    if (json) {
      // JMH's own progress goes to stderr with the table; stdout carries only the JSON lines.
      o.output("/dev/stderr");
    }
    Report report = new Report("gateway-jmh", json);
    for (RunResult r : new Runner(o.build()).run()) {
      Result<?> primary = r.getPrimaryResult();
      Statistics s = primary.getStatistics();
      String name = r.getParams().getBenchmark();
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("target", name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1));
      StringBuilder params = new StringBuilder();
      for (String k : r.getParams().getParamsKeys()) {
        params.append(params.length() == 0 ? "" : ",").append(k).append('=').append(r.getParams().getParam(k));
      }
      row.put("params", params.length() == 0 ? "-" : params.toString());
      row.put("mode", r.getParams().getMode().shortLabel());
      row.put("unit", primary.getScoreUnit());
      row.put("score", primary.getScore());
      row.put("error", Double.isNaN(primary.getScoreError()) ? 0.0 : primary.getScoreError());
      if (r.getParams().getMode() == org.openjdk.jmh.annotations.Mode.SampleTime) {
        row.put("p50", s.getPercentile(50));
        row.put("p99", s.getPercentile(99));
        row.put("p999", s.getPercentile(99.9));
        row.put("samples", s.getN());
      }
      report.add(row);
    }
    report.printTable();
    return 0;
  }

}
