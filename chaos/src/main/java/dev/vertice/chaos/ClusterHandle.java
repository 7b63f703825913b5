package dev.vertice.chaos;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * {@code ClusterHandle} is a running {@code ./vertice cluster up} topology as its run directory's {@code
 * cluster.properties} records it: each process (pid, ports, log) and the cluster's addresses. A restart
 * through {@link #restart} writes the new pid back, so that {@code ./vertice cluster status|down} keep
 * working on the same directory.
 */
public final class ClusterHandle {

  /** The state file {@code cluster up} writes in its run directory. */
  public static final String STATE = "cluster.properties";
  /** The Sentinels' name of the Redis master. */
  public static final String MASTER = "mymaster";

  private final Path dir;
  private final Properties state;
  private final Map<String, ClusterProcess> processes = new LinkedHashMap<>();

  private ClusterHandle(Path dir, Properties state) {
    this.dir = dir;
    this.state = state;
    for (String name : List.of("redis-master", "redis-replica", "sentinel-1", "sentinel-2", "sentinel-3",
        "control-plane-1", "control-plane-2", "control-plane-3", "gateway-1", "gateway-2", "services")) {
      String pid = state.getProperty(name + ".pid");
      if (pid == null) {
        continue;
      }
      Optional<ProcessHandle> h = ProcessHandle.of(Long.parseLong(pid)).filter(ProcessHandle::isAlive);
      if (h.isEmpty()) {
        continue;
      }
      List<Integer> ports = Arrays.stream(state.getProperty(name + ".ports", "").split(",")).map(String::strip)
          .filter(s -> !s.isEmpty()).map(Integer::valueOf).toList();
      String log = state.getProperty(name + ".log");
      processes.put(name, new ClusterProcess(name, h.get(), ports, log == null ? null : Path.of(log)));
    }
  }

  /** Reads the run directory {@code dir}; throws when no cluster runs from it. */
  public static ClusterHandle open(Path dir) throws IOException {
    Path file = dir.resolve(STATE);
    if (!Files.exists(file)) {
      throw new IOException("no cluster runs from " + dir + " (no " + STATE + "): ./vertice cluster up --dir " + dir);
    }
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file)) {
      p.load(r);
    }
    ClusterHandle c = new ClusterHandle(dir, p);
    List<String> missing = new ArrayList<>();
    for (String n : List.of("redis-master", "redis-replica", "sentinel-1", "control-plane-1", "control-plane-2",
        "control-plane-3", "gateway-1", "gateway-2")) {
      if (!c.processes.containsKey(n)) {
        missing.add(n);
      }
    }
    if (!missing.isEmpty()) {
      throw new IOException("the cluster in " + dir + " is incomplete: " + missing + " not running");
    }
    return c;
  }

  public Path dir() {
    return dir;
  }

  /** Every process by its name in the state file. */
  public Map<String, ClusterProcess> processes() {
    return processes;
  }

  /** The process named {@code name} ({@code redis-master}, {@code control-plane-2}, {@code gateway-1}...). */
  public ClusterProcess process(String name) {
    ClusterProcess p = processes.get(name);
    if (p == null) {
      throw new IllegalArgumentException("no process " + name + " in " + dir);
    }
    return p;
  }

  /** The control planes' gRPC addresses ({@code 127.0.0.1:port}), comma-separated as the CLI takes them. */
  public String controlPlaneTargets() {
    return state.getProperty("control-planes");
  }

  /** The control-plane processes, in order. */
  public List<ClusterProcess> controlPlanes() {
    return List.of(process("control-plane-1"), process("control-plane-2"), process("control-plane-3"));
  }

  /** The gateways' HTTP addresses ({@code 127.0.0.1:port}). */
  public List<String> gatewayAddresses() {
    return List.of(state.getProperty("gateways").split(","));
  }

  /** The gateway processes, in order. */
  public List<ClusterProcess> gateways() {
    return List.of(process("gateway-1"), process("gateway-2"));
  }

  /** The Sentinels' ports. */
  public List<Integer> sentinelPorts() {
    return Arrays.stream(state.getProperty("sentinels").split(",")).map(s -> Integer.valueOf(s.split(":")[1]))
        .toList();
  }

  /** A control plane's admin port (its metrics and health). */
  public static int adminPort(ClusterProcess controlPlaneOrGateway) {
    List<Integer> p = controlPlaneOrGateway.ports();
    return p.get(p.size() - 1);
  }

  /** Restarts {@code p} with its command line and records its new pid in the state file. */
  public synchronized void restart(ClusterProcess p) throws IOException {
    p.restart();
    state.setProperty(p.name() + ".pid", Long.toString(p.pid()));
    state.setProperty(p.name() + ".start", Long.toString(p.startMillis()));
    try (Writer w = Files.newBufferedWriter(dir.resolve(STATE))) {
      state.store(w, "vertice cluster: written by ./vertice cluster up (pids updated by ./vertice chaos)");
    }
  }
}
