package dev.vertice.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code BenchCommand} groups the benchmarks. Each prints a table on stdout, or with {@code --json}
 * one JSON object per run on stdout (the table then goes to stderr).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Benchmarks: push latency, registration throughput, memory, gateway proxy overhead. Not a test: numbers, not verdicts.",
    subcommands = {PushBench.class, RegisterBench.class, MemoryBench.class, GatewayBench.class, JmhBench.class,
        WatchersCommand.class,
        ObserverBench.class, BalancerBench.class})
public final class BenchCommand implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
