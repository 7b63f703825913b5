package dev.vertice.gateway.metrics;

import dev.vertice.gateway.balancer.ZoneAwareBalancer;
import dev.vertice.gateway.proxy.ProxyObserver;
import dev.vertice.gateway.resilience.Breaker;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * {@code GatewayMetrics} turns the gateway's {@link ProxyObserver} events and its per-service
 * circuit breakers into Micrometer meters (Prometheus names in parentheses):
 *
 * <ul>
 *   <li>{@code vertice.gateway.requests{service,version,code_class}} ({@code
 *       vertice_gateway_requests_total}): every finished request to a known service, once, with its
 *       final status after retries; {@code version} is the version of the instance that answered,
 *       {@code none} when the gateway answered itself (502/503/504); {@code code_class} is {@code
 *       1xx}..{@code 5xx}. Requests naming no known service are not counted (the label would be
 *       unbounded).
 *   <li>{@code vertice.gateway.request{service}} ({@code vertice_gateway_request_seconds}): time at
 *       the gateway, fixed buckets 1 ms..10 s.
 *   <li>{@code vertice.gateway.upstream{service}} ({@code vertice_gateway_upstream_seconds}): time
 *       of each upstream attempt, same buckets.
 *   <li>{@code vertice.gateway.retries{service}}, {@code vertice.gateway.outlier.ejections{service}}.
 *   <li>{@code vertice.gateway.circuit.breaker.state{service,state}}: 1 for the per-service
 *       breaker's current state ({@code closed|open|half_open}), 0 for the others; {@code
 *       vertice.gateway.circuit.breaker.transitions{service,to}}.
 *   <li>{@code vertice.gateway.zone.requests{zone,locality}} ({@code
 *       vertice_gateway_zone_requests_total}): with zone-aware routing on, the upstream attempts
 *       routed to each zone; {@code locality} is {@code local} or {@code remote}, {@code zone} the
 *       instance's zone ({@code none} for instances without one). At most {@value #MAX_ZONES} zones
 *       are named; attempts to further zones count under {@code zone="other"}.
 * </ul>
 *
 * <p>Meters are cached per service (and version), so the request path looks them up in concurrent
 * maps without allocating once a service has been seen.
 */
public final class GatewayMetrics implements ProxyObserver {

  /** {@code LATENCY_BUCKETS} are the fixed histogram buckets of the request and upstream times. */
  public static final Duration[] LATENCY_BUCKETS = {
      Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
      Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
      Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
      Duration.ofSeconds(10)};

  /** The most zones named in {@code vertice.gateway.zone.requests}; further zones count as {@code other}. */
  public static final int MAX_ZONES = 32;

  private static final String[] CLASSES = {"1xx", "2xx", "3xx", "4xx", "5xx"};
  private static final String[] STATES = {"closed", "open", "half_open"};

  private final MeterRegistry registry;
  private final ConcurrentHashMap<String, ServiceMeters> services = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Counter[]> zones = new ConcurrentHashMap<>();

