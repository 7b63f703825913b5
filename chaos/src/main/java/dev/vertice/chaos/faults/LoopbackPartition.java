package dev.vertice.chaos.faults;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * {@code LoopbackPartition} cuts one process off from given loopback TCP ports with iptables, and
 * {@link #heal()} removes exactly the rules it added. Other processes of the same user keep
 * talking to those ports.
 *
 * <p>How one process is told apart on loopback, where every process shares the address and the
 * user ({@code -m owner --uid-owner} cannot separate them and {@code --pid-owner} is long gone):
 * <ol>
 *   <li>The process is moved into its own cgroup v2 group ({@value #CGROUP_DIR}/NAME-PID) and one
 *       rule drops what sockets created in that group send to the ports ({@code -m cgroup --path},
 *       {@code -m multiport --dports}): its reconnections, new connections, and its children's.
 *       A socket belongs to the group it was created in, so this rule misses connections already
 *       open.</li>
 *   <li>Those are read from the process's socket inodes ({@code /proc/PID/fd}) matched against
 *       {@code /proc/PID/net/tcp} and {@code tcp6}: each connection to one of the ports gets two
 *       rules, its packets each way by source and destination port, so it hangs (no RST: the
 *       peers see a silent partition and retransmit) and resumes after the heal.</li>
 * </ol>
 * The process is moved first, then the connections are read, so no connection is missed except
 * one whose socket was created before the move and connected after the read (Netty and lettuce
 * create the socket as they connect). Rules live in their own chain {@value #CHAIN}, jumped to
 * from OUTPUT (on loopback every packet passes OUTPUT); each carries a comment naming the
 * partition, and the chain and its jump are removed when the last partition heals.
 *
 * <p>Needs root, iptables and a cgroup v2 hierarchy; {@link #check()} says what is missing and
 * {@link #isolate} throws {@link Unavailable} with that message.
 */
public final class LoopbackPartition implements AutoCloseable {

  private static final Logger log = Logger.getLogger(LoopbackPartition.class.getName());

  /** The iptables chain every partition rule is in. */
  public static final String CHAIN = "VERTICE-CHAOS";
  /** The group under the cgroup v2 root that holds partitioned processes. */
  public static final String CGROUP_DIR = "vertice-chaos";
  private static final long COMMAND_TIMEOUT_SECONDS = 20;
  private static final Object LOCK = new Object(); // the chain is shared by this JVM's partitions
  private static int open; // partitions not yet healed, guarded by LOCK

  private final String name;
  private final long pid;
  private final Set<Integer> ports;
  private final String iptables;
  private final Path cgroupRoot;
  private final Path group;
  private final String originalGroup; // relative to the cgroup v2 root, "/" for the root
  private final List<List<String>> rules = new ArrayList<>();
  private int connectionsCut; // guarded by LOCK
  private boolean healed;

  /** {@code Unavailable} says why partitions cannot be made here (not root, no iptables, no cgroup v2). */
  public static final class Unavailable extends Exception {
    private static final long serialVersionUID = 1L;

    Unavailable(String message) {
      super(message);
    }
  }

  private LoopbackPartition(String name, long pid, Set<Integer> ports, String iptables, Path cgroupRoot,
      String originalGroup) {
    this.name = name;
    this.pid = pid;
    this.ports = ports;
    this.iptables = iptables;
    this.cgroupRoot = cgroupRoot;
    this.group = cgroupRoot.resolve(CGROUP_DIR).resolve(name + "-" + pid);
    this.originalGroup = originalGroup;
  }

  /**
   * {@code check} returns empty when partitions can be made here, or what is missing, worded for
   * the user (root, iptables, a cgroup v2 hierarchy).
   */
  public static Optional<String> check() {
    return check(uid(), findIptables(), cgroup2Root());
  }

  static Optional<String> check(long uid, Optional<String> iptables, Optional<Path> cgroupRoot) {
    if (uid != 0) {
      return Optional.of("network partitions need root (iptables rules and cgroups); this runs as uid " + uid
          + ": run as root or choose scenarios without partitions");
    }
    if (iptables.isEmpty()) {
      return Optional.of("network partitions need iptables, which is not installed (apt-get install iptables)");
    }
    if (cgroupRoot.isEmpty()) {
      return Optional.of("network partitions need a cgroup v2 hierarchy (mount -t cgroup2 none /sys/fs/cgroup),"
          + " to tell one process's connections apart on loopback; none is mounted");
    }
    return Optional.empty();
  }

  /**
   * {@code isolate} cuts process {@code pid} off from TCP {@code ports} on loopback: its open
   * connections to them hang, new ones get no answer. {@code name} (letters, digits, '-') names
   * the partition in rule comments and the cgroup.
   *
   * @throws Unavailable when partitions cannot be made here ({@link #check()})
   * @throws IOException when a command fails (what was added is removed again)
   */
  public static LoopbackPartition isolate(String name, long pid, Collection<Integer> ports)
      throws Unavailable, IOException {
    if (!name.matches("[A-Za-z0-9-]{1,40}")) {
      throw new IllegalArgumentException("partition name must be 1-40 letters, digits or '-': '" + name + "'");
    }
    if (ports.isEmpty() || ports.size() > 15) {
      throw new IllegalArgumentException("a partition takes 1 to 15 ports (iptables multiport): " + ports);
    }
    Optional<String> missing = check();
    if (missing.isPresent()) {
      throw new Unavailable(missing.get());
    }
    Path root = cgroup2Root().orElseThrow();
    String original = cgroupOf(pid);
    LoopbackPartition p = new LoopbackPartition(name, pid, new TreeSet<>(ports), findIptables().orElseThrow(), root,
        original);
    synchronized (LOCK) {
      open++;
      try {
        p.apply();
      } catch (IOException | RuntimeException e) {
        p.heal();
        throw e;
      }
    }
    return p;
  }

  private void apply() throws IOException {
    ensureChain();
    Files.createDirectories(group);
    Files.writeString(group.resolve("cgroup.procs"), Long.toString(pid));
    String dports = ports.stream().map(String::valueOf).collect(Collectors.joining(","));
    add(List.of("-p", "tcp", "-m", "multiport", "--dports", dports, "-m", "cgroup", "--path",
        cgroupRoot.relativize(group).toString()));
    int cut = 0;
    for (int[] c : connections(pid, ports)) {
      add(List.of("-p", "tcp", "-s", "127.0.0.0/8", "--sport", Integer.toString(c[0]), "--dport", Integer.toString(c[1])));
      add(List.of("-p", "tcp", "-s", "127.0.0.0/8", "--sport", Integer.toString(c[1]), "--dport", Integer.toString(c[0])));
      cut++;
    }
    connectionsCut = cut;
    int n = cut;
    log.info(() -> "partition " + name + ": pid " + pid + " cut off from ports " + ports + " (" + n
        + " open connections, " + rules.size() + " rules in " + CHAIN + ")");
  }

  /** The name given to {@link #isolate}. */
  public String name() {
    return name;
  }

  /** The rules added (each as iptables arguments after the chain), for reports and tests. */
  public List<List<String>> rules() {
    synchronized (LOCK) {
      return List.copyOf(rules);
    }
  }

  /** Open connections to the ports found and cut when the partition was made. */
  public int openConnectionsCut() {
    synchronized (LOCK) {
      return connectionsCut;
    }
  }

  /**
   * {@code heal} removes the rules this partition added and moves the process back to its cgroup
   * (unless it ended); the chain goes once no partition of this JVM remains. Idempotent.
   */
  public void heal() throws IOException {
    synchronized (LOCK) {
      if (healed) {
        return;
      }
      healed = true;
      open--;
      IOException failure = deleteRules(rules, spec -> command("-D", spec));
      try {
        restoreCgroup(pid, cgroupRoot, originalGroup, group);
      } catch (IOException e) {
        log.warning(() -> "partition " + name + ": could not restore pid " + pid + "'s cgroup: " + e);
      }
      if (open == 0) {
        removeChain(iptables, List.of());
      }
      if (failure != null) {
        throw failure;
      }
      log.info(() -> "partition " + name + " healed");
    }
  }

  /** Same as {@link #heal()}. */
  @Override
  public void close() throws IOException {
    heal();
  }

  /**
   * {@code removeLeftovers} removes the chain and its jump left by a run that did not heal (killed):
   * returns whether there was one. Needs what {@link #check()} needs.
   */
  public static boolean removeLeftovers() throws IOException {
    Optional<String> ipt = findIptables();
    if (ipt.isEmpty() || uid() != 0) {
      return false;
    }
    synchronized (LOCK) {
      boolean had = runQuietly(List.of(ipt.get(), "-w", "-S", CHAIN));
      removeChain(ipt.get(), List.of());
      cgroup2Root().map(r -> r.resolve(CGROUP_DIR)).filter(Files::isDirectory).ifPresent(dir -> {
        try (Stream<Path> groups = Files.list(dir)) {
          for (Path g : groups.filter(Files::isDirectory).toList()) {
            for (String p : Files.readAllLines(g.resolve("cgroup.procs"))) {
              Files.writeString(dir.getParent().resolve("cgroup.procs"), p.strip());
            }
            Files.delete(g);
          }
        } catch (IOException e) {
          log.warning(() -> "could not clear " + dir + ": " + e);
        }
      });
      return had;
    }
  }

  private void add(List<String> spec) throws IOException {
    List<String> full = new ArrayList<>(spec);
    full.addAll(List.of("-m", "comment", "--comment", "vertice-chaos:" + name, "-j", "DROP"));
    run(command("-A", full));
    rules.add(full);
  }

  private List<String> command(String op, List<String> spec) {
    List<String> c = new ArrayList<>(List.of(iptables, "-w", op, CHAIN));
    c.addAll(spec);
    return c;
  }

  private void ensureChain() throws IOException {
    if (!runQuietly(List.of(iptables, "-w", "-S", CHAIN))) {
      run(List.of(iptables, "-w", "-N", CHAIN));
    }
    if (!runQuietly(List.of(iptables, "-w", "-C", "OUTPUT", "-j", CHAIN))) {
      run(List.of(iptables, "-w", "-I", "OUTPUT", "1", "-j", CHAIN));
    }
  }

  /**
   * Removes the chain and every jump to it from OUTPUT in {@code table} (empty: the filter table,
   * else {@code -t <name>}), if it is there.
   */
  static void removeChain(String iptables, List<String> table) throws IOException {
    while (runQuietly(iptables(iptables, table, "-D", "OUTPUT", "-j", CHAIN))) {
      // every jump, should there be more than one
    }
    if (runQuietly(iptables(iptables, table, "-S", CHAIN))) {
      run(iptables(iptables, table, "-F", CHAIN));
      run(iptables(iptables, table, "-X", CHAIN));
    }
  }

  private static List<String> iptables(String iptables, List<String> table, String... args) {
    List<String> c = new ArrayList<>(List.of(iptables, "-w"));
    c.addAll(table);
    c.addAll(List.of(args));
    return c;
  }

  /**
   * Deletes {@code rules} newest first with the command {@code delete} makes of each, and clears the
   * list; returns the last failure (every rule is tried), or null.
   */
  static IOException deleteRules(List<List<String>> rules, Function<List<String>, List<String>> delete) {
    IOException failure = null;
    for (int i = rules.size() - 1; i >= 0; i--) {
      try {
        run(delete.apply(rules.get(i)));
      } catch (IOException e) {
        failure = e;
      }
    }
    rules.clear();
    return failure;
  }

  /**
   * Moves {@code pid}, if it still runs, from {@code group} back to {@code originalGroup} (its
   * cgroup path from /proc, under {@code cgroupRoot}), then deletes {@code group}.
   */
  static void restoreCgroup(long pid, Path cgroupRoot, String originalGroup, Path group) throws IOException {
    if (ProcessHandle.of(pid).isPresent() && Files.exists(group)) {
      Files.writeString(cgroupRoot.resolve(originalGroup.substring(1)).resolve("cgroup.procs"), Long.toString(pid));
    }
    Files.deleteIfExists(group);
  }

  /** Each TCP connection of {@code pid} whose remote port is one of {@code ports}: {local port, remote port}. */
  static List<int[]> connections(long pid, Set<Integer> ports) throws IOException {
    Set<String> inodes = new HashSet<>();
    try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
      for (Path fd : fds.toList()) {
        try {
          String link = Files.readSymbolicLink(fd).toString();
          if (link.startsWith("socket:[")) {
            inodes.add(link.substring(8, link.length() - 1));
          }
        } catch (IOException e) {
          // closed meanwhile
        }
      }
    }
    List<int[]> found = new ArrayList<>();
    for (String table : List.of("tcp", "tcp6")) {
      Path p = Path.of("/proc", Long.toString(pid), "net", table);
      if (!Files.exists(p)) {
        continue;
      }
      for (String line : Files.readAllLines(p, StandardCharsets.US_ASCII)) {
        String[] f = line.strip().split("\\s+");
        if (f.length < 10 || !f[0].endsWith(":") || !inodes.contains(f[9])) {
          continue;
        }
        int local = Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1), 16);
        int remote = Integer.parseInt(f[2].substring(f[2].indexOf(':') + 1), 16);
        if (ports.contains(remote) && !"0A".equals(f[3])) { // 0A: LISTEN
          found.add(new int[] {local, remote});
        }
      }
    }
    return found;
  }

  static String cgroupOf(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "cgroup"))) {
      if (line.startsWith("0::")) {
        return line.substring(3);
      }
    }
    return "/";
  }

  static Optional<Path> cgroup2Root() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
        String[] f = line.split(" ");
        if (f.length > 2 && f[2].equals("cgroup2") && Files.isWritable(Path.of(f[1]))) {
          return Optional.of(Path.of(f[1]));
        }
      }
    } catch (IOException e) {
      // no /proc: no cgroups either
    }
    return Optional.empty();
  }

  static Optional<String> findIptables() {
    List<String> dirs = new ArrayList<>(List.of("/usr/sbin", "/sbin"));
    String path = System.getenv("PATH");
    if (path != null) {
      dirs.addAll(List.of(path.split(":")));
    }
    return dirs.stream().map(d -> Path.of(d, "iptables")).filter(Files::isExecutable).map(Path::toString).findFirst();
  }

  static long uid() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          return Long.parseLong(line.substring(4).strip().split("\\s+")[1]); // effective uid
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return -1;
  }

  static boolean runQuietly(List<String> command) throws IOException {
    return exec(command).exit == 0;
  }

  static void run(List<String> command) throws IOException {
    Result r = exec(command);
    if (r.exit != 0) {
      throw new IOException(String.join(" ", command) + " failed (exit " + r.exit + "): " + r.output.strip());
    }
  }

  private record Result(int exit, String output) {}

  private static Result exec(List<String> command) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", command) + " did not end within " + COMMAND_TIMEOUT_SECONDS + " s");
      }
      return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running " + command.get(0), e);
    }
  }
}
