package dev.vertice.controlplane.metrics;

import dev.vertice.common.ResourceTypes;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.push.ConvergenceListener;
import dev.vertice.controlplane.push.PushEngine;
import dev.vertice.controlplane.registry.RegistryEvents;
import dev.vertice.controlplane.registry.RegistryView;
import dev.vertice.controlplane.registry.RemovalReason;
import dev.vertice.controlplane.store.redis.RedisRegistryStore;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * {@code ControlPlaneMetrics} exports the control plane's activity to a Micrometer registry.
 *
 * <p>Create it first, hand it to {@link ControlPlane.Builder#registryEvents} and {@link
 * ControlPlane.Builder#convergenceListener}, then {@link #bind} the built control plane for the
 * gauges. Every label comes from a bounded set: resource type (two short names), node kind (the
 * known kinds, else "other"), removal reason, result.
 *
 * <p>Exported (Prometheus names): {@code vertice_registrations_total{result}}, {@code
 * vertice_deregistrations_total}, {@code vertice_keepalives_total}, {@code
 * vertice_lease_expirations_total{reason="ttl"|"grace"}}, {@code vertice_instances}, {@code
 * vertice_services}, {@code vertice_watch_streams}, {@code vertice_push_responses_total}, {@code
 * vertice_push_resources_total}, {@code vertice_watch_answers_total{type,node_kind,answer}}, {@code
 * vertice_push_convergence_seconds{type}} (histogram: change to the last subscriber's answer),
 * {@code vertice_push_convergence_abandoned_total{type}}, {@code vertice_push_pending_values},
 * {@code vertice_push_tracked_changes}, {@code vertice_store_following}, {@code
 * vertice_store_circuit_breaker_state{state}} (Redis store only); the rollouts' metrics (see
 * {@link CanaryMetrics}) and the autoscaling signals (see {@link AutoscaleMetrics}).
 */
public final class ControlPlaneMetrics implements RegistryEvents, ConvergenceListener {

  /** Node kinds exported as themselves; any other kind is exported as "other". */
  public static final Set<String> KNOWN_NODE_KINDS = Set.of("gateway", "sidecar", "client", "xds", "bench");

  /** Histogram buckets of convergence time. */
  static final Duration[] CONVERGENCE_BUCKETS = {
      Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
      Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
      Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
      Duration.ofSeconds(10)};

  private final MeterRegistry registry;
  private final Counter created;
  private final Counter updated;
  private final Counter deregistrations;
  private final Counter keepalives;
  private final Map<RemovalReason, Counter> expirations = new EnumMap<>(RemovalReason.class);
  private final Map<String, Timer> convergence = new ConcurrentHashMap<>();
  private final Map<String, Counter> abandoned = new ConcurrentHashMap<>();
  /** Per ACK: looked up by type URL and node-kind label, [ACK, NACK], with no allocation. */
  private final Map<String, Map<String, Counter[]>> answers = new ConcurrentHashMap<>();

  /** Creates the event meters in {@code registry}. */
  public ControlPlaneMetrics(MeterRegistry registry) {
    this.registry = registry;
    created = Counter.builder("vertice.registrations").tag("result", "created")
        .description("Register calls that added an instance").register(registry);
    updated = Counter.builder("vertice.registrations").tag("result", "updated")
        .description("Register calls that updated an existing instance").register(registry);
    deregistrations = Counter.builder("vertice.deregistrations")
        .description("Instances removed by Deregister").register(registry);
    keepalives = Counter.builder("vertice.keepalives").description("Lease renewals").register(registry);
    expirations.put(RemovalReason.EXPIRED, Counter.builder("vertice.lease.expirations").tag("reason", "ttl")
        .description("Instances removed because their lease expired").register(registry));
    expirations.put(RemovalReason.GRACE_EXPIRED, Counter.builder("vertice.lease.expirations")
        .tag("reason", "grace").description("Instances removed because their lease expired").register(registry));
    for (String type : new String[] {ResourceTypes.ENDPOINTS, ResourceTypes.TRAFFIC_POLICY}) {
      convergence(type);
      abandoned(type);
    }
  }

  /** Adds the gauges that read the control plane's state. */
  public void bind(ControlPlane controlPlane) {
    new CanaryMetrics(registry).bind(controlPlane.canary());
    StatsMetrics.bind(registry, controlPlane);
    new AutoscaleMetrics(registry).bind(controlPlane.autoscale());
    RegistryView view = controlPlane.registry();
    PushEngine engine = controlPlane.engine();
    Gauge.builder("vertice.instances", view, RegistryView::instanceCount)
        .description("Instances in the registry").register(registry);
    Gauge.builder("vertice.services", view, v -> v.services().size())
        .description("Services with at least one instance").register(registry);
    Gauge.builder("vertice.watch.streams", engine, e -> e.stats().subscribers())
        .description("Open Watch streams").register(registry);
    Gauge.builder("vertice.push.pending.values", engine, e -> e.stats().pendingValues())
        .description("Resource values waiting to be sent, over all Watch streams").register(registry);
    Gauge.builder("vertice.push.tracked.changes", engine, e -> e.stats().waitingChanges())
        .description("Changes whose convergence is still being tracked").register(registry);
    FunctionCounter.builder("vertice.push.responses", engine, e -> e.stats().batchesSent())
        .description("Watch responses sent").register(registry);
    FunctionCounter.builder("vertice.push.resources", engine, e -> e.stats().resourcesSent())
        .description("Resources and removals sent on Watch streams").register(registry);
    Gauge.builder("vertice.store.following", controlPlane, cp -> cp.store().following() ? 1 : 0)
        .description("1 while this replica follows the shared store (reads are current), else 0")
        .register(registry);
    if (controlPlane.store() instanceof RedisRegistryStore redis) {
      for (CircuitBreaker.State state : new CircuitBreaker.State[] {
          CircuitBreaker.State.CLOSED, CircuitBreaker.State.OPEN, CircuitBreaker.State.HALF_OPEN}) {
        Gauge.builder("vertice.store.circuit.breaker.state", redis, r -> r.breakerState() == state ? 1 : 0)
            .tag("state", state.name().toLowerCase())
            .description("1 for the Redis store breaker's current state, 0 for the others").register(registry);
      }
    }
  }

  @Override
  public void onRegistered(String service, String instanceId, boolean isNew) {
    (isNew ? created : updated).increment();
  }

  @Override
  public void onRemoved(String service, String instanceId, RemovalReason reason) {
    if (reason == RemovalReason.DEREGISTERED) {
      deregistrations.increment();
    } else {
      expirations.get(reason).increment();
    }
  }

  @Override
  public void onKeepAlive() {
    keepalives.increment();
  }

  @Override
  public void onSubscriberAnswered(String typeUrl, String nodeKind, long nanos, boolean nacked) {
    Map<String, Counter[]> byKind = answers.get(typeUrl);
    if (byKind == null) {
      byKind = answers.computeIfAbsent(typeUrl, t -> new ConcurrentHashMap<>());
    }
    // Keyed by the label, not the client's string: a client cannot grow the map.
    String kind = KNOWN_NODE_KINDS.contains(nodeKind) ? nodeKind : "other";
    Counter[] counters = byKind.get(kind);
    if (counters == null) {
      counters = byKind.computeIfAbsent(kind, k -> answerCounters(typeUrl, k));
    }
    counters[nacked ? 1 : 0].increment();
  }

  /** The ACK and NACK counters of a type and node kind; Micrometer returns the same meter for equal tags. */
  private Counter[] answerCounters(String typeUrl, String kind) {
    String type = shortType(typeUrl);
    Counter[] out = new Counter[2];
    for (int i = 0; i < 2; i++) {
      out[i] = Counter.builder("vertice.watch.answers").tag("type", type).tag("node_kind", kind)
          .tag("answer", i == 0 ? "ack" : "nack")
          .description("Watch responses ACKed or NACKed by subscribers").register(registry);
    }
    return out;
  }

  @Override
  public void onConverged(String typeUrl, String name, long version, long nanos, int subscribers) {
    convergence(typeUrl).record(nanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void onAbandoned(String typeUrl, String name, long version) {
    abandoned(typeUrl).increment();
  }

  private Timer convergence(String typeUrl) {
    String type = shortType(typeUrl);
    return convergence.computeIfAbsent(type, t -> Timer.builder("vertice.push.convergence").tag("type", t)
        .description("Time from a change to the answer of the last Watch subscriber that needed it")
        .serviceLevelObjectives(CONVERGENCE_BUCKETS).register(registry));
  }

  private Counter abandoned(String typeUrl) {
    String type = shortType(typeUrl);
    return abandoned.computeIfAbsent(type, t -> Counter.builder("vertice.push.convergence.abandoned").tag("type", t)
        .description("Changes dropped before converging (newer changes or departed subscribers)")
        .register(registry));
  }

  /** Returns the bounded label value of a type URL: "endpoints", "traffic_policy" or "other". */
  static String shortType(String typeUrl) {
    if (ResourceTypes.ENDPOINTS.equals(typeUrl)) {
      return "endpoints";
    }
    if (ResourceTypes.TRAFFIC_POLICY.equals(typeUrl)) {
      return "traffic_policy";
    }
    return "other";
  }
}