  /** {@code GatewayMetrics} registers its meters in {@code registry}. */
  public GatewayMetrics(MeterRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  /** {@code registry} returns the registry the meters are in. */
  public MeterRegistry registry() {
    return registry;
  }

  private ServiceMeters service(String service) {
    ServiceMeters m = services.get(service);
    return m != null ? m : services.computeIfAbsent(service, ServiceMeters::new);
  }

  @Override
  public void requestFinished(String service, String version, int status, long nanos) {
    ServiceMeters m = service(service);
    int c = status / 100 - 1;
    if (c < 0 || c >= CLASSES.length) {
      c = 4;
    }
    String v = version == null || version.isEmpty() ? VERSION_NONE : version;
    Counter[] byClass = m.requests.get(v);
    if (byClass == null) {
      byClass = m.requests.computeIfAbsent(v, x -> new Counter[CLASSES.length]);
    }
    Counter counter = byClass[c];
    if (counter == null) {
      counter = Counter.builder("vertice.gateway.requests").tag("service", service).tag("version", v)
          .tag("code_class", CLASSES[c]).description("Requests through the gateway, by final status class")
          .register(registry);
      byClass[c] = counter; // a benign race: registering twice returns the same meter
    }
    counter.increment();
    m.request.record(nanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void attemptFinished(String service, long nanos) {
    service(service).upstream.record(nanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void retried(String service) {
    service(service).retries.increment();
  }

  @Override
  public void ejected(String service) {
    service(service).ejections.increment();
  }

  /**
   * {@code serviceBreaker} exports the state and transitions of {@code service}'s circuit breaker
   * (called once per breaker, when the gateway creates it).
   */
  public void serviceBreaker(String service, Breaker breaker) {
    for (String s : STATES) {
      Gauge.builder("vertice.gateway.circuit.breaker.state", breaker, b -> stateName(b.state()).equals(s) ? 1 : 0)
          .tag("service", service).tag("state", s)
          .description("1 for the current state of the service's circuit breaker at this gateway")
          .register(registry);
    }
    breaker.onTransition(to -> Counter.builder("vertice.gateway.circuit.breaker.transitions")
        .tag("service", service).tag("to", stateName(to))
        .description("State changes of the service's circuit breaker at this gateway").register(registry)
        .increment());
  }

  /**
   * {@code zoneObserver} returns the observer that counts zone-aware picks in {@code
   * vertice.gateway.zone.requests}; allocation-free once a zone has been seen.
   */
  public ZoneAwareBalancer.ZoneObserver zoneObserver() {
    return (zone, local) -> {
      Counter[] c = zones.get(zone);
      if (c == null) {
        c = zoneCounters(zone);
      }
      c[local ? 0 : 1].increment();
    };
  }

  private Counter[] zoneCounters(String zone) {
    String label = zone.isEmpty() ? "none" : zone;
    if (zones.size() >= MAX_ZONES) {
      // Past the bound, further zones share one pair of counters (kept under their own key, so the
      // map stops growing too).
      Counter[] other = zones.get("\0other");
      return other != null ? other : zones.computeIfAbsent("\0other", k -> newZoneCounters("other"));
    }
    return zones.computeIfAbsent(zone, k -> newZoneCounters(label));
  }

  private Counter[] newZoneCounters(String label) {
    Counter[] c = new Counter[2];
    for (int i = 0; i < 2; i++) {
      c[i] = Counter.builder("vertice.gateway.zone.requests").tag("zone", label).tag("locality", i == 0 ? "local" : "remote")
          .description("Upstream attempts routed by zone-aware routing, by the instance's zone").register(registry);
    }
    return c;
  }

  /** {@code stateName} is the label value of a breaker state (closed, open, half_open, ...). */
  static String stateName(CircuitBreaker.State s) {
    return s.name().toLowerCase(Locale.ROOT);
  }

  private final class ServiceMeters {
    final ConcurrentHashMap<String, Counter[]> requests = new ConcurrentHashMap<>();
    final Timer request;
    final Timer upstream;
    final Counter retries;
    final Counter ejections;

    ServiceMeters(String service) {
      this.request = Timer.builder("vertice.gateway.request").tag("service", service)
          .description("Time of requests at the gateway, retries included").serviceLevelObjectives(LATENCY_BUCKETS)
          .register(registry);
      this.upstream = Timer.builder("vertice.gateway.upstream").tag("service", service)
          .description("Time of each upstream attempt").serviceLevelObjectives(LATENCY_BUCKETS).register(registry);
      this.retries = Counter.builder("vertice.gateway.retries").tag("service", service)
          .description("Upstream attempts retried").register(registry);
      this.ejections = Counter.builder("vertice.gateway.outlier.ejections").tag("service", service)
          .description("Instances ejected by outlier detection").register(registry);
    }
  }
}
