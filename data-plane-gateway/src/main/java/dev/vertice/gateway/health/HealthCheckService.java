package dev.vertice.gateway.health;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.client.ServiceSnapshot;
import dev.vertice.common.ServiceNames;
import dev.vertice.common.Ticker;
import dev.vertice.gateway.health.HealthReport.InstanceReport;
import dev.vertice.gateway.health.HealthReport.InstanceStatus;
import dev.vertice.gateway.health.HealthReport.Layer;
import dev.vertice.gateway.health.HealthReport.Status;
import dev.vertice.gateway.health.internal.GrpcProber;
import dev.vertice.gateway.health.internal.HttpProber;
import dev.vertice.gateway.health.internal.ProbeLimiter;
import dev.vertice.gateway.health.internal.RoundRateLimit;
import dev.vertice.gateway.health.internal.Probes;
import dev.vertice.gateway.health.internal.RedisLayer;
import dev.vertice.gateway.resilience.TickerClock;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code HealthCheckService} answers "is this service healthy?" from three layers before probing:
 *
 * <ol>
 *   <li><b>Layer 1</b>, an in-process Caffeine cache ({@link HealthCheckConfig#cacheTtl()}, 5 s);
 *   <li><b>Layer 2</b>, Redis shared by every gateway ({@link HealthCheckConfig#redisTtl()}, 30 s),
 *       only when a Redis URI is configured: an answer another gateway probed serves this one;
 *   <li><b>Layer 3</b>, a resilience4j circuit breaker per service: while it is open (too many
 *       failed checks) the last answer (or NOT_SERVING) comes back at once, without probing.
 * </ol>
 *
 * A miss probes the service's instances, as found in the routing snapshot (the {@link
 * InstanceSource}, normally {@code WatchClient::get}): HTTP instances with {@code GET} on their
 * health path, gRPC instances with {@code grpc.health.v1.Health/Check}. Probes are bounded in time
 * (per probe and per check) and in number (in flight and queued, across services; instances per
 * check). Concurrent misses of one service share one probe round. Probe rounds start at most
 * {@link HealthCheckConfig#maxProbeRoundsPerSecond()} a second over every service and caller (a
 * miss is cheap to cause: any name not asked lately); a miss beyond is answered {@link
 * Status#RATE_LIMITED} at once and changes nothing. A service the snapshot does not hold is
 * answered {@link Status#UNKNOWN_SERVICE} at once.
 *
 * <p>A check fails (for the breaker) when no probed instance answered healthy. Time (cache
 * lifetimes, answer ages, the breaker's open period) comes from the injected {@link Ticker}; the
 * network timeouts of the probes and of Redis run on real time. Thread-safe; {@link #check} never
 * blocks.
 *
 * <p><b>Metrics</b> (with a {@link Builder#meterRegistry meter registry}): {@code
 * vertice_gateway_health_checks_total{layer}}, {@code vertice_gateway_health_check_seconds{layer}}
 * (a histogram of answer times: from the call to the answer) and {@code
 * vertice_gateway_health_cache_redis_errors_total}; {@code layer} is {@code probe}, {@code memory},
 * {@code redis}, {@code circuit_breaker} or {@code snapshot}. {@code
 * vertice_gateway_health_breaker_state{service}} is each checked service's breaker: 0 closed, 1
 * open, 2 half-open (one series per service holding a breaker, at most {@link
 * HealthCheckConfig#maxServices()}; it goes with the breaker).
 */
public final class HealthCheckService implements AutoCloseable {

  private static final Logger log = Logger.getLogger(HealthCheckService.class.getName());

  /**
   * {@code InstanceSource} returns the routing snapshot of a canonical service name, or empty when
   * the snapshot holds no instance of it; {@code WatchClient::get} is one. Must not block.
   */
  @FunctionalInterface
  public interface InstanceSource {
    /** {@code get} returns the snapshot of {@code service}, or empty. */
    Optional<ServiceSnapshot> get(String service);
  }

  /** A layer-1 entry: an answer, where it came from, and how old it was when obtained. */
  private static final class Entry {
    final HealthReport report;
    final Layer origin;
    final long obtainedNanos;
    final long ageAtObtainNanos;
    final long ttlNanos;
    // The first caller to take the entry is told its origin; every later one was served by layer 1.
    final AtomicBoolean taken = new AtomicBoolean();

    Entry(HealthReport report, Layer origin, long obtainedNanos, long ageAtObtainNanos, long ttlNanos) {
      this.report = report;
      this.origin = origin;
      this.obtainedNanos = obtainedNanos;
      this.ageAtObtainNanos = ageAtObtainNanos;
      this.ttlNanos = Math.max(0, ttlNanos);
    }
  }

  /** Per-service state: its breaker and its last probed answer (for the open breaker to give). */
  private static final class ServiceState {
    final CircuitBreaker breaker;
    /** Its {@code vertice_gateway_health_breaker_state} gauge, removed with the state; null without meters. */
    final Gauge gauge;
    volatile Entry lastProbe;

    ServiceState(CircuitBreaker breaker, Gauge gauge) {
      this.breaker = breaker;
      this.gauge = gauge;
    }
  }

  private ServiceState newState(String name) {
    CircuitBreaker breaker = CircuitBreaker.of("health-" + name, breakerConfig);
    Gauge gauge = meters == null ? null : Gauge.builder("vertice.gateway.health.breaker.state", breaker,
            b -> switch (b.getState()) {
              case OPEN, FORCED_OPEN -> 1;
              case HALF_OPEN -> 2;
              default -> 0;
            })
        .tag("service", name)
        .description("State of the health-check breaker of one service: 0 closed, 1 open, 2 half-open")
        .register(meters);
    return new ServiceState(breaker, gauge);
  }

  /** The exception recorded by a breaker for a check with no healthy instance. */
  private static final class CheckFailed extends RuntimeException {
    CheckFailed(String service) {
      super("no healthy instance of " + service, null, false, false);
    }
  }

  private final HealthCheckConfig config;
  private final InstanceSource source;
  private final Ticker ticker;
  private final CircuitBreakerConfig breakerConfig;
  private final AsyncCache<String, Entry> layer1;
  private final Cache<String, ServiceState> states;
  private final RedisLayer layer2;
  private final ProbeLimiter limiter;
  private final RoundRateLimit rounds;
  private final ExecutorService httpExecutor;
  private final HttpProber http;
  private final GrpcProber grpc;
  private final AtomicLong probes = new AtomicLong();
  private final MeterRegistry meters;
  private final EnumMap<Layer, Counter> answered;
  private final EnumMap<Layer, Timer> answerTimes;

  private HealthCheckService(Builder b) {
    this.config = b.config;
    this.source = b.source;
    this.ticker = b.ticker;
    this.meters = b.meters;
    TickerClock clock = new TickerClock(ticker);
    this.breakerConfig = CircuitBreakerConfig.custom()
        .slidingWindow(config.breakerWindow(), config.breakerMinimumCalls(),
            CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
        .failureRateThreshold(config.breakerFailureRate())
        .waitDurationInOpenState(config.breakerOpenDuration())
        .permittedNumberOfCallsInHalfOpenState(1)
        .clock(clock)
        .currentTimestampFunction(c -> ticker.nanoTime(), TimeUnit.NANOSECONDS)
        .build();
    this.layer1 = Caffeine.newBuilder().ticker(ticker::nanoTime).executor(Runnable::run)
        .maximumSize(config.maxServices())
        .expireAfter(new Expiry<String, Entry>() {
          @Override
          public long expireAfterCreate(String key, Entry e, long now) {
            return e.ttlNanos;
          }

          @Override
          public long expireAfterUpdate(String key, Entry e, long now, long current) {
            return e.ttlNanos;
          }

          @Override
          public long expireAfterRead(String key, Entry e, long now, long current) {
            return current;
          }
        }).buildAsync();
    // Breakers must outlive their open period, so they expire only well after last use.
    this.states = Caffeine.newBuilder().ticker(ticker::nanoTime).executor(Runnable::run)
        .maximumSize(config.maxServices())
        .expireAfterAccess(config.breakerOpenDuration().plus(config.redisTtl()).plusMinutes(10))
        .removalListener((String name, ServiceState state, com.github.benmanes.caffeine.cache.RemovalCause cause) -> {
          if (state != null && state.gauge != null) {
            meters.remove(state.gauge);
          }
        }).build();
    Counter redisErrors = b.meters == null ? null
        : Counter.builder("vertice.gateway.health.cache.redis.errors")
            .description("Health-check layer 2 (Redis) reads and writes that failed or timed out").register(b.meters);
    this.layer2 = config.redisUri().map(u -> new RedisLayer(u, config.redisTimeout(), config.redisKeyPrefix(),
        redisErrors == null ? () -> { } : redisErrors::increment)).orElse(null);
    this.answered = b.meters == null ? null : new EnumMap<>(Layer.class);
    this.answerTimes = b.meters == null ? null : new EnumMap<>(Layer.class);
    if (b.meters != null) {
      for (Layer l : Layer.values()) {
        answered.put(l, Counter.builder("vertice.gateway.health.checks").tag("layer", l.jsonName())
            .description("Health-check answers, by the layer that gave them").register(b.meters));
        answerTimes.put(l, Timer.builder("vertice.gateway.health.check").tag("layer", l.jsonName())
            .description("Health-check answer time, by the layer that gave it").publishPercentileHistogram()
            .register(b.meters));
      }
    }
    this.limiter = new ProbeLimiter(config.maxConcurrentProbes(), config.maxQueuedProbes());
    this.rounds = new RoundRateLimit(ticker, config.maxProbeRoundsPerSecond());
    this.httpExecutor = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "vertice-health-http");
      t.setDaemon(true);
      return t;
    });
    this.http = new HttpProber(httpExecutor, config.probeTimeout(), ticker);
    this.grpc = new GrpcProber(config.maxServices(), ticker);
  }

  /** {@code builder} returns a builder; an {@link InstanceSource} must be set. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * {@code check} answers whether {@code service} (any accepted spelling) is healthy. Never
   * blocks; the future never fails. A name with no canonical form is answered {@link
   * Status#INVALID_NAME}, a service the snapshot does not hold {@link Status#UNKNOWN_SERVICE}.
   */
  public CompletableFuture<HealthReport> check(String service) {
    if (answered == null) {
      return answer(service);
    }
    long start = ticker.nanoTime();
    return answer(service).thenApply(r -> {
      answered.get(r.layer()).increment();
      answerTimes.get(r.layer()).record(ticker.nanoTime() - start, TimeUnit.NANOSECONDS);
      return r;
    });
  }

  private CompletableFuture<HealthReport> answer(String service) {
    Optional<String> canonical = ServiceNames.normalize(service);
    if (canonical.isEmpty()) {
      return CompletableFuture.completedFuture(new HealthReport(String.valueOf(service), Status.INVALID_NAME,
          Layer.SNAPSHOT, Duration.ZERO, "none", 0, List.of()));
    }
    String name = canonical.get();
    Optional<ServiceSnapshot> snapshot = source.get(name);
    if (snapshot.isEmpty() || snapshot.get().instances().isEmpty()) {
      return CompletableFuture.completedFuture(new HealthReport(name, Status.UNKNOWN_SERVICE, Layer.SNAPSHOT,
          Duration.ZERO, breakerName(states.getIfPresent(name)), 0, List.of()));
    }
    CompletableFuture<Entry> f = layer1.get(name, (k, executor) -> load(k, snapshot.get()));
    return f.handle((e, t) -> {
      if (t != null) {
        // load() never fails; this would be a bug, answered as such rather than hanging the caller.
        log.log(Level.WARNING, "health check of " + name + " failed", t);
        return new HealthReport(name, Status.NOT_SERVING, Layer.PROBE, Duration.ZERO, breakerName(states.getIfPresent(name)),
            0, List.of());
      }
      Layer layer = e.origin == Layer.CIRCUIT_BREAKER || e.taken.compareAndSet(false, true) ? e.origin : Layer.MEMORY;
      return e.report.withOrigin(layer, age(e), breakerName(states.getIfPresent(name)));
    });
  }

  /** {@code probesStarted} returns how many instance probes this service has started. */
  public long probesStarted() {
    return probes.get();
  }

  /** {@code breakerState} returns the state of {@code service}'s breaker, or empty when it has none yet. */
  public Optional<CircuitBreaker.State> breakerState(String service) {
    ServiceState s = ServiceNames.normalize(service).map(states::getIfPresent).orElse(null);
    return s == null ? Optional.empty() : Optional.of(s.breaker.getState());
  }

  private CompletableFuture<Entry> load(String name, ServiceSnapshot snapshot) {
    if (layer2 == null) {
      return afterLayer2(name, snapshot);
    }
    return layer2.read(name).thenCompose(stored -> {
      if (stored.isPresent()) {
        Duration remaining = stored.get().remaining();
        long age = Math.max(0, config.redisTtl().minus(remaining).toNanos());
        try {
          HealthReport r = HealthReportJson.fromStored(stored.get().value(), Layer.REDIS, Duration.ZERO, "none");
          if (r.service().equals(name)) {
            // Layer 1 never keeps an answer past its Redis lifetime.
            long ttl = Math.min(config.cacheTtl().toNanos(), remaining.toNanos());
            return CompletableFuture.completedFuture(new Entry(r, Layer.REDIS, ticker.nanoTime(), age, ttl));
          }
          log.warning("health layer 2 holds a report of '" + r.service() + "' under '" + name + "'; ignored");
        } catch (IllegalArgumentException e) {
          log.log(Level.WARNING, "health layer 2 holds an unreadable report for " + name + "; ignored", e);
        }
      }
      return afterLayer2(name, snapshot);
    });
  }

  private CompletableFuture<Entry> afterLayer2(String name, ServiceSnapshot snapshot) {
    ServiceState state = states.get(name, this::newState);
    CircuitBreaker breaker = state.breaker;
    if (!breaker.tryAcquirePermission()) {
      // Open: answer at once from what the last probe saw, kept by nothing (ttl 0) so that the
      // breaker is asked again on the next check.
      Entry last = state.lastProbe;
      HealthReport r = last != null ? last.report
          : new HealthReport(name, Status.NOT_SERVING, Layer.CIRCUIT_BREAKER, Duration.ZERO, "open", 0, List.of());
      long age = last != null ? age(last).toNanos() : 0;
      return CompletableFuture.completedFuture(new Entry(r, Layer.CIRCUIT_BREAKER, ticker.nanoTime(), age, 0));
    }
    if (!rounds.tryAcquire()) {
      // Anyone can make a miss (a service not asked lately): probing every instance on each would let
      // them drive probe traffic. Refused, nothing probed or kept (ttl 0), the breaker untouched.
      breaker.releasePermission();
      HealthReport r = new HealthReport(name, Status.RATE_LIMITED, Layer.SNAPSHOT, Duration.ZERO,
          breakerName(state), 0, List.of());
      return CompletableFuture.completedFuture(new Entry(r, Layer.SNAPSHOT, ticker.nanoTime(), 0, 0));
    }
    long start = ticker.nanoTime();
    return probeAll(snapshot).thenApply(report -> {
      long took = ticker.nanoTime() - start;
      if (report.status() == Status.NOT_SERVING) {
        breaker.onError(took, TimeUnit.NANOSECONDS, new CheckFailed(name));
      } else {
        breaker.onSuccess(took, TimeUnit.NANOSECONDS);
      }
      Entry e = new Entry(report, Layer.PROBE, ticker.nanoTime(), 0, config.cacheTtl().toNanos());
      state.lastProbe = e;
      if (layer2 != null) {
        // Not awaited: the caller has its answer; the write is bounded by the Redis timeout.
        layer2.write(name, HealthReportJson.toStored(report), config.redisTtl());
      }
      return e;
    });
  }

  private CompletableFuture<HealthReport> probeAll(ServiceSnapshot snapshot) {
    List<Instance> all = snapshot.instances();
    List<Instance> probed = all.subList(0, Math.min(all.size(), config.maxInstancesPerCheck()));
    long deadline = System.nanoTime() + config.checkTimeout().toNanos();
    List<CompletableFuture<InstanceReport>> results = new ArrayList<>(probed.size());
    for (Instance i : probed) {
      results.add(limiter.submit(() -> probe(i, deadline),
          () -> Probes.notProbed(i, "not probed: " + config.maxQueuedProbes() + " probes already queued")));
    }
    return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).handle((v, t) -> {
      List<InstanceReport> reports = new ArrayList<>(results.size());
      for (int k = 0; k < results.size(); k++) {
        CompletableFuture<InstanceReport> r = results.get(k);
        reports.add(r.isCompletedExceptionally()
            ? Probes.notProbed(probed.get(k), "probe failed: " + Probes.describe(r.handle((x, e) -> e).join(),
                config.probeTimeout()))
            : r.join());
      }
      return new HealthReport(snapshot.service(), overall(reports), Layer.PROBE, Duration.ZERO, "none",
          all.size(), reports);
    });
  }

  private CompletableFuture<InstanceReport> probe(Instance i, long deadline) {
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      return CompletableFuture.completedFuture(Probes.notProbed(i,
          "not probed: check deadline of " + config.checkTimeout().toMillis() + " ms passed while queued"));
    }
    Duration timeout = Duration.ofNanos(Math.min(left, config.probeTimeout().toNanos()));
    probes.incrementAndGet();
    return i.getProtocol() == Protocol.PROTOCOL_GRPC ? grpc.probe(i, timeout) : http.probe(i, timeout);
  }

  private static Status overall(List<InstanceReport> reports) {
    int serving = 0;
    for (InstanceReport r : reports) {
      if (r.status() == InstanceStatus.SERVING) {
        serving++;
      }
    }
    if (serving == 0) {
      return Status.NOT_SERVING;
    }
    return serving == reports.size() ? Status.SERVING : Status.DEGRADED;
  }

  private Duration age(Entry e) {
    return Duration.ofNanos(e.ageAtObtainNanos + Math.max(0, ticker.nanoTime() - e.obtainedNanos));
  }

  private static String breakerName(ServiceState s) {
    return s == null ? "none" : s.breaker.getState().name().toLowerCase(Locale.ROOT);
  }

  @Override
  public void close() {
    grpc.close();
    if (layer2 != null) {
      layer2.close();
    }
    httpExecutor.shutdownNow();
  }

  /** {@code Builder} builds a {@link HealthCheckService}. */
  public static final class Builder {
    private HealthCheckConfig config = HealthCheckConfig.ofDefaults();
    private InstanceSource source;
    private Ticker ticker = Ticker.system();
    private MeterRegistry meters;

    private Builder() {}

    /** {@code meterRegistry} sets where the health-check metrics go (default: none). */
    public Builder meterRegistry(MeterRegistry v) {
      this.meters = Objects.requireNonNull(v, "meterRegistry");
      return this;
    }

    /** {@code config} sets the configuration (default {@link HealthCheckConfig#ofDefaults()}). */
    public Builder config(HealthCheckConfig v) {
      this.config = Objects.requireNonNull(v, "config");
      return this;
    }

    /** {@code instances} sets where instances come from, normally {@code watchClient::get}. Required. */
    public Builder instances(InstanceSource v) {
      this.source = Objects.requireNonNull(v, "instances");
      return this;
    }

    /** {@code ticker} sets the time source of caches, ages and breakers (default {@link Ticker#system()}). */
    public Builder ticker(Ticker v) {
      this.ticker = Objects.requireNonNull(v, "ticker");
      return this;
    }

    /**
     * {@code build} creates the service; with a Redis URI it connects lazily, so a Redis that is
     * down only turns layer 2 into misses.
     *
     * @throws IllegalStateException when no instance source is set
     */
    public HealthCheckService build() {
      if (source == null) {
        throw new IllegalStateException("an instance source is required: instances(watchClient::get)");
      }
      return new HealthCheckService(this);
    }
  }
}
