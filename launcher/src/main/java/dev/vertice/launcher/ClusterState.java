package dev.vertice.launcher;

import dev.vertice.common.ServiceNames;
import dev.vertice.demo.SeedServices;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import picocli.CommandLine.Option;

/**
 * {@code ClusterState} is what {@code ./vertice cluster up} records in its run directory (each
 * process's pid, start time, ports and log, and the cluster's addresses), read back by {@code
 * status} and {@code down}.
 */
final class ClusterState {

  /** The Sentinels' name of the Redis master. */
  static final String MASTER = "mymaster";
  /** The state file in the run directory. */
  static final String STATE = "cluster.properties";

  private ClusterState() {}

  /** The options every subcommand shares. */
  static class DirOption {
    @Option(names = "--dir", defaultValue = "${env:VERTICE_CLUSTER_DIR:-.run/cluster}",
        description = "Run directory: ports, pid files and logs (VERTICE_CLUSTER_DIR). Default: ${DEFAULT-VALUE}.")
    Path dir;
  }

  /** One process of the cluster, as recorded in the run directory. */
  record Proc(String name, long pid, long startMillis, String ports) {

    Optional<ProcessHandle> handle() {
      return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(h -> h.info().startInstant()
          .map(i -> Math.abs(i.toEpochMilli() - startMillis) < 2_000).orElse(true));
    }

    boolean alive() {
      return handle().isPresent();
    }
  }

  /**
   * Returns the services a {@code --services} value names, in order and without repeats ({@code seed}
   * adds the seed's services); throws {@link IllegalArgumentException} saying what is wrong (the
   * caller names the flag).
   */
  static List<String> serviceNames(List<String> values) {
    List<String> names = new ArrayList<>();
    for (String s : values) {
      String n = s.strip();
      if (n.equals("seed")) {
        SeedServices.NAMES.stream().filter(x -> !names.contains(x)).forEach(names::add);
      } else if (!n.isEmpty() && !names.contains(n)) {
        if (!ServiceNames.isCanonical(n)) {
          throw new IllegalArgumentException("'" + n + "' is not a canonical service name ("
              + ServiceNames.describeRule() + ")");
        }
        names.add(n);
      }
    }
    if (names.isEmpty()) {
      throw new IllegalArgumentException("names no service");
    }
    return names;
  }

  /** Start order; {@code down} stops in reverse. */
  static final List<String> ORDER = List.of("redis-master", "redis-replica", "sentinel-1", "sentinel-2", "sentinel-3",
      "control-plane-1", "control-plane-2", "control-plane-3", "gateway-1", "gateway-2", "services");

  static List<Proc> read(Path dir) throws IOException {
    Path state = dir.resolve(STATE);
    List<Proc> procs = new ArrayList<>();
    if (!Files.exists(state)) {
      return procs;
    }
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(state)) {
      p.load(r);
    }
    for (String name : ORDER) {
      String pid = p.getProperty(name + ".pid");
      if (pid != null) {
        procs.add(new Proc(name, Long.parseLong(pid), Long.parseLong(p.getProperty(name + ".start", "0")),
            p.getProperty(name + ".ports", "")));
      }
    }
    return procs;
  }

  static Properties readProperties(Path dir) throws IOException {
    Properties p = new Properties();
    Path state = dir.resolve(STATE);
    if (Files.exists(state)) {
      try (Reader r = Files.newBufferedReader(state)) {
        p.load(r);
      }
    }
    return p;
  }
}
