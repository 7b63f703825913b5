package dev.vertice.sidecar;

import com.google.rpc.BadRequest;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.client.Backoff;
import dev.vertice.client.InstanceSpec;
import dev.vertice.client.Registration;
import dev.vertice.client.RegistryClient;
import dev.vertice.client.WatchClient;
import dev.vertice.client.WatchClientMetrics;
import dev.vertice.common.Threads;
import dev.vertice.common.Ticker;
import dev.vertice.observability.Tracing;
import dev.vertice.security.tls.ReloadingTls;
import dev.vertice.sidecar.internal.GrpcHealthProbe;
import dev.vertice.sidecar.internal.HttpGet;
import dev.vertice.sidecar.internal.HttpHealthProbe;
import dev.vertice.sidecar.internal.Json;
import dev.vertice.sidecar.internal.ProbeTracker;
import dev.vertice.sidecar.internal.SharedNetty;
import io.grpc.CallCredentials;
import io.grpc.ChannelCredentials;
import io.grpc.ConnectivityState;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code Sidecar} registers an app with the control plane on its behalf, keeps the lease alive,
 * probes the app and pushes every health change at once, drains it on shutdown, and serves the app
 * a local cache of its upstream services.
 *
 * <p><b>Life.</b> {@link #start()} binds the local API and probes the app: the instance is
 * registered SERVING as soon as a probe succeeds, NOT_SERVING after {@link
 * SidecarConfig#failureThreshold()} failures in a row (probed back to back), so that a restarted
 * sidecar re-registers the same instance, whose id defaults to {@code address:port}, without a flap.
 * Then the app is probed every {@link SidecarConfig#probeInterval()}; when the thresholds turn the
 * state over, the new health is sent with SetHealth at once. {@link #drain()} sets DRAINING,
 * waits (see below), deregisters and stops.
 *
 * <p><b>Drain.</b> After DRAINING is acknowledged, the sidecar waits the drain period. If the app
 * has an in-flight endpoint ({@link SidecarConfig#inflightUrl()}: HTTP GET answering a number,
 * or JSON with {@code "inflight": N}), the sidecar reads it every {@value
 * #INFLIGHT_POLL_MILLIS} ms from {@link SidecarConfig#drainSettle()} after DRAINING on (the time
 * for gateways to receive the push and for requests already routed to arrive), and ends the drain
 * at the first reading of zero.
 *
 * <p><b>Control plane down.</b> Registration and SetHealth are retried with jittered backoff
 * ({@link SidecarConfig#backoff()}) forever; the {@link RegistryClient} reconnects the KeepAlive
 * stream and registers the instance again (with its current health) when a restarted control
 * plane answers that the lease expired. Only a registration the control plane rejects as invalid
 * is fatal: {@link #stopped()} then fails with an {@link InvalidSettingException}.
 *
 * <p><b>Threads and time.</b> Timers (probe periods, retries, the drain) run on the injected
 * scheduler and read the injected {@link Ticker}; blocking work (probes, control-plane calls)
 * runs on the injected worker, one task at a time. Tests pass a fake clock's scheduler and a
 * direct worker. Many sidecars can run in one JVM: they share one Netty event loop.
 *
 * <p>Thread-safe.
 */
public final class Sidecar implements AutoCloseable {

  private static final Logger log = Logger.getLogger(Sidecar.class.getName());

  /** Interval at which the in-flight count is read while draining, in milliseconds. */
  public static final long INFLIGHT_POLL_MILLIS = 200;
  /** Time {@link RegistryClient#close()} spends deregistering when the sidecar stops. */
  static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(2);

  private static final Pattern INFLIGHT = Pattern.compile("\\A\\s*(\\d{1,9})\\s*\\z|\"inflight\"\\s*:\\s*(\\d{1,9})");

  /** What the sidecar is doing. */
  public enum Phase {
    /** Built, not started. */
    NEW,
    /** Probing and keeping the instance registered. */
    RUNNING,
    /** DRAINING: waiting for the app's requests to end before deregistering. */
    DRAINING,
    /** Deregistered (or closed); nothing runs any more. */
    STOPPED
  }

  private final SidecarConfig config;
  private final Ticker ticker;
  private final ScheduledExecutorService scheduler;
  private final ExecutorService ownedScheduler;
  private final Executor worker;
  private final ExecutorService ownedWorker;
  private final HealthProbe probe;
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final RegistryClient registry;
  private final WatchClient watch;
  private final LocalApi api;
  private final CompletableFuture<Void> stopped = new CompletableFuture<>();

  private final Object lock = new Object();
  // guarded by lock
  private final Backoff registerBackoff;
  private final Backoff healthBackoff;
  private Phase phase = Phase.NEW;
  private ProbeTracker tracker;
  private HealthStatus desired = HealthStatus.HEALTH_STATUS_UNKNOWN;
  private HealthStatus acknowledged = HealthStatus.HEALTH_STATUS_UNSPECIFIED;
  private Registration registration;
  private boolean registering;
  private boolean probing;
  private boolean pushing;
  private long drainStartNanos;
  private ScheduledFuture<?> probeTask;
  private ScheduledFuture<?> registerRetry;
  private ScheduledFuture<?> healthRetry;
  private ScheduledFuture<?> drainTask;
  private volatile long probesRun;
  private final SidecarMeters meters;

  private Sidecar(Builder b) {
    this.config = b.config;
    this.ticker = b.ticker;
    if (b.scheduler == null) {
      ScheduledExecutorService s = Threads.scheduler("vertice-sidecar-timer");
      this.scheduler = s;
      this.ownedScheduler = s;
    } else {
      this.scheduler = b.scheduler;
      this.ownedScheduler = null;
    }
    if (b.worker == null) {
      this.ownedWorker = Executors.newSingleThreadExecutor(Threads.daemon("vertice-sidecar-worker"));
      this.worker = ownedWorker;
    } else {
      this.worker = b.worker;
      this.ownedWorker = null;
    }
    this.probe = b.probe != null ? b.probe : defaultProbe(config);
    for (String address : config.controlPlane().addresses()) {
      channels.add(SharedNetty.controlPlaneChannel(address,
          b.tracing.enabled() ? List.of(b.tracing.clientInterceptor()) : List.of(),
          b.controlPlaneCredentials != null ? b.controlPlaneCredentials : InsecureChannelCredentials.create()));
    }
    Random random = b.random;
    RegistryClient.Builder rb = RegistryClient.builder();
    WatchClient.Builder wb = WatchClient.builder();
    if (b.controlPlaneCallCredentials != null) {
      rb.callCredentials(b.controlPlaneCallCredentials);
      wb.callCredentials(b.controlPlaneCallCredentials);
    }
    this.registry = rb
        .channels(channels)
        .scheduler(scheduler)
        .backoff(config.backoff())
        .random(random)
        .callTimeout(config.callTimeout())
        .closeTimeout(CLOSE_TIMEOUT)
        .build();
    this.watch = config.upstreams().isEmpty() ? null : wb
        .channels(channels)
        .scheduler(scheduler)
        .backoff(config.backoff())
        .random(random)
        .ticker(ticker)
        .nodeId("sidecar:" + config.service() + "/" + config.instanceId())
        .nodeKind("sidecar")
        .zone(config.zone())
        // Canary weights reach the app too: /v1/endpoints serves each upstream's TrafficPolicy.
        .watchTrafficPolicies(true)
        .listenerExecutor(scheduler)
        .build();
    this.registerBackoff = new Backoff(config.backoff(), random);
    this.healthBackoff = new Backoff(config.backoff(), random);
    this.api = new LocalApi(this, b.apiTls);
    this.meters = b.meterRegistry == null ? null : new SidecarMeters(b.meterRegistry);
    if (b.meterRegistry != null && watch != null) {
      WatchClientMetrics.bind(watch, b.meterRegistry);
    }
  }

  /** {@code builder} starts a sidecar for {@code config}. */
  public static Builder builder(SidecarConfig config) {
    return new Builder(config);
  }

  /**
   * {@code start} binds the local API and starts probing and registering (asynchronously: the
   * first probe and the registration run on the worker). Idempotent.
   *
   * @throws UncheckedIOException when the local API's port cannot be bound
   */
  public void start() {
    synchronized (lock) {
      if (phase != Phase.NEW) {
        return;
      }
      phase = Phase.RUNNING;
    }
    try {
      api.start();
    } catch (IOException e) {
      close();
      throw new UncheckedIOException("cannot listen on " + config.apiHost() + ":" + config.apiPort()
          + " (api-port): " + e.getMessage(), e);
    }
    if (watch != null) {
      config.upstreams().forEach(watch::subscribe);
    }
    log.info(() -> "sidecar for " + config.service() + "/" + config.instanceId() + " started; local API on "
        + config.apiHost() + ":" + api.port() + "; probing " + probe.describe());
    worker.execute(this::firstProbe);
  }

  /** {@code config} returns the configuration. */
  public SidecarConfig config() {
    return config;
  }

  /** {@code phase} returns what the sidecar is doing. */
  public Phase phase() {
    synchronized (lock) {
      return phase;
    }
  }

  /**
   * {@code health} returns the health the sidecar holds for the app (from probes, or DRAINING),
   * or UNKNOWN before the first probe.
   */
  public HealthStatus health() {
    synchronized (lock) {
      return desired;
    }
  }

  /** {@code acknowledged} returns the health the control plane last acknowledged (registered or set). */
  public HealthStatus acknowledged() {
    synchronized (lock) {
      return acknowledged;
    }
  }

  /** {@code registration} returns the instance's registration once the control plane accepted it. */
  public Optional<Registration> registration() {
    synchronized (lock) {
      return Optional.ofNullable(registration);
    }
  }

  /** {@code probesRun} returns how many probes completed since start (the first included). */
  public long probesRun() {
    return probesRun;
  }

  /** {@code apiPort} returns the local API's bound port (after {@link #start()}). */
  public int apiPort() {
    return api.port();
  }

  /** {@code watch} returns the cache of upstream services, or empty when none is configured. */
  public Optional<WatchClient> watch() {
    return Optional.ofNullable(watch);
  }

  /** {@code ticker} returns the time source (for staleness in the local API). */
  Ticker ticker() {
    return ticker;
  }

  /**
   * {@code stopped} completes once the sidecar stopped after a drain or {@link #close()}; it fails
   * with {@link InvalidSettingException} when the control plane rejected the registration as
   * invalid (a configuration error: the sidecar then stops).
   */
  public CompletableFuture<Void> stopped() {
    return stopped;
  }

  /**
   * {@code drain} sets DRAINING, waits for the app's requests to end (see the class comment),
   * deregisters the instance and stops. Returns at once; the future completes when the sidecar
   * stopped. Idempotent.
   */
  public CompletableFuture<Void> drain() {
    synchronized (lock) {
      if (phase == Phase.DRAINING || phase == Phase.STOPPED) {
        return stopped;
      }
      if (phase == Phase.NEW) {
        phase = Phase.STOPPED;
        releaseLocked();
        return stopped;
      }
      phase = Phase.DRAINING;
      desired = HealthStatus.HEALTH_STATUS_DRAINING;
      cancelLocked();
      drainStartNanos = ticker.nanoTime();
    }
    if (meters != null) {
      meters.toDraining.increment();
    }
    log.info(() -> config.service() + "/" + config.instanceId() + " draining for up to " + config.drainPeriod()
        + config.inflightUrl().map(u -> " (or until " + u + " reports no request in flight)").orElse(""));
    worker.execute(this::startDrain);
    return stopped;
  }

  /**
   * {@code close} stops at once: deregisters the instance (best effort, at most 2 s), closes the
   * streams and the local API. Use {@link #drain()} for a graceful stop. Idempotent.
   */
  @Override
  public void close() {
    synchronized (lock) {
      if (phase == Phase.STOPPED) {
        return;
      }
      phase = Phase.STOPPED;
      cancelLocked();
    }
    release();
  }

  // --- probing, on the worker ---

  private void firstProbe() {
    // Up to failureThreshold probes in a row, without waiting: the first success means SERVING. An
    // app is called unhealthy only after that many failures, even at start (the very first probe
    // of a cold JVM may miss a short timeout, and a restarted sidecar must not flap its instance).
    boolean ok = false;
    for (int i = 0; i < config.failureThreshold() && !ok; i++) {
      ok = check();
      synchronized (lock) {
        if (phase != Phase.RUNNING) {
          return;
        }
      }
    }
    boolean healthy = ok;
    synchronized (lock) {
      if (phase != Phase.RUNNING) {
        return;
      }
      tracker = new ProbeTracker(config.successThreshold(), config.failureThreshold(), healthy);
      desired = healthy ? HealthStatus.HEALTH_STATUS_SERVING : HealthStatus.HEALTH_STATUS_NOT_SERVING;
      long period = config.probeInterval().toNanos();
      probeTask = scheduler.scheduleAtFixedRate(this::probeTick, period, period, TimeUnit.NANOSECONDS);
    }
    transitioned(healthy);
    log.info(() -> "first probe (" + probe.describe() + "): " + (healthy ? "healthy" : "unhealthy"));
    register();
  }

  private void probeTick() {
    synchronized (lock) {
      if (phase != Phase.RUNNING || probing) {
        return; // the previous probe still runs: a slow app does not pile probes up
      }
      probing = true;
    }
    worker.execute(this::probeOnce);
  }

  private void probeOnce() {
    boolean ok = check();
    boolean changed;
    boolean lostRegistration = false;
    synchronized (lock) {
      probing = false;
      if (phase != Phase.RUNNING) {
        return;
      }
      changed = tracker.record(ok);
      if (changed) {
        desired = tracker.healthy() ? HealthStatus.HEALTH_STATUS_SERVING : HealthStatus.HEALTH_STATUS_NOT_SERVING;
      }
      if (registration != null && !registration.isActive()) {
        // The registry client gave the registration up (the control plane refused it again).
        registration = null;
        lostRegistration = true;
      }
    }
    if (changed) {
      transitioned(ok);
      log.info(() -> config.service() + "/" + config.instanceId() + " is now " + Json.health(health())
          + " (" + probe.describe() + ")");
      pushHealth();
    }
    if (lostRegistration) {
      register();
    }
  }

  /** Runs one probe, counted and timed. */
  private boolean check() {
    long start = ticker.nanoTime();
    boolean ok = probe.check();
    probesRun++;
    if (meters != null) {
      meters.probeTime.record(ticker.nanoTime() - start, TimeUnit.NANOSECONDS);
      (ok ? meters.success : meters.failure).increment();
    }
    return ok;
  }

  /** Counts a change of the probed health (the first verdict included: from UNKNOWN). */
  private void transitioned(boolean healthy) {
    if (meters != null) {
      (healthy ? meters.toServing : meters.toNotServing).increment();
    }
  }

  /** {@code registeredNow} is 1 while the instance is registered with the control plane and not stopped. */
  private double registeredNow() {
    synchronized (lock) {
      return registration != null && registration.isActive() && phase != Phase.STOPPED ? 1 : 0;
    }
  }

  /** The sidecar's meters; one set per sidecar and registry. */
  private final class SidecarMeters {
    final Counter success;
    final Counter failure;
    final Counter toServing;
    final Counter toNotServing;
    final Counter toDraining;
    final Timer probeTime;

    SidecarMeters(MeterRegistry registry) {
      success = probes(registry, "success");
      failure = probes(registry, "failure");
      toServing = transitions(registry, "serving");
      toNotServing = transitions(registry, "not_serving");
      toDraining = transitions(registry, "draining");
      probeTime = Timer.builder("vertice.sidecar.probe").description("Time of each health probe of the app")
          .serviceLevelObjectives(PROBE_BUCKETS).register(registry);
      Gauge.builder("vertice.sidecar.registered", Sidecar.this, Sidecar::registeredNow)
          .description("1 while the instance is registered with the control plane, else 0").register(registry);
    }

    private Counter probes(MeterRegistry registry, String result) {
      return Counter.builder("vertice.sidecar.probes").tag("result", result)
          .description("Health probes of the app, by result").register(registry);
    }

    private Counter transitions(MeterRegistry registry, String to) {
      return Counter.builder("vertice.sidecar.health.transitions").tag("to", to)
          .description("Changes of the health the sidecar holds for the app").register(registry);
    }
  }

  /** Fixed buckets of {@code vertice_sidecar_probe_seconds}: 1 ms to 10 s. */
  static final Duration[] PROBE_BUCKETS = {Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(10),
      Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
      Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
      Duration.ofSeconds(10)};

  // --- control-plane calls, on the worker ---

  private void register() {
    InstanceSpec spec;
    synchronized (lock) {
      if (phase != Phase.RUNNING || registration != null || registering) {
        return;
      }
      registering = true;
      registerRetry = null;
      spec = spec(desired);
    }
    resetConnectBackoff();
    Registration r;
    try {
      r = registry.register(spec);
    } catch (StatusRuntimeException e) {
      registrationFailed(e);
      return;
    } catch (IllegalStateException e) {
      synchronized (lock) {
        registering = false;
      }
      return; // closed meanwhile
    }
    boolean again;
    synchronized (lock) {
      registering = false;
      registration = r;
      acknowledged = spec.health();
      registerBackoff.reset();
      again = phase == Phase.RUNNING && desired != acknowledged;
    }
    log.info(() -> "registered " + r.service() + "/" + r.instanceId() + " as " + Json.health(spec.health())
        + " (lease " + r.leaseId() + ", ttl " + r.ttl() + ", keepalive " + r.keepaliveInterval() + ")");
    if (again) {
      pushHealth();
    }
  }

  private void registrationFailed(StatusRuntimeException e) {
    Status.Code code = e.getStatus().getCode();
    if (code == Status.Code.INVALID_ARGUMENT || code == Status.Code.FAILED_PRECONDITION) {
      InvalidSettingException invalid = rejected(e);
      log.severe("the control plane rejected the registration: " + invalid.getMessage());
      synchronized (lock) {
        registering = false;
        phase = Phase.STOPPED;
        cancelLocked();
      }
      stopped.completeExceptionally(invalid); // before release() completes it normally
      release();
      return;
    }
    synchronized (lock) {
      registering = false;
      if (phase != Phase.RUNNING) {
        return;
      }
      long delay = registerBackoff.nextDelayNanos();
      log.log(Level.WARNING, () -> "registering " + config.service() + "/" + config.instanceId() + " failed: "
          + e.getStatus().getCode() + " (" + e.getStatus().getDescription() + "); retrying in " + TimeUnit.NANOSECONDS.toMillis(delay) + " ms");
      registerRetry = scheduler.schedule(() -> worker.execute(this::register), delay, TimeUnit.NANOSECONDS);
      watchForReadyLocked();
    }
  }

  /** Sends the desired health until the control plane acknowledged it (or it changes again). */
  private void pushHealth() {
    Registration r;
    HealthStatus h;
    synchronized (lock) {
      healthRetry = null;
      if (registration == null || pushing || desired == acknowledged
          || (phase != Phase.RUNNING && desired != HealthStatus.HEALTH_STATUS_DRAINING)) {
        return; // not registered yet: the registration carries the desired health
      }
      pushing = true;
      r = registration;
      h = desired;
    }
    resetConnectBackoff();
    try {
      r.setHealth(h);
    } catch (StatusRuntimeException | IllegalStateException e) {
      synchronized (lock) {
        pushing = false;
        if (phase != Phase.RUNNING) {
          return;
        }
        if (e instanceof IllegalStateException) {
          registration = null; // given up by the registry client: register afresh, with the desired health
          worker.execute(this::register);
          return;
        }
        long delay = healthBackoff.nextDelayNanos();
        log.log(Level.WARNING, () -> "SetHealth " + Json.health(h) + " failed: " + e.getMessage() + "; retrying in "
            + TimeUnit.NANOSECONDS.toMillis(delay) + " ms");
        healthRetry = scheduler.schedule(() -> worker.execute(this::pushHealth), delay, TimeUnit.NANOSECONDS);
        watchForReadyLocked();
      }
      return;
    }
    boolean again;
    synchronized (lock) {
      pushing = false;
      acknowledged = h;
      healthBackoff.reset();
      again = phase == Phase.RUNNING && desired != h;
    }
    log.fine(() -> "SetHealth " + Json.health(h) + " acknowledged");
    if (again) {
      pushHealth();
    }
  }

  // --- drain, on the worker ---

  private void startDrain() {
    Registration r;
    synchronized (lock) {
      r = registration;
    }
    if (r == null) {
      finishDrain("the instance was not registered");
      return;
    }
    try {
      r.setHealth(HealthStatus.HEALTH_STATUS_DRAINING);
      synchronized (lock) {
        acknowledged = HealthStatus.HEALTH_STATUS_DRAINING;
      }
    } catch (StatusRuntimeException | IllegalStateException e) {
      log.warning("could not set DRAINING (" + e.getMessage() + "); waiting the drain period anyway");
    }
    Duration first = config.inflightUrl().isPresent() && config.drainSettle().compareTo(config.drainPeriod()) < 0
        ? config.drainSettle() : config.drainPeriod();
    scheduleDrainStep(first);
  }

  private void scheduleDrainStep(Duration after) {
    synchronized (lock) {
      if (phase != Phase.DRAINING) {
        return;
      }
      drainTask = scheduler.schedule(() -> worker.execute(this::drainStep), after.toNanos(), TimeUnit.NANOSECONDS);
    }
  }

  private void drainStep() {
    long elapsed;
    synchronized (lock) {
      elapsed = ticker.nanoTime() - drainStartNanos;
    }
    long left = config.drainPeriod().toNanos() - elapsed;
    if (left <= 0 || config.inflightUrl().isEmpty()) {
      finishDrain("the drain period passed");
      return;
    }
    OptionalInt inflight = readInflight(config.inflightUrl().get());
    if (inflight.isPresent() && inflight.getAsInt() == 0) {
      finishDrain("the app reports no request in flight");
      return;
    }
    scheduleDrainStep(Duration.ofNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(INFLIGHT_POLL_MILLIS))));
  }

  private OptionalInt readInflight(URI url) {
    try {
      int port = url.getPort() > 0 ? url.getPort() : 80;
      String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
      if (url.getRawQuery() != null) {
        path += "?" + url.getRawQuery();
      }
      HttpGet.Response r = HttpGet.fetch(url.getHost(), port, path, config.probeTimeout());
      if (r.status() != 200) {
        return OptionalInt.empty();
      }
      Matcher m = INFLIGHT.matcher(r.body());
      if (!m.find()) {
        return OptionalInt.empty();
      }
      return OptionalInt.of(Integer.parseInt(m.group(1) != null ? m.group(1) : m.group(2)));
    } catch (IOException e) {
      return OptionalInt.empty();
    }
  }

  private void finishDrain(String why) {
    Registration r;
    synchronized (lock) {
      if (phase != Phase.DRAINING) {
        return;
      }
      phase = Phase.STOPPED;
      cancelLocked();
      r = registration;
    }
    long ms = TimeUnit.NANOSECONDS.toMillis(ticker.nanoTime() - drainStartNanos);
    log.info(() -> "drain of " + config.service() + "/" + config.instanceId() + " over after " + ms + " ms (" + why
        + "); deregistering");
    if (r != null) {
      try {
        r.deregister();
      } catch (StatusRuntimeException e) {
        log.warning("Deregister failed (" + e.getStatus() + "); the instance leaves when its lease expires");
      }
    }
    release();
  }

  // --- helpers ---

  private InstanceSpec spec(HealthStatus health) {
    InstanceSpec.Builder b = InstanceSpec.builder(config.service())
        .instanceId(config.instanceId())
        .address(config.address())
        .port(config.port())
        .protocol(config.protocol())
        .version(config.version())
        .zone(config.zone())
        .weight(config.weight())
        .health(health)
        .ttl(config.ttl())
        .keepaliveInterval(config.keepalive());
    config.metadata().forEach(b::metadata);
    return b.build();
  }

  /**
   * A channel in TRANSIENT_FAILURE fails calls at once until its own reconnect backoff (up to two
   * minutes) runs out; the sidecar paces its attempts with its own backoff, so each may reconnect.
   */
  private void resetConnectBackoff() {
    for (ManagedChannel c : channels) {
      c.resetConnectBackoff();
    }
  }

  /**
   * Watches the channels while a retry is pending: gRPC's pick-first stays in TRANSIENT_FAILURE
   * (failing calls at once) until a reconnect succeeds, so a retry that coincides with the
   * reconnect fails too. The moment a channel is READY, pending retries run at once (through the
   * scheduler: the callback runs on the event loop, which must never block).
   */
  private void watchForReadyLocked() {
    for (ManagedChannel c : channels) {
      c.resetConnectBackoff();
      ConnectivityState now = c.getState(true);
      c.notifyWhenStateChanged(now, () -> onChannelStateChanged(c));
    }
  }

  private void onChannelStateChanged(ManagedChannel c) {
    synchronized (lock) {
      if (phase != Phase.RUNNING || (registerRetry == null && healthRetry == null)) {
        return;
      }
      ConnectivityState now = c.getState(false);
      if (now != ConnectivityState.READY) {
        c.notifyWhenStateChanged(now, () -> onChannelStateChanged(c));
        return;
      }
      if (registerRetry != null) {
        registerRetry.cancel(false);
        registerRetry = scheduler.schedule(() -> worker.execute(this::register), 0, TimeUnit.NANOSECONDS);
      }
      if (healthRetry != null) {
        healthRetry.cancel(false);
        healthRetry = scheduler.schedule(() -> worker.execute(this::pushHealth), 0, TimeUnit.NANOSECONDS);
      }
    }
  }

  private void cancelLocked() {
    for (ScheduledFuture<?> f : new ScheduledFuture<?>[] {probeTask, registerRetry, healthRetry, drainTask}) {
      if (f != null) {
        f.cancel(false);
      }
    }
    probeTask = null;
    registerRetry = null;
    healthRetry = null;
    drainTask = null;
  }

  private void releaseLocked() {
    // Called for a sidecar that never started: nothing runs on the worker.
    release();
  }

  /** Closes clients, channels, the API and owned threads; completes {@link #stopped()}. */
  private void release() {
    api.close();
    if (watch != null) {
      watch.close();
    }
    registry.close();
    probe.close();
    for (ManagedChannel c : channels) {
      c.shutdownNow();
    }
    if (ownedScheduler != null) {
      ownedScheduler.shutdownNow();
    }
    if (ownedWorker != null) {
      ownedWorker.shutdown();
    }
    stopped.complete(null);
  }

  private static HealthProbe defaultProbe(SidecarConfig c) {
    return switch (c.protocol()) {
      case PROTOCOL_GRPC -> new GrpcHealthProbe(c.address(), c.port(), c.grpcHealthService(), c.probeTimeout());
      default -> new HttpHealthProbe(c.address(), c.port(), c.healthPath(), c.probeTimeout());
    };
  }

  /** Names the setting behind the control plane's first field violation. */
  private static InvalidSettingException rejected(StatusRuntimeException e) {
    com.google.rpc.Status status = StatusProto.fromThrowable(e);
    if (status != null) {
      for (com.google.protobuf.Any detail : status.getDetailsList()) {
        if (detail.is(BadRequest.class)) {
          try {
            BadRequest br = detail.unpack(BadRequest.class);
            if (br.getFieldViolationsCount() > 0) {
              BadRequest.FieldViolation v = br.getFieldViolations(0);
              return new InvalidSettingException(settingOf(v.getField()),
                  "rejected by the control plane: " + v.getDescription());
            }
          } catch (com.google.protobuf.InvalidProtocolBufferException ignored) {
            // fall through to the status description
          }
        }
      }
    }
    return new InvalidSettingException("service-name", "rejected by the control plane: " + e.getStatus());
  }

  private static String settingOf(String field) {
    String last = field.substring(field.lastIndexOf('.') + 1).replace('_', '-');
    int bracket = last.indexOf('[');
    if (bracket >= 0) {
      last = last.substring(0, bracket);
    }
    return switch (last) {
      case "service" -> "service-name";
      case "keepalive-interval" -> "keepalive-interval";
      default -> last;
    };
  }

  /**
   * {@code Builder} configures a {@link Sidecar}; not thread-safe. Everything but the config has a
   * production default.
   */
  public static final class Builder {
    private final SidecarConfig config;
    private Ticker ticker = Ticker.system();
    private ScheduledExecutorService scheduler;
    private Executor worker;
    private HealthProbe probe;
    private Random random = new Random();
    private MeterRegistry meterRegistry;
    private Tracing tracing = Tracing.off();
    private ReloadingTls apiTls;
    private ChannelCredentials controlPlaneCredentials;
    private CallCredentials controlPlaneCallCredentials;

    private Builder(SidecarConfig config) {
      this.config = Objects.requireNonNull(config, "config");
    }

    /** {@code ticker} sets the time source (default: the system's). */
    public Builder ticker(Ticker v) {
      this.ticker = Objects.requireNonNull(v, "ticker");
      return this;
    }

    /**
     * {@code scheduler} sets where timers run: probes, retries, the drain, and the registry and
     * watch clients' timers (default: a daemon thread owned by the sidecar).
     */
    public Builder scheduler(ScheduledExecutorService v) {
      this.scheduler = Objects.requireNonNull(v, "scheduler");
      return this;
    }

    /**
     * {@code worker} sets where blocking work runs, one task at a time: probes and control-plane
     * calls (default: a daemon thread owned by the sidecar). A direct executor runs them on the
     * thread that fires the timer.
     */
    public Builder worker(Executor v) {
      this.worker = Objects.requireNonNull(v, "worker");
      return this;
    }

    /** {@code probe} replaces the probe the config describes (HTTP GET or grpc.health.v1). */
    public Builder probe(HealthProbe v) {
      this.probe = Objects.requireNonNull(v, "probe");
      return this;
    }

    /** {@code random} sets the source of backoff jitter. */
    public Builder random(Random v) {
      this.random = Objects.requireNonNull(v, "random");
      return this;
    }

    /**
     * {@code meterRegistry} sets where the sidecar's {@code vertice_sidecar_*} metrics (and its
     * upstream watch's) are registered (default: none, nothing is measured). Give each sidecar a
     * registry of its own: the meters carry no per-sidecar label.
     */
    public Builder meterRegistry(MeterRegistry v) {
      this.meterRegistry = Objects.requireNonNull(v, "meterRegistry");
      return this;
    }

    /**
     * {@code tracing} opens a CLIENT span per control-plane call on {@code v} and propagates its
     * W3C trace context (default: off). The caller owns {@code v} and closes it after the sidecar.
     */
    public Builder tracing(Tracing v) {
      this.tracing = Objects.requireNonNull(v, "tracing");
      return this;
    }

    /**
     * {@code apiTls} serves the local API as HTTPS with {@code v}'s certificate, asking for client
     * certificates as its settings say (default: plain HTTP). Files {@code v} reloads reach new
     * connections. The caller owns {@code v} and closes it after the sidecar.
     */
    public Builder apiTls(ReloadingTls v) {
      this.apiTls = Objects.requireNonNull(v, "apiTls");
      return this;
    }

    /**
     * {@code controlPlaneCredentials} secures the channels to the control plane, for example {@code
     * ReloadingTls.forClient(...).channelCredentials()} (default: plaintext).
     */
    public Builder controlPlaneCredentials(ChannelCredentials v) {
      this.controlPlaneCredentials = Objects.requireNonNull(v, "controlPlaneCredentials");
      return this;
    }

    /** {@code controlPlaneCallCredentials} attaches {@code v} (a bearer token) to every control-plane call. */
    public Builder controlPlaneCallCredentials(CallCredentials v) {
      this.controlPlaneCallCredentials = Objects.requireNonNull(v, "controlPlaneCallCredentials");
      return this;
    }

    /** {@code build} creates the sidecar; nothing runs until {@link Sidecar#start()}. */
    public Sidecar build() {
      return new Sidecar(this);
    }
  }
}
