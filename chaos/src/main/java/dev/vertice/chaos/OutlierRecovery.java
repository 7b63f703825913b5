package dev.vertice.chaos;

import dev.vertice.chaos.faults.FaultProxy;
import dev.vertice.chaos.faults.LinkRedirect;
import dev.vertice.chaos.faults.LoopbackPartition;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code outlier-recovery}: a victim instance (demo app and sidecar) fails for the gateways only: their
 * connections to it go through a {@link FaultProxy} that resets every one ({@link LinkRedirect}), while
 * its sidecar's probe still passes, so the registry keeps it SERVING and only the gateways' outlier
 * detection and breakers act. Once both gateways ejected it (or opened its breaker), the proxy heals.
 * Measured: how long until both route to it again, against the configured interval (base ejection and
 * breaker open wait, {@value #RECOVERY_TARGET_SECONDS} s with the gateway's defaults, plus a probe).
 */
public final class OutlierRecovery implements Scenario {

  /** Base ejection (10 s) and breaker open wait (10 s) with the gateway's defaults, plus 2 s. */
  static final int RECOVERY_TARGET_SECONDS = 12;
  private static final Duration EJECT_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration RECOVER_TIMEOUT = Duration.ofSeconds(60);

  @Override
  public String name() {
    return "outlier-recovery";
  }

  @Override
  public String description() {
    return "an instance fails for the gateways (resets) until they eject it, then heals: back in rotation within "
        + RECOVERY_TARGET_SECONDS + " s";
  }

  @Override
  public ScenarioOutcome run(ChaosRun run) throws Exception {
    Optional<String> missing = LoopbackPartition.check();
    if (missing.isPresent()) {
      return ScenarioOutcome.skipped(missing.get().replace("network partitions", "failing an instance for the gateways"));
    }
    ClusterHandle c = run.cluster();
    Victim v = run.startVictim();
    int port = Integer.parseInt(v.hostPort().substring(v.hostPort().lastIndexOf(':') + 1));
    ScenarioOutcome.Builder out = ScenarioOutcome.builder();
    List<LinkRedirect> redirects = new ArrayList<>();
    try (FaultProxy proxy = FaultProxy.start(new InetSocketAddress("127.0.0.1", port));
        ScenarioAlerts alerts = ScenarioAlerts.start(c)) {
      for (ClusterProcess g : c.gateways()) {
        redirects.add(LinkRedirect.redirect(g.name() + "-to-victim", g.pid(), Map.of(port, proxy.port())));
      }
      long failedAt;
      long healedAt;
      run.faultBegins(v.hostPort() + " resets every gateway connection");
      try {
        proxy.resetNew(true);
        proxy.reset();
        failedAt = System.nanoTime();
        run.crashed(v.instanceId()); // requests in flight to it now fail
        long deadline = failedAt + EJECT_TIMEOUT.toNanos();
        while (!c.gateways().stream().allMatch(g -> GatewayAdmin.instance(g, v.hostPort())
            .map(i -> i.listed() && !i.inRotation()).orElse(false))) {
          if (System.nanoTime() > deadline) {
            out.miss("the gateways did not eject " + v.hostPort() + " within " + EJECT_TIMEOUT.toSeconds() + " s");
            break;
          }
          run.pause(Duration.ofMillis(100));
        }
        out.outOfRotation(Duration.ofNanos(System.nanoTime() - failedAt));
        run.faults().event("both gateways took " + v.hostPort() + " out of rotation (ejected or breaker open)");
      } finally {
        proxy.heal();
        healedAt = System.nanoTime();
        run.faultEnds(v.hostPort() + " answers the gateways again");
      }
      long deadline = healedAt + RECOVER_TIMEOUT.toNanos();
      long accepted = proxy.accepted();
      Optional<Duration> back = Optional.empty();
      while (System.nanoTime() < deadline) {
        boolean all = c.gateways().stream().allMatch(g -> GatewayAdmin.instance(g, v.hostPort())
            .map(GatewayAdmin.InstanceView::inRotation).orElse(false));
        if (all && proxy.accepted() > accepted) {
          back = Optional.of(Duration.ofNanos(System.nanoTime() - healedAt));
          break;
        }
        run.pause(Duration.ofMillis(100));
      }
      if (back.isEmpty()) {
        out.miss(v.hostPort() + " not back in rotation on both gateways " + RECOVER_TIMEOUT.toSeconds()
            + " s after the heal");
      } else {
        out.note(String.format("back in rotation on both gateways %.1f s after the heal (target %d s)",
            back.get().toMillis() / 1000.0, RECOVERY_TARGET_SECONDS));
        if (back.get().toSeconds() > RECOVERY_TARGET_SECONDS) {
          out.miss("back in rotation after " + back.get().toSeconds() + " s > " + RECOVERY_TARGET_SECONDS + " s");
        }
      }
      out.note("proxy: " + proxy.accepted() + " gateway connections, " + proxy.resets() + " reset");
      out.note(alerts.note());
    } finally {
      for (LinkRedirect r : redirects) {
        r.heal();
      }
    }
    return out.build();
  }
}
