package dev.vertice.launcher;

import dev.vertice.api.registry.v1.ListServicesRequest;
import dev.vertice.api.registry.v1.ListServicesResponse;
import dev.vertice.api.registry.v1.ServiceSummary;
import java.io.PrintWriter;
import picocli.CommandLine.Command;

/**
 * {@code ServicesCommand} is {@code vertice services}: every registered service with its instance
 * counts (RegistryService.ListServices), like {@code consul catalog services}.
 */
@Command(name = "services", mixinStandardHelpOptions = true, sortOptions = false,
    resourceBundle = "dev.vertice.launcher.CliConnectionFlags$Texts",
    description = "Lists the registered services: instances, how many are SERVING.",
    footer = {"", "With --json: the ListServicesResponse, {\"services\": [{\"service\", \"instanceCount\","
        + " \"servingCount\", \"resourceVersion\"}...], \"systemVersion\"}.", "", RegistryCall.EXIT_CODES})
public final class ServicesCommand extends RegistryCall {

  @Override
  int run(PrintWriter out, PrintWriter err) {
    ListServicesResponse r = registry().listServices(ListServicesRequest.getDefaultInstance());
    if (json) {
      out.println(CliJson.pretty(r));
      return 0;
    }
    if (r.getServicesCount() == 0) {
      out.println("no services registered");
      return 0;
    }
    TextTable t = new TextTable("SERVICE", "INSTANCES", "SERVING");
    for (ServiceSummary s : r.getServicesList()) {
      t.row(s.getService(), Integer.toString(s.getInstanceCount()), Integer.toString(s.getServingCount()));
    }
    t.print(out);
    return 0;
  }
}
