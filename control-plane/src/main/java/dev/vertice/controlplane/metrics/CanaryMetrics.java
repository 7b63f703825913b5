package dev.vertice.controlplane.metrics;

import dev.vertice.canary.Decision;
import dev.vertice.canary.DecisionKind;
import dev.vertice.canary.Rollout;
import dev.vertice.controlplane.canary.CanaryController;
import dev.vertice.controlplane.canary.RolloutListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code CanaryMetrics} exports the rollouts of the {@link CanaryController} (Prometheus names):
 * {@code vertice_canary_candidate_weight{service}} and {@code vertice_canary_stage{service}}
 * (gauges, present only while the service has an active rollout: removed when it ends), and
 * {@code vertice_canary_decisions_total{service,kind}} ({@code kind} = promote, hold, wait, fail,
 * rollback: each decision the analysis or an operator made, a repeated hold/wait included).
 *
 * <p>Every replica exports the gauges: they follow the rollouts as written to the (in Redis,
 * shared) rollout store, whichever replica holds the canary lease, so that a scrape of any replica
 * shows where each rollout stands. Decisions are made, and counted, only by the replica holding the
 * lease: counting them on every replica would multiply their sum by the number of replicas. {@link
 * #bind} seeds the gauges from the active rollouts.
 */
public final class CanaryMetrics implements RolloutListener {

  private final MeterRegistry registry;
  private final Map<String, Active> active = new ConcurrentHashMap<>();
  private final Map<String, Counter> decisions = new ConcurrentHashMap<>();

  /** {@code CanaryMetrics} registers its meters in {@code registry}. */
  public CanaryMetrics(MeterRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  /**
   * {@code bind} seeds the gauges from {@code controller}'s active rollouts, follows the rollouts
   * written to its store (by any replica) and counts the decisions it commits.
   */
  public void bind(CanaryController controller) {
    controller.addListener(this);
    controller.addStoreListener(this::update);
    for (Rollout r : controller.list(null, true)) {
      update(r);
    }
  }

  @Override
  public void committed(Rollout before, Rollout after) {
    Decision d = after.lastDecision();
    if (d != null && !d.equals(before.lastDecision())) {
      decision(after.spec().service(), d.kind()).increment();
    }
    update(after);
  }

  private Counter decision(String service, DecisionKind kind) {
    String k = kind.name().toLowerCase(Locale.ROOT);
    return decisions.computeIfAbsent(service + '\n' + k, x -> Counter.builder("vertice.canary.decisions")
        .tag("service", service).tag("kind", k).description("Decisions of canary rollouts, by kind")
        .register(registry));
  }

  private synchronized void update(Rollout r) {
    String service = r.spec().service();
    if (!r.isActive()) {
      Active a = active.get(service);
      if (a != null && a.rolloutId.equals(r.id())) {
        active.remove(service);
        a.meters.forEach(registry::remove);
      }
      return;
    }
    Active a = active.get(service);
    if (a == null || !a.rolloutId.equals(r.id())) {
      if (a != null) {
        a.meters.forEach(registry::remove);
      }
      a = new Active(r.id(), service);
      active.put(service, a);
    }
    a.weight = r.candidateWeight();
    a.stage = r.stage();
  }

  private final class Active {
    final String rolloutId;
    final List<Meter> meters;
    volatile int weight;
    volatile int stage;

    Active(String rolloutId, String service) {
      this.rolloutId = rolloutId;
      this.meters = List.of(
          Gauge.builder("vertice.canary.candidate.weight", this, x -> x.weight).tag("service", service)
              .description("Percentage of the service's traffic sent to the candidate by its active rollout")
              .register(registry),
          Gauge.builder("vertice.canary.stage", this, x -> x.stage).tag("service", service)
              .description("Stage (0-based) of the service's active rollout").register(registry));
    }
  }
}
