package dev.vertice.chaos.faults;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.logging.Logger;

/**
 * {@code LinkRedirect} sends one process's connections to given loopback ports through other ports
 * (a {@link FaultProxy} each) without restarting it: iptables {@code REDIRECT} in the nat table's
 * OUTPUT, matched to the process by its own cgroup v2 group as {@link LoopbackPartition} does;
 * its connections already open to those ports are destroyed ({@code ss -K}, a reset to both ends)
 * so that it reconnects, now through the proxies. {@link #heal()} removes the rules and destroys
 * its connections through the proxies, so that it reconnects directly. Other processes are not
 * redirected, and neither is the proxy (it runs in another process).
 *
 * <p>Needs what {@link LoopbackPartition#check()} says, and {@code ss} (iproute2) with a kernel
 * that can destroy sockets.
 */
public final class LinkRedirect implements AutoCloseable {

  private static final Logger log = Logger.getLogger(LinkRedirect.class.getName());
  private static final Object LOCK = new Object();
  /** The table the redirects live in. */
  private static final List<String> NAT = List.of("-t", "nat");
  private static int open; // guarded by LOCK

  private final String name;
  private final long pid;
  private final Map<Integer, Integer> ports; // target port -> proxy port
  private final String iptables;
  private final Path cgroupRoot;
  private final Path group;
  private final String originalGroup;
  private final List<List<String>> rules = new ArrayList<>();
  private int moved;
  private boolean healed;

  private LinkRedirect(String name, long pid, Map<Integer, Integer> ports, String iptables, Path cgroupRoot,
      String originalGroup) {
    this.name = name;
    this.pid = pid;
    this.ports = ports;
    this.iptables = iptables;
    this.cgroupRoot = cgroupRoot;
    this.group = cgroupRoot.resolve(LoopbackPartition.CGROUP_DIR).resolve("redirect-" + name + "-" + pid);
    this.originalGroup = originalGroup;
  }

  /**
   * {@code redirect} sends process {@code pid}'s TCP connections to each key of {@code proxyPorts}
   * (a loopback port) to the value (the proxy's port) instead, and moves its open ones.
   *
   * @throws LoopbackPartition.Unavailable when it cannot be done here
   */
  public static LinkRedirect redirect(String name, long pid, Map<Integer, Integer> proxyPorts)
      throws LoopbackPartition.Unavailable, IOException {
    if (!name.matches("[A-Za-z0-9-]{1,40}")) {
      throw new IllegalArgumentException("redirect name must be 1-40 letters, digits or '-': '" + name + "'");
    }
    if (proxyPorts.isEmpty()) {
      throw new IllegalArgumentException("a redirect takes at least one port");
    }
    Optional<String> missing = LoopbackPartition.check();
    if (missing.isPresent()) {
      throw new LoopbackPartition.Unavailable(missing.get().replace("network partitions", "link faults"));
    }
    if (findSs().isEmpty()) {
      throw new LoopbackPartition.Unavailable("link faults need ss (apt-get install iproute2) to move open connections");
    }
    LinkRedirect r = new LinkRedirect(name, pid, new TreeMap<>(proxyPorts), LoopbackPartition.findIptables().orElseThrow(),
        LoopbackPartition.cgroup2Root().orElseThrow(), LoopbackPartition.cgroupOf(pid));
    synchronized (LOCK) {
      open++;
      try {
        r.apply();
      } catch (IOException | RuntimeException e) {
        r.heal();
        throw e;
      }
    }
    return r;
  }

  private void apply() throws IOException {
    if (!LoopbackPartition.runQuietly(List.of(iptables, "-w", "-t", "nat", "-S", LoopbackPartition.CHAIN))) {
      LoopbackPartition.run(List.of(iptables, "-w", "-t", "nat", "-N", LoopbackPartition.CHAIN));
    }
    if (!LoopbackPartition.runQuietly(List.of(iptables, "-w", "-t", "nat", "-C", "OUTPUT", "-j", LoopbackPartition.CHAIN))) {
      LoopbackPartition.run(List.of(iptables, "-w", "-t", "nat", "-I", "OUTPUT", "1", "-j", LoopbackPartition.CHAIN));
    }
    Files.createDirectories(group);
    Files.writeString(group.resolve("cgroup.procs"), Long.toString(pid));
    for (Map.Entry<Integer, Integer> e : ports.entrySet()) {
      List<String> spec = List.of("-p", "tcp", "-d", "127.0.0.0/8", "--dport", e.getKey().toString(), "-m", "cgroup",
          "--path", cgroupRoot.relativize(group).toString(), "-m", "comment", "--comment", "vertice-chaos:" + name,
          "-j", "REDIRECT", "--to-ports", e.getValue().toString());
      LoopbackPartition.run(command("-A", spec));
      rules.add(spec);
    }
    moved = destroy(ports.keySet().stream().toList());
    log.info(() -> "redirect " + name + ": pid " + pid + " reaches " + ports + " (port -> proxy), " + moved
        + " open connections moved");
  }

  /** Open connections destroyed when the redirect was made (they reconnected through the proxies). */
  public int connectionsMoved() {
    synchronized (LOCK) {
      return moved;
    }
  }

  /**
   * {@code heal} removes the rules, moves the process back to its cgroup and destroys its
   * connections through the proxies (it reconnects directly). Idempotent.
   */
  public void heal() throws IOException {
    synchronized (LOCK) {
      if (healed) {
        return;
      }
      healed = true;
      open--;
      IOException failure = LoopbackPartition.deleteRules(rules, spec -> command("-D", spec));
      try {
        if (ProcessHandle.of(pid).isPresent()) {
          destroy(ports.values().stream().toList());
        }
        LoopbackPartition.restoreCgroup(pid, cgroupRoot, originalGroup, group);
      } catch (IOException e) {
        log.warning(() -> "redirect " + name + ": could not restore pid " + pid + ": " + e);
      }
      if (open == 0) {
        LoopbackPartition.removeChain(iptables, NAT);
      }
      if (failure != null) {
        throw failure;
      }
    }
  }

  /** Same as {@link #heal()}. */
  @Override
  public void close() throws IOException {
    heal();
  }

  /** Destroys the process's connections to {@code remotePorts}; returns how many. */
  private int destroy(List<Integer> remotePorts) throws IOException {
    String ss = findSs().orElseThrow();
    int n = 0;
    for (int[] c : LoopbackPartition.connections(pid, new java.util.HashSet<>(remotePorts))) {
      LoopbackPartition.runQuietly(List.of(ss, "-K", "-t", "dport", "=", Integer.toString(c[1]),
          "sport", "=", Integer.toString(c[0])));
      n++;
    }
    return n;
  }

  private List<String> command(String op, List<String> spec) {
    List<String> c = new ArrayList<>(List.of(iptables, "-w", "-t", "nat", op, LoopbackPartition.CHAIN));
    c.addAll(spec);
    return c;
  }

  static Optional<String> findSs() {
    return List.of("/usr/bin/ss", "/bin/ss", "/usr/sbin/ss", "/sbin/ss").stream().filter(p -> Files.isExecutable(Path.of(p)))
        .findFirst();
  }
}
