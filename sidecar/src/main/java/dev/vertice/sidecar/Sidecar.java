package dev.vertice.sidecar;

import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.client.Registration;
import dev.vertice.client.RegistryClient;
import dev.vertice.client.WatchClient;
import dev.vertice.common.Threads;
import dev.vertice.common.Ticker;
import dev.vertice.observability.Meters;
import dev.vertice.observability.Tracing;
import dev.vertice.security.tls.ReloadingTls;
import dev.vertice.sidecar.internal.GrpcHealthProbe;
import dev.vertice.sidecar.internal.HttpHealthProbe;
import dev.vertice.sidecar.internal.Json;
import dev.vertice.sidecar.internal.SharedNetty;
import io.grpc.CallCredentials;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.logging.Logger;

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
 * <p><b>Supervision.</b> With {@link SidecarConfig#exec()}, {@link #start()} also starts the app as
 * a child process and a {@code Supervisor} keeps it running: the app is restarted when its process
 * ends (the instance is NOT_SERVING at once, through the prober) or when it goes without a good
 * probe for too long, with backoff and a crash-loop limit after which it stays down ({@link
 * #app()}). The drain ends by stopping the app (SIGTERM, SIGKILL after {@link
 * SidecarConfig#appStopGrace()}); so does {@link #close()}. A program that cannot be started fails
 * {@link #stopped()} with an {@link InvalidSettingException} naming {@code exec}.
 *
 * <p><b>Threads and time.</b> Timers (probe periods, retries, the drain) run on the injected
 * scheduler and read the injected {@link Ticker}; blocking work (probes, control-plane calls)
 * runs on the injected worker, one task at a time. Tests pass a fake clock's scheduler and a
 * direct worker. Many sidecars can run in one JVM: they share one Netty event loop.
 *
 * <p><b>Parts.</b> {@link Prober} probes, {@link Registrar} keeps the instance registered with the
 * health to show, {@link Drainer} drains, {@link Supervisor} runs the app (with exec); they share this class's lock, and this class holds the
 * phase, builds the clients and channels they use and releases them.
 *
 * <p>Thread-safe.
 */
public final class Sidecar implements AutoCloseable {

  private static final Logger log = Logger.getLogger(Sidecar.class.getName());

  /** Interval at which the in-flight count is read while draining, in milliseconds. */
  public static final long INFLIGHT_POLL_MILLIS = 200;
  /** Time {@link RegistryClient#close()} spends deregistering when the sidecar stops. */
  static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(2);

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
  private final SidecarMeters meters;
  // The parts: each keeps its own state under the one lock below.
  private final Registrar registrar;
  private final Prober prober;
  private final Drainer drainer;
  private final Supervisor supervisor; // null unless the sidecar starts the app (exec)

  private final Object lock = new Object();
  // guarded by lock
  private Phase phase = Phase.NEW;

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
    this.registrar = new Registrar(lock, config, scheduler, worker, channels, registry, random,
        () -> phase == Phase.RUNNING, this::stopLocked, this::rejected);
    this.meters = b.meters == null ? null : new SidecarMeters(b.meters, this::registeredNow);
    this.prober = new Prober(lock, config, ticker, scheduler, worker, probe, registrar, meters,
        () -> phase == Phase.RUNNING, this::probed);
    this.supervisor = config.exec().isEmpty() ? null : new Supervisor(lock, config, ticker, scheduler,
        b.launcher, random, meters, () -> phase == Phase.RUNNING, () -> worker.execute(prober::appDown));
    this.drainer = new Drainer(lock, config, ticker, scheduler, worker, registrar, () -> phase == Phase.DRAINING,
        () -> {
          if (phase != Phase.DRAINING) {
            return false;
          }
          stopLocked();
          return true;
        }, this::release);
    this.api = new LocalApi(config, watch, this::statusJson, b.apiTls);
    if (b.meters != null && watch != null) {
      SidecarMeters.bindWatch(b.meters, watch);
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
    if (supervisor != null) {
      try {
        supervisor.start();
      } catch (InvalidSettingException e) {
        log.severe(e.getMessage());
        synchronized (lock) {
          stopLocked();
        }
        rejected(e);
        return;
      }
    }
    if (watch != null) {
      config.upstreams().forEach(watch::subscribe);
    }
    log.info(() -> "sidecar for " + config.service() + "/" + config.instanceId() + " started; local API on "
        + config.apiHost() + ":" + api.port() + "; probing " + probe.describe());
    worker.execute(prober::firstProbe);
  }

  /**
   * {@code app} returns what the sidecar knows of the app it supervises, or empty when it does not
   * start the app ({@link SidecarConfig#exec()} empty).
   */
  public Optional<AppStatus> app() {
    return supervisor == null ? Optional.empty() : Optional.of(supervisor.status());
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
      return registrar.desiredLocked();
    }
  }

  /** {@code acknowledged} returns the health the control plane last acknowledged (registered or set). */
  public HealthStatus acknowledged() {
    synchronized (lock) {
      return registrar.acknowledgedLocked();
    }
  }

  /** {@code registration} returns the instance's registration once the control plane accepted it. */
  public Optional<Registration> registration() {
    synchronized (lock) {
      return Optional.ofNullable(registrar.registrationLocked());
    }
  }

  /** {@code probesRun} returns how many probes completed since start (the first included). */
  public long probesRun() {
    return prober.probesRun();
  }

  /** {@code apiPort} returns the local API's bound port (after {@link #start()}). */
  public int apiPort() {
    return api.port();
  }

  /** {@code watch} returns the cache of upstream services, or empty when none is configured. */
  public Optional<WatchClient> watch() {
    return Optional.ofNullable(watch);
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
      registrar.desireLocked(HealthStatus.HEALTH_STATUS_DRAINING);
      cancelLocked();
      drainer.beginLocked();
    }
    if (meters != null) {
      meters.toDraining.increment();
    }
    log.info(() -> config.service() + "/" + config.instanceId() + " draining for up to " + config.drainPeriod()
        + config.inflightUrl().map(u -> " (or until " + u + " reports no request in flight)").orElse(""));
    worker.execute(drainer::start);
    return stopped;
  }

  /**
   * {@code close} stops at once: deregisters the instance (best effort, at most 2 s), closes the
   * streams and the local API, and stops a supervised app (blocking up to its stop grace). Use
   * {@link #drain()} for a graceful stop. Idempotent.
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

  /** {@code registeredNow} is 1 while the instance is registered with the control plane and not stopped. */
  private double registeredNow() {
    synchronized (lock) {
      return registrar.registeredNowLocked(phase == Phase.STOPPED);
    }
  }

  /** The sidecar's own state, for the local API's {@code GET /v1/status}. */
  private String statusJson() {
    Optional<Registration> r = registration();
    return "{\"service\":" + Json.quote(config.service())
        + ",\"instance_id\":" + Json.quote(config.instanceId())
        + ",\"phase\":\"" + phase() + "\""
        + ",\"health\":\"" + Json.health(health()) + "\""
        + ",\"acknowledged\":\"" + Json.health(acknowledged()) + "\""
        + ",\"registered\":" + r.map(Registration::isActive).orElse(false)
        + ",\"lease_id\":" + Json.quote(r.map(Registration::leaseId).orElse(""))
        + ",\"probes\":" + probesRun()
        + app().map(a -> ",\"app\":{\"state\":\"" + a.state() + "\",\"pid\":"
            + (a.pid().isPresent() ? String.valueOf(a.pid().getAsLong()) : "null") + ",\"restarts\":" + a.restarts()
            + ",\"last_exit_code\":" + (a.lastExitCode().isPresent() ? String.valueOf(a.lastExitCode().getAsLong())
            : "null") + "}").orElse("")
        + "}";
  }

  /** Hands every probe's result to the supervisor of the app, if there is one. */
  private void probed(boolean ok) {
    if (supervisor != null) {
      supervisor.probed(ok);
    }
  }

  /** Stops under the lock: the control plane rejected the registration, or the drain is over. */
  private void stopLocked() {
    phase = Phase.STOPPED;
    cancelLocked();
  }

  /** The control plane rejected the registration as invalid: the sidecar stops, {@link #stopped()} fails. */
  private void rejected(InvalidSettingException invalid) {
    stopped.completeExceptionally(invalid); // before release() completes it normally
    release();
  }

  private void cancelLocked() {
    prober.cancelLocked();
    registrar.cancelLocked();
    drainer.cancelLocked();
    if (supervisor != null) {
      supervisor.cancelLocked();
    }
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
    if (supervisor != null) {
      // After the drain (or the deregistration of close()): no request is routed to the app any more.
      supervisor.stop();
    }
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
    private Meters meters;
    private Tracing tracing = Tracing.off();
    private ReloadingTls apiTls;
    private ChannelCredentials controlPlaneCredentials;
    private CallCredentials controlPlaneCallCredentials;
    private Supervisor.Launcher launcher = Supervisor.CHILD_PROCESSES;

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
     * {@code meterRegistry} sets the Micrometer registry where the sidecar's {@code
     * vertice_sidecar_*} metrics (and its upstream watch's) are registered (default: none, nothing
     * is measured). Give each sidecar a registry of its own: the meters carry no per-sidecar label.
     */
    public Builder meterRegistry(MeterRegistry v) {
      return meters(Meters.of(Objects.requireNonNull(v, "meterRegistry")));
    }

    /**
     * {@code meters} sets where the sidecar's metrics are registered, like {@link #meterRegistry}
     * but on any {@link Meters}: the sidecar process gives its {@code SmallMetrics}, which loads no
     * Micrometer class.
     */
    public Builder meters(Meters v) {
      this.meters = Objects.requireNonNull(v, "meters");
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

    /** Replaces how the app's processes are started (tests); the default starts child processes. */
    Builder launcher(Supervisor.Launcher v) {
      this.launcher = Objects.requireNonNull(v, "launcher");
      return this;
    }

    /** {@code build} creates the sidecar; nothing runs until {@link Sidecar#start()}. */
    public Sidecar build() {
      return new Sidecar(this);
    }
  }
}
