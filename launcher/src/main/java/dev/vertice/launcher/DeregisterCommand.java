package dev.vertice.launcher;

import dev.vertice.api.registry.v1.DeregisterRequest;
import dev.vertice.api.registry.v1.DeregisterResponse;
import dev.vertice.common.JsonStrings;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code DeregisterCommand} is {@code vertice deregister SERVICE INSTANCE}: removes one instance and
 * its lease at once (RegistryService.Deregister); watchers receive the removal. An unknown service or
 * instance is NOT_FOUND: exit code 1.
 */
@Command(name = "deregister", mixinStandardHelpOptions = true, sortOptions = false,
    resourceBundle = "dev.vertice.launcher.CliConnectionFlags$Texts",
    description = {"Removes one instance from the registry now; every watcher (gateways, sidecars) receives the"
        + " removal.", "An instance whose registrar still runs (a sidecar, a RegistryClient) registers again at its"
        + " next keepalive, when its lease turns out to be gone."},
    footer = {"", "With --json: {\"service\", \"instanceId\", \"resourceVersion\"} on one line.", "",
        RegistryCall.EXIT_CODES})
public final class DeregisterCommand extends RegistryCall {

  @Parameters(index = "0", paramLabel = "SERVICE", description = "The service.")
  String service;

  @Parameters(index = "1", paramLabel = "INSTANCE", description = "The instance id (see vertice instances SERVICE).")
  String instance;

  @Override
  int run(PrintWriter out, PrintWriter err) {
    DeregisterResponse r = registry().deregister(DeregisterRequest.newBuilder().setService(service)
        .setInstanceId(instance).build());
    if (json) {
      out.println("{\"service\":" + JsonStrings.quote(service) + ",\"instanceId\":" + JsonStrings.quote(instance)
          + ",\"resourceVersion\":" + JsonStrings.quote(r.getResourceVersion()) + "}");
    } else {
      out.println("deregistered " + service + " " + instance);
    }
    return 0;
  }
}
