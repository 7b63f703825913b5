package dev.vertice.chaos;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code ChaosCommand} is {@code ./vertice chaos}: the scenarios, one at a time, against a cluster under
 * load and churn, and the report. The {@code vertice} script runs it as its own entry point (this module
 * comes after the launcher).
 */
@Command(name = "chaos", mixinStandardHelpOptions = true,
    description = "Fault scenarios against a cluster up topology under load and registration churn, with an SLO"
        + " report.")
public final class ChaosCommand implements Callable<Integer> {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(new CommandLine(new ChaosCommand()).execute(args));
  }

  @Override
  public Integer call() {
    spec.commandLine().getErr().println("chaos: the runner is not written yet");
    return 1;
  }
}
