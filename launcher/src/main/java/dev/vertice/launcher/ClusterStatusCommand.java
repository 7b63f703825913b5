package dev.vertice.launcher;

import dev.vertice.api.registry.v1.ListServicesResponse;
import dev.vertice.api.registry.v1.ServiceSummary;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ClusterStatusCommand} is {@code cluster status}: shows each process and the registry. */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = "Shows each process (alive or dead, pid, ports), the Redis master as the Sentinels see it, and"
        + " the registry (services and instances) as a control plane reports it.",
    footer = {"", "Exit codes: 0 when every process is alive, 1 otherwise (or when no cluster was started)."})
final class ClusterStatusCommand implements Callable<Integer> {

  @CommandLine.Mixin
  ClusterState.DirOption dirOption;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    Path dir = dirOption.dir.toAbsolutePath();
    List<ClusterState.Proc> procs = ClusterState.read(dir);
    if (procs.isEmpty()) {
      out.println("no cluster in " + dir + " (./vertice cluster up)");
      return 1;
    }
    boolean all = true;
    out.printf("%-16s %-6s %-8s %s%n", "PROCESS", "STATE", "PID", "PORTS");
    for (ClusterState.Proc p : procs) {
      boolean alive = p.alive();
      all &= alive;
      out.printf("%-16s %-6s %-8d %s%n", p.name(), alive ? "alive" : "dead", p.pid(), p.ports());
    }
    Properties props = ClusterState.readProperties(dir);
    String master = null;
    for (String s : props.getProperty("sentinels", "").split(",")) {
      if (!s.isBlank()) {
        master = ClusterProbes.sentinelMaster(Integer.parseInt(s.substring(s.lastIndexOf(':') + 1))).orElse(null);
        if (master != null) {
          break;
        }
      }
    }
    out.println("redis master (per Sentinel): " + (master == null ? "unknown (no Sentinel answers)" : master));
    Optional<ListServicesResponse> reg = ClusterProbes.registry(props.getProperty("control-planes", ""));
    if (reg.isEmpty()) {
      out.println("registry: no control plane answers");
    } else {
      ListServicesResponse r = reg.get();
      out.printf("registry: %d services, %d instances (expected %s), version %s%n", r.getServicesCount(),
          ClusterProbes.instances(r), props.getProperty("services.expected-instances", "?"), r.getSystemVersion());
      for (ServiceSummary s : r.getServicesList()) {
        out.printf("  %-28s %d%n", s.getService(), s.getInstanceCount());
      }
    }
    out.flush();
    return all ? 0 : 1;
  }
}
