package dev.vertice.launcher;

import dev.vertice.api.registry.v1.GetServiceRequest;
import dev.vertice.api.registry.v1.GetServiceResponse;
import dev.vertice.api.registry.v1.Instance;
import java.io.PrintWriter;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code InstancesCommand} is {@code vertice instances SERVICE}: one service's instances, whatever
 * their health (RegistryService.GetService). An unknown service is NOT_FOUND: exit code 1.
 */
@Command(name = "instances", mixinStandardHelpOptions = true, sortOptions = false,
    resourceBundle = "dev.vertice.launcher.CliConnectionFlags$Texts",
    description = "Lists one service's instances: address, port, protocol, version, zone, weight, health,"
        + " metadata.",
    footer = {"", "With --json: the GetServiceResponse, {\"service\", \"resourceVersion\", \"instances\": [...]}.",
        "", RegistryCall.EXIT_CODES})
public final class InstancesCommand extends RegistryCall {

  @Parameters(paramLabel = "SERVICE", description = "The service (any accepted spelling: OSINT_SERVICE is"
      + " osint-service).")
  String service;

  @Override
  int run(PrintWriter out, PrintWriter err) {
    GetServiceResponse r = registry().getService(GetServiceRequest.newBuilder().setService(service).build());
    if (json) {
      out.println(CliJson.pretty(r));
      return 0;
    }
    TextTable t = new TextTable("INSTANCE", "ADDRESS", "PORT", "PROTOCOL", "VERSION", "ZONE", "WEIGHT", "HEALTH",
        "METADATA");
    for (Instance i : r.getInstancesList()) {
      t.row(i.getInstanceId(), i.getAddress(), Integer.toString(i.getPort()), word(i.getProtocol(), "PROTOCOL_"),
          i.getVersion(), i.getZone(), Integer.toString(i.getWeight()), health(i.getHealth()),
          metadata(i.getMetadataMap()));
    }
    t.print(out);
    return 0;
  }

  /** {@code metadata} returns labels as {@code k=v,k2=v2}, sorted by key. */
  static String metadata(Map<String, String> m) {
    return new TreeMap<>(m).entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
        .collect(Collectors.joining(","));
  }
}
