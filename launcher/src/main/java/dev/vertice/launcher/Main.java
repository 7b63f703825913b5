package dev.vertice.launcher;

import dev.vertice.bench.BenchCommand;
import java.io.PrintWriter;
import java.util.Arrays;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code Main} is the {@code vertice} command: one entry point for every component and the CLI.
 *
 * <p>Exit codes: 0 success, 1 failure at run time, 2 invalid configuration (the message names the
 * setting).
 */
@Command(name = "vertice", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "Vertice: a push-based service registry and control plane.",
    subcommands = {DevCommand.class, ClusterCommand.class, ControlPlaneCommand.class, GatewayCommand.class, DemoCommand.class,
        CanaryCommand.class, ServicesCommand.class, InstancesCommand.class, WatchCommand.class,
        DeregisterCommand.class, SetHealthCommand.class, BenchCommand.class,
        CommandLine.HelpCommand.class})
public final class Main implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    ProcessDefaults.apply();
    System.exit(run(args));
  }

  /** Runs the command line and returns the exit code. */
  public static int run(String... args) {
    return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
  }

  /** Runs the command line with the given output streams and returns the exit code (for tests). */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    // The sidecar parses its own command line (SidecarFlags, not picocli): its arguments go to it as they are.
    if (args.length > 0 && args[0].equals("sidecar")) {
      return SidecarCommand.run(out, err, Arrays.copyOfRange(args, 1, args.length));
    }
    if (args.length > 1 && args[0].equals("help") && args[1].equals("sidecar")) {
      return SidecarCommand.run(out, err, "--help");
    }
    CommandLine cli = new CommandLine(new Main());
    // Listed with the others in the usage; run above.
    cli.addSubcommand("sidecar", CommandLine.Model.CommandSpec.create().name("sidecar")
        .usageMessage(new CommandLine.Model.UsageMessageSpec().description(SidecarFlags.SUMMARY)));
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    cli.setOut(out);
    cli.setErr(err);
    try {
      return cli.execute(args);
    } finally {
      // The writers flush by themselves on println only: whatever a command printed without a line end
      // would be lost at System.exit.
      out.flush();
      err.flush();
    }
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Returns the build's version, from the jar manifest. */
  public static String version() {
    return BuildInfo.version();
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"vertice " + BuildInfo.version()};
    }
  }
}
