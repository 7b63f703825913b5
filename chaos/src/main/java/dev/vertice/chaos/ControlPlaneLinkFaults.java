package dev.vertice.chaos;

import dev.vertice.chaos.faults.FaultProxy;
import dev.vertice.chaos.faults.FaultProxy.Direction;
import dev.vertice.chaos.faults.LinkRedirect;
import dev.vertice.chaos.faults.LoopbackPartition;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code control-plane-links}: every watcher of the cluster (both gateways, and the services' sidecars)
 * reaches the control planes through a {@link FaultProxy} per replica ({@link LinkRedirect}: no restart,
 * their open streams are moved), then, over the fault duration in thirds: {@value #LATENCY_MS} ms added
 * each way with {@value #BANDWIDTH} bytes/s towards the watchers; a stall of every link; every
 * connection reset and new ones reset for a second. Then the proxies heal, and the redirects are removed
 * (they reconnect directly). Measured: convergence after the heal, what the proxies saw, the alerts.
 */
public final class ControlPlaneLinkFaults implements Scenario {

  /** Latency added each way in the first third. */
  static final int LATENCY_MS = 200;
  /** Bandwidth towards the watchers in the first third, bytes/s. */
  static final long BANDWIDTH = 64 * 1024;
  private static final Duration RECONNECT_TIMEOUT = Duration.ofSeconds(30);

  @Override
  public String name() {
    return "control-plane-links";
  }

  @Override
  public String description() {
    return "gateways and sidecars reach the control planes through fault proxies: +" + LATENCY_MS
        + " ms and 64 KiB/s, a stall, resets; then heal";
  }

  @Override
  public ScenarioOutcome run(ChaosRun run) throws Exception {
    Optional<String> missing = LoopbackPartition.check();
    if (missing.isPresent()) {
      return ScenarioOutcome.skipped(missing.get().replace("network partitions", "redirecting links to the fault proxy"));
    }
    ClusterHandle c = run.cluster();
    List<FaultProxy> proxies = new ArrayList<>();
    List<LinkRedirect> redirects = new ArrayList<>();
    ScenarioOutcome.Builder out = ScenarioOutcome.builder();
    try (ScenarioAlerts alerts = ScenarioAlerts.start(c)) {
      Map<Integer, Integer> viaProxy = new LinkedHashMap<>();
      for (ClusterProcess cp : c.controlPlanes()) {
        int port = cp.ports().get(0);
        FaultProxy p = FaultProxy.start(new InetSocketAddress("127.0.0.1", port));
        proxies.add(p);
        viaProxy.put(port, p.port());
      }
      List<ClusterProcess> watchers = new ArrayList<>(c.gateways());
      if (c.processes().containsKey("services")) {
        watchers.add(c.process("services"));
      }
      int moved = 0;
      for (ClusterProcess w : watchers) {
        LinkRedirect r = LinkRedirect.redirect(w.name(), w.pid(), viaProxy);
        redirects.add(r);
        moved += r.connectionsMoved();
      }
      run.faults().event("control-plane links of " + watchers.stream().map(ClusterProcess::name).toList()
          + " go through fault proxies (" + moved + " open connections moved)");
      awaitGatewaysConnected(run, c, out);

      Duration third = run.settings().faultDuration().dividedBy(3);
      long healedAt;
      run.faultBegins("control-plane links: +" + LATENCY_MS + " ms each way, " + BANDWIDTH + " B/s to watchers");
      try {
        for (FaultProxy p : proxies) {
          p.latency(Direction.UPSTREAM, Duration.ofMillis(LATENCY_MS)).latency(Direction.DOWNSTREAM,
              Duration.ofMillis(LATENCY_MS)).bandwidth(Direction.DOWNSTREAM, BANDWIDTH);
        }
        run.pause(third);
        run.faults().event("control-plane links stalled for " + third.toMillis() + " ms");
        for (FaultProxy p : proxies) {
          p.heal().stall(third);
        }
        run.pause(third);
        int reset = 0;
        for (FaultProxy p : proxies) {
          reset += p.reset();
          p.resetNew(true);
        }
        run.faults().event("control-plane links reset (" + reset + " connections), new ones reset for 1 s");
        run.pause(Duration.ofSeconds(1));
        for (FaultProxy p : proxies) {
          p.resetNew(false);
        }
        Duration rest = third.minusSeconds(1);
        if (!rest.isNegative() && !rest.isZero()) {
          run.pause(rest);
        }
      } finally {
        for (FaultProxy p : proxies) {
          p.heal();
        }
        healedAt = System.nanoTime();
        run.faultEnds("control-plane links healed (still through the proxies)");
      }
      Optional<Duration> converged = run.awaitConverged(healedAt, PartitionReplicaFromRedis.CONVERGE_TIMEOUT);
      if (converged.isPresent()) {
        out.convergence(converged.get());
      } else {
        out.miss("not converged " + PartitionReplicaFromRedis.CONVERGE_TIMEOUT.toSeconds() + " s after the heal");
      }
      long accepted = 0;
      long resets = 0;
      long up = 0;
      long down = 0;
      for (FaultProxy p : proxies) {
        accepted += p.accepted();
        resets += p.resets();
        up += p.forwarded(Direction.UPSTREAM);
        down += p.forwarded(Direction.DOWNSTREAM);
      }
      out.note(String.format("proxies: %d connections accepted, %d reset, %d bytes to the control planes, %d back",
          accepted, resets, up, down));
      out.note(alerts.note());
    } finally {
      healAll(redirects, proxies);
    }
    Optional<Duration> direct = run.awaitConverged(System.nanoTime(), PartitionReplicaFromRedis.CONVERGE_TIMEOUT);
    out.note("redirects removed (direct links again): " + direct.map(d -> "converged in " + d.toMillis() + " ms")
        .orElse("NOT converged within " + PartitionReplicaFromRedis.CONVERGE_TIMEOUT.toSeconds() + " s"));
    return out.build();
  }

  private static void awaitGatewaysConnected(ChaosRun run, ClusterHandle c, ScenarioOutcome.Builder out)
      throws InterruptedException {
    long deadline = System.nanoTime() + RECONNECT_TIMEOUT.toNanos();
    for (ClusterProcess g : c.gateways()) {
      while (!GatewayAdmin.connected(g).orElse(false)) {
        if (System.nanoTime() > deadline) {
          out.note(g.name() + " not reconnected through the proxy within " + RECONNECT_TIMEOUT.toSeconds() + " s");
          return;
        }
        run.pause(Duration.ofMillis(100));
      }
    }
  }

  private static void healAll(List<LinkRedirect> redirects, List<FaultProxy> proxies) throws IOException {
    IOException failure = null;
    for (LinkRedirect r : redirects) {
      try {
        r.heal();
      } catch (IOException e) {
        failure = e;
      }
    }
    for (FaultProxy p : proxies) {
      p.close();
    }
    if (failure != null) {
      throw failure;
    }
  }
}
