package dev.vertice.launcher;

import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.SetHealthRequest;
import dev.vertice.api.registry.v1.SetHealthResponse;
import dev.vertice.common.JsonStrings;
import java.io.PrintWriter;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code SetHealthCommand} is {@code vertice set-health SERVICE INSTANCE HEALTH}: changes one
 * instance's health (RegistryService.SetHealth); watchers receive the change, and routers send
 * traffic only to SERVING instances. An unknown service or instance is NOT_FOUND: exit code 1.
 */
@Command(name = "set-health", mixinStandardHelpOptions = true, sortOptions = false,
    resourceBundle = "dev.vertice.launcher.CliConnectionFlags$Texts",
    description = {"Sets one instance's health: routers send traffic to SERVING instances only.",
        "A sidecar probing the instance sets its health again when its probe result changes."},
    footer = {"", "With --json: {\"service\", \"instanceId\", \"health\", \"resourceVersion\"} on one line.", "",
        RegistryCall.EXIT_CODES})
public final class SetHealthCommand extends RegistryCall {

  @Parameters(index = "0", paramLabel = "SERVICE", description = "The service.")
  String service;

  @Parameters(index = "1", paramLabel = "INSTANCE", description = "The instance id (see vertice instances SERVICE).")
  String instance;

  @Parameters(index = "2", paramLabel = "HEALTH", description = "serving, not-serving, draining or unknown.")
  String health;

  @Override
  int run(PrintWriter out, PrintWriter err) {
    HealthStatus h = parse(health);
    SetHealthResponse r = registry().setHealth(SetHealthRequest.newBuilder().setService(service)
        .setInstanceId(instance).setHealth(h).build());
    if (json) {
      out.println("{\"service\":" + JsonStrings.quote(service) + ",\"instanceId\":" + JsonStrings.quote(instance)
          + ",\"health\":" + JsonStrings.quote(h.name()) + ",\"resourceVersion\":" + JsonStrings.quote(r.getResourceVersion())
          + "}");
    } else {
      out.println(service + " " + instance + " is " + health(h));
    }
    return 0;
  }

  private HealthStatus parse(String s) {
    String w = s.strip().toLowerCase(Locale.ROOT).replace('_', '-');
    return switch (w) {
      case "serving" -> HealthStatus.HEALTH_STATUS_SERVING;
      case "not-serving" -> HealthStatus.HEALTH_STATUS_NOT_SERVING;
      case "draining" -> HealthStatus.HEALTH_STATUS_DRAINING;
      case "unknown" -> HealthStatus.HEALTH_STATUS_UNKNOWN;
      default -> throw bad("HEALTH", "'" + s + "' is not one of serving, not-serving, draining, unknown");
    };
  }
}
