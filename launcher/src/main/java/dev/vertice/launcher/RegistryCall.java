package dev.vertice.launcher;

import dev.vertice.api.discovery.v1.DiscoveryServiceGrpc;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.observability.Tracing;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code RegistryCall} is what the registry CLI commands ({@code services}, {@code instances},
 * {@code watch}, {@code deregister}, {@code set-health}) share: the connection flags of {@link
 * CliConnectionFlags}, {@code --json}, a channel opened and closed around the command, and the
 * server's refusals turned into messages and exit codes by {@link CallFailures}.
 *
 * <p>Exit codes: 0 success; 1 when the control plane refuses (NOT_FOUND, PERMISSION_DENIED...) or
 * cannot be reached, the message naming the status; 2 for a bad flag or argument, naming it.
 */
abstract class RegistryCall implements Callable<Integer> {

  /** The footer of every registry command's help. */
  static final String EXIT_CODES = "Exit codes: 0 success, 1 refused by the control plane (the status named) or"
      + " unreachable, 2 invalid input.";

  /** Request field names and the parameters that set them. */
  private static final Map<String, String> FIELD_PARAMETERS = Map.of(
      "service", "SERVICE",
      "instance_id", "INSTANCE",
      "health", "HEALTH",
      "subscribe", "SERVICE");

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Mixin
  CliConnectionFlags connection;

  @Option(names = "--json", description = "Print JSON (protobuf's JSON mapping of the API's messages) instead of text.")
  boolean json;

  /** The open connection while {@link #run} runs. */
  private CliConnectionFlags.Connection open;

  /**
   * {@code run} makes the command's calls and prints to {@code out}; a {@link
   * StatusRuntimeException} it throws is reported by {@link CallFailures}. Returns the exit code.
   */
  abstract int run(PrintWriter out, PrintWriter err);

  /** {@code grpcService} names the service the command calls, for "does not serve" messages. */
  String grpcService() {
    return "RegistryService";
  }

  @Override
  public final Integer call() {
    // Off unless the OTEL_* environment configures an exporter: then each call is a client span.
    Tracing tracing = Tracing.fromEnvironment("vertice-cli");
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      open = connection.open(spec, tracing.clientInterceptors());
    } catch (RuntimeException e) {
      tracing.close();
      throw e;
    }
    try {
      return run(out, err);
    } catch (StatusRuntimeException e) {
      return report(e, err);
    } finally {
      out.flush();
      open.close();
      tracing.close(); // flushes the spans
    }
  }

  /** {@code report} prints why {@code e} failed and returns the exit code. */
  int report(StatusRuntimeException e, PrintWriter err) {
    return CallFailures.report(e, err, connection.controlPlane(), grpcService(),
        f -> FIELD_PARAMETERS.getOrDefault(f.replaceFirst("\\[\\d+]$", ""), f));
  }

  /** {@code registry} returns a RegistryService stub whose call must end within {@code --timeout} from now. */
  RegistryServiceGrpc.RegistryServiceBlockingStub registry() {
    RegistryServiceGrpc.RegistryServiceBlockingStub stub = RegistryServiceGrpc.newBlockingStub(open.channel())
        .withDeadlineAfter(connection.timeout().toMillis(), TimeUnit.MILLISECONDS);
    return open.callCredentials() == null ? stub : stub.withCallCredentials(open.callCredentials());
  }

  /** {@code discovery} returns a DiscoveryService stub without a deadline: the caller bounds its streams. */
  DiscoveryServiceGrpc.DiscoveryServiceStub discovery() {
    DiscoveryServiceGrpc.DiscoveryServiceStub stub = DiscoveryServiceGrpc.newStub(open.channel());
    return open.callCredentials() == null ? stub : stub.withCallCredentials(open.callCredentials());
  }

  /** {@code bad} returns the exit-code-2 error of {@code what} (an option or parameter label) being wrong. */
  CommandLine.ParameterException bad(String what, String problem) {
    return new CommandLine.ParameterException(spec.commandLine(), "invalid " + what + ": " + problem);
  }

  /** {@code health} returns a health status as people write it: SERVING, NOT_SERVING... */
  static String health(HealthStatus h) {
    return h.name().replace("HEALTH_STATUS_", "");
  }

  /** {@code word} returns an enum constant's name without {@code prefix}, lower case: {@code PROTOCOL_GRPC} is grpc. */
  static String word(Enum<?> e, String prefix) {
    return e.name().replace(prefix, "").toLowerCase(Locale.ROOT);
  }
}
