// Longer than 600 lines: one immutable config with its checking builder (registration, probes,
// drain, local API, supervision of --exec); every setting, its default and its check side by side.
package dev.vertice.sidecar;

import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.client.BackoffConfig;
import dev.vertice.client.ControlPlaneAddresses;
import dev.vertice.client.InstanceSpec;
import dev.vertice.common.ServiceNames;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@code SidecarConfig} is everything a {@link Sidecar} needs to know: the app it stands for (an
 * {@link InstanceSpec}: what is registered), how to probe it, how to drain it, where the control
 * plane is, and which upstream services to cache.
 *
 * <p>Immutable and thread-safe, in the project's one config style: {@link #ofDefaults(String,
 * int)}, {@link #custom(String, int)} and {@link #from(SidecarConfig)}. The service and the port
 * have no default, so both entry points take them. Each builder setter checks its value at once,
 * {@link Builder#build()} the settings that depend on each other; both throw {@link
 * InvalidSettingException} naming the setting by its flag name and quoting the value. The defaults
 * follow the seed system (TTL 60 s, keepalive 30 s) and Kubernetes probes (every 5 s, timeout 1 s,
 * success threshold 1, failure threshold 3). Supervision of the app ({@link #exec()}) is off by
 * default; its defaults (restart backoff 1 s doubling to 30 s, crash loop at 5 restarts in 5 min,
 * 60 s to start, 10 s stop grace) are the {@code DEFAULT_*} constants.
 */
public final class SidecarConfig {

  /** Default address of the app. */
  public static final String DEFAULT_ADDRESS = "127.0.0.1";
  /** Default version label. */
  public static final String DEFAULT_VERSION = "v1";
  /** Default load-balancing weight. */
  public static final int DEFAULT_WEIGHT = 100;
  /** Default address of the local API. */
  public static final String DEFAULT_API_HOST = "127.0.0.1";
  /** Default health path probed over HTTP. */
  public static final String DEFAULT_HEALTH_PATH = "/health";
  /** Default probe period. */
  public static final Duration DEFAULT_PROBE_INTERVAL = Duration.ofSeconds(5);
  /** Default time one probe may take. */
  public static final Duration DEFAULT_PROBE_TIMEOUT = Duration.ofSeconds(1);
  /** Default consecutive successes that make a NOT_SERVING app SERVING. */
  public static final int DEFAULT_SUCCESS_THRESHOLD = 1;
  /** Default consecutive failures that make a SERVING app NOT_SERVING. */
  public static final int DEFAULT_FAILURE_THRESHOLD = 3;
  /** Default lease TTL (the seed's). */
  public static final Duration DEFAULT_TTL = Duration.ofSeconds(60);
  /** Default keepalive interval (the seed's heartbeat). */
  public static final Duration DEFAULT_KEEPALIVE = Duration.ofSeconds(30);
  /** Default longest drain. */
  public static final Duration DEFAULT_DRAIN_PERIOD = Duration.ofSeconds(10);
  /** Default time between DRAINING and the first look at the app's in-flight count. */
  public static final Duration DEFAULT_DRAIN_SETTLE = Duration.ofSeconds(1);
  /** Interval at which the in-flight count is read while draining. */
  public static final Duration INFLIGHT_POLL_INTERVAL = Duration.ofMillis(200);
  /** Default port of the local API for the app. */
  public static final int DEFAULT_API_PORT = 15000;
  /** Default deadline of a call to the control plane. */
  public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(5);
  /** Most upstream services one sidecar caches. */
  public static final int MAX_UPSTREAMS = 256;
  /** Most metadata entries (the control plane's limit). */
  public static final int MAX_METADATA_ENTRIES = 64;
  /**
   * Default time a supervised app may go without a good probe before it is restarted, in probe
   * intervals (30 s at the default interval): past the failure threshold, so that the instance is
   * NOT_SERVING first.
   */
  public static final int DEFAULT_RESTART_AFTER_UNHEALTHY_INTERVALS = 6;
  /** Default time a supervised app has after each start to answer a good probe before it is restarted. */
  public static final Duration DEFAULT_APP_START_TIMEOUT = Duration.ofSeconds(60);
  /** Default first delay before a supervised app is restarted. */
  public static final Duration DEFAULT_RESTART_BACKOFF_INITIAL = Duration.ofSeconds(1);
  /** Default longest delay before a supervised app is restarted. */
  public static final Duration DEFAULT_RESTART_BACKOFF_MAX = Duration.ofSeconds(30);
  /** Factor by which the restart delay grows after each restart. */
  public static final double RESTART_BACKOFF_MULTIPLIER = 2.0;
  /** Default restarts within the crash-loop window after which a supervised app stays down. */
  public static final int DEFAULT_CRASH_LOOP_RESTARTS = 5;
  /** Default crash-loop window. */
  public static final Duration DEFAULT_CRASH_LOOP_WINDOW = Duration.ofMinutes(5);
  /** Default time between SIGTERM and SIGKILL when a supervised app is stopped. */
  public static final Duration DEFAULT_APP_STOP_GRACE = Duration.ofSeconds(10);
  /** Most restarts the crash-loop limit may allow. */
  public static final int MAX_CRASH_LOOP_RESTARTS = 1000;

  private static final Pattern INSTANCE_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
  private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9._-]{0,63}");
  private static final Pattern PATH = Pattern.compile("/[\\x21-\\x7e]{0,1023}");

  private final InstanceSpec instance;
  private final String configuredInstanceId;
  private final String healthPath;
  private final String grpcHealthService;
  private final ControlPlaneAddresses controlPlane;
  private final List<String> upstreams;
  private final Duration probeInterval;
  private final Duration probeTimeout;
  private final int successThreshold;
  private final int failureThreshold;
  private final Duration drainPeriod;
  private final Duration drainSettle;
  private final Optional<URI> inflightUrl;
  private final String apiHost;
  private final int apiPort;
  private final Duration callTimeout;
  private final Duration backoffInitial;
  private final Duration backoffMax;
  private final BackoffConfig backoff;
  private final List<String> exec;
  private final Duration restartAfterUnhealthy;
  private final Duration configuredRestartAfterUnhealthy;
  private final BackoffConfig restartBackoff;
  private final int crashLoopRestarts;
  private final Duration crashLoopWindow;
  private final Duration appStopGrace;
  private final Duration appStartTimeout;

  private SidecarConfig(Builder b, ControlPlaneAddresses cp, BackoffConfig backoff) {
    String id = b.instanceId.isEmpty() ? b.address + ":" + b.port : b.instanceId;
    // The health is left unset: the sidecar registers the instance with the health it probed.
    this.instance = new InstanceSpec(b.service, id, b.address, b.port, b.protocol, b.version, b.zone, b.weight,
        HealthStatus.HEALTH_STATUS_UNSPECIFIED, b.metadata, b.ttl, b.keepalive);
    this.configuredInstanceId = b.instanceId;
    this.healthPath = b.healthPath;
    this.grpcHealthService = b.grpcHealthService;
    this.controlPlane = cp;
    this.upstreams = List.copyOf(b.upstreams);
    this.probeInterval = b.probeInterval;
    this.probeTimeout = b.probeTimeout;
    this.successThreshold = b.successThreshold;
    this.failureThreshold = b.failureThreshold;
    this.drainPeriod = b.drainPeriod;
    this.drainSettle = b.drainSettle;
    this.inflightUrl = Optional.ofNullable(b.inflightUrl);
    this.apiHost = b.apiHost;
    this.apiPort = b.apiPort;
    this.callTimeout = b.callTimeout;
    this.backoffInitial = b.backoffInitial;
    this.backoffMax = b.backoffMax;
    this.backoff = backoff;
    this.exec = List.copyOf(b.exec);
    this.configuredRestartAfterUnhealthy = b.restartAfterUnhealthy;
    this.restartAfterUnhealthy = b.restartAfterUnhealthy != null ? b.restartAfterUnhealthy
        : b.probeInterval.multipliedBy(DEFAULT_RESTART_AFTER_UNHEALTHY_INTERVALS);
    this.restartBackoff = BackoffConfig.custom().initialDelay(b.restartBackoffInitial).maxDelay(b.restartBackoffMax)
        .multiplier(RESTART_BACKOFF_MULTIPLIER).build();
    this.crashLoopRestarts = b.crashLoopRestarts;
    this.crashLoopWindow = b.crashLoopWindow;
    this.appStopGrace = b.appStopGrace;
    this.appStartTimeout = b.appStartTimeout;
  }

  /** {@code ofDefaults} returns the default configuration for the app {@code service} listening on {@code port}. */
  public static SidecarConfig ofDefaults(String service, int port) {
    return custom(service, port).build();
  }

  /**
   * {@code custom} starts a configuration for the app {@code service} listening on {@code port},
   * from the defaults.
   *
   * @throws InvalidSettingException naming {@code service-name} or {@code port} when one is invalid
   */
  public static Builder custom(String service, int port) {
    return new Builder(service, port);
  }

  /** {@code from} starts a configuration from {@code base}'s settings. */
  public static Builder from(SidecarConfig base) {
    return new Builder(base);
  }

  /**
   * {@code instance} returns the instance the sidecar registers, with its health unset (the
   * sidecar registers it with the health it probed).
   */
  public InstanceSpec instance() {
    return instance;
  }

  /** {@code service} returns the canonical service name. */
  public String service() {
    return instance.service();
  }

  /** {@code instanceId} returns the instance id: the configured one, or {@code address:port}. */
  public String instanceId() {
    return instance.instanceId();
  }

  /** {@code address} returns the address the app is reached at (registered, and probed). */
  public String address() {
    return instance.address();
  }

  /** {@code port} returns the app's port. */
  public int port() {
    return instance.port();
  }

  /** {@code protocol} returns the app's protocol: HTTP or GRPC. */
  public Protocol protocol() {
    return instance.protocol();
  }

  /** {@code version} returns the version label. */
  public String version() {
    return instance.version();
  }

  /** {@code zone} returns the zone, possibly empty. */
  public String zone() {
    return instance.zone();
  }

  /** {@code weight} returns the load-balancing weight. */
  public int weight() {
    return instance.weight();
  }

  /** {@code metadata} returns the labels registered with the instance. */
  public Map<String, String> metadata() {
    return instance.metadata();
  }

  /** {@code healthPath} returns the path probed with HTTP GET (HTTP apps). */
  public String healthPath() {
    return healthPath;
  }

  /** {@code grpcHealthService} returns the service name sent in grpc.health.v1 Check (gRPC apps). */
  public String grpcHealthService() {
    return grpcHealthService;
  }

  /** {@code controlPlane} returns the control-plane replicas. */
  public ControlPlaneAddresses controlPlane() {
    return controlPlane;
  }

  /** {@code upstreams} returns the canonical names of the services cached for the app. */
  public List<String> upstreams() {
    return upstreams;
  }

  /** {@code probeInterval} returns the probe period. */
  public Duration probeInterval() {
    return probeInterval;
  }

  /** {@code probeTimeout} returns how long one probe may take before it counts as a failure. */
  public Duration probeTimeout() {
    return probeTimeout;
  }

  /** {@code successThreshold} returns the consecutive successes that make the app SERVING. */
  public int successThreshold() {
    return successThreshold;
  }

  /** {@code failureThreshold} returns the consecutive failures that make the app NOT_SERVING. */
  public int failureThreshold() {
    return failureThreshold;
  }

  /** {@code ttl} returns the lease TTL asked for. */
  public Duration ttl() {
    return instance.ttl();
  }

  /** {@code keepalive} returns the keepalive interval asked for. */
  public Duration keepalive() {
    return instance.keepaliveInterval();
  }

  /** {@code drainPeriod} returns the longest time between DRAINING and deregistration. */
  public Duration drainPeriod() {
    return drainPeriod;
  }

  /** {@code drainSettle} returns the time after DRAINING before the in-flight count may end the drain. */
  public Duration drainSettle() {
    return drainSettle;
  }

  /** {@code inflightUrl} returns the app's in-flight endpoint, if it has one. */
  public Optional<URI> inflightUrl() {
    return inflightUrl;
  }

  /** {@code apiHost} returns the address the local API listens on. */
  public String apiHost() {
    return apiHost;
  }

  /** {@code apiPort} returns the local API's port; 0 picks a free one. */
  public int apiPort() {
    return apiPort;
  }

  /** {@code callTimeout} returns the deadline of each call to the control plane. */
  public Duration callTimeout() {
    return callTimeout;
  }

  /** {@code backoff} returns the backoff of reconnects and retries to the control plane. */
  public BackoffConfig backoff() {
    return backoff;
  }

  /**
   * {@code exec} returns the command line of the app the sidecar starts and supervises, or an
   * empty list when the app runs on its own (the default).
   */
  public List<String> exec() {
    return exec;
  }

  /**
   * {@code restartAfterUnhealthy} returns how long a supervised app that answered a good probe may
   * go without one (from the last) before it is stopped and restarted; by default {@value
   * #DEFAULT_RESTART_AFTER_UNHEALTHY_INTERVALS} probe intervals.
   */
  public Duration restartAfterUnhealthy() {
    return restartAfterUnhealthy;
  }

  /**
   * {@code restartBackoff} returns the delays before each restart of a supervised app: from the
   * initial delay, doubling, up to the maximum, with the default jitter (±20 %).
   */
  public BackoffConfig restartBackoff() {
    return restartBackoff;
  }

  /** {@code crashLoopRestarts} returns the restarts within the crash-loop window after which the app stays down. */
  public int crashLoopRestarts() {
    return crashLoopRestarts;
  }

  /**
   * {@code crashLoopWindow} returns the window in which restarts are counted; an app that stays
   * healthy for this long also starts its restart backoff over.
   */
  public Duration crashLoopWindow() {
    return crashLoopWindow;
  }

  /**
   * {@code appStartTimeout} returns the time a supervised app has after each start to answer its
   * first good probe before it is stopped and restarted.
   */
  public Duration appStartTimeout() {
    return appStartTimeout;
  }

  /** {@code appStopGrace} returns the time between SIGTERM and SIGKILL when a supervised app is stopped. */
  public Duration appStopGrace() {
    return appStopGrace;
  }

  @Override
  public String toString() {
    return "SidecarConfig{" + service() + "/" + instanceId() + " at " + address() + ":" + port() + " ("
        + protocol().name().substring("PROTOCOL_".length()).toLowerCase(java.util.Locale.ROOT) + ", " + version()
        + "), probe every " + probeInterval + " (timeout " + probeTimeout + ", success " + successThreshold
        + ", failure " + failureThreshold + "), ttl " + ttl() + ", keepalive " + keepalive() + ", drain " + drainPeriod
        + ", control plane " + controlPlane.addresses() + ", upstreams " + upstreams
        + (exec.isEmpty() ? "" : ", exec " + exec + " (restart after " + restartAfterUnhealthy + " unhealthy, backoff "
            + restartBackoff.initialDelay() + ".." + restartBackoff.maxDelay() + ", start timeout " + appStartTimeout + ", crash loop at " + crashLoopRestarts
            + " restarts in " + crashLoopWindow + ", stop grace " + appStopGrace + ")")
        + "}";
  }

  /**
   * {@code Builder} collects settings, checking each at once; {@link #build()} checks the ones that
   * depend on each other. Not thread-safe.
   */
  public static final class Builder {
    private final String service;
    private final int port;
    private String instanceId = "";
    private String address = DEFAULT_ADDRESS;
    private Protocol protocol = Protocol.PROTOCOL_HTTP;
    private String version = DEFAULT_VERSION;
    private String zone = "";
    private int weight = DEFAULT_WEIGHT;
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private String healthPath = DEFAULT_HEALTH_PATH;
    private String grpcHealthService = "";
    private String controlPlane = ControlPlaneAddresses.DEFAULT_ADDRESS;
    private List<String> upstreams = List.of();
    private Duration probeInterval = DEFAULT_PROBE_INTERVAL;
    private Duration probeTimeout = DEFAULT_PROBE_TIMEOUT;
    private int successThreshold = DEFAULT_SUCCESS_THRESHOLD;
    private int failureThreshold = DEFAULT_FAILURE_THRESHOLD;
    private Duration ttl = DEFAULT_TTL;
    private Duration keepalive = DEFAULT_KEEPALIVE;
    private Duration drainPeriod = DEFAULT_DRAIN_PERIOD;
    private Duration drainSettle = DEFAULT_DRAIN_SETTLE;
    private URI inflightUrl;
    private String apiHost = DEFAULT_API_HOST;
    private int apiPort = DEFAULT_API_PORT;
    private Duration callTimeout = DEFAULT_CALL_TIMEOUT;
    private Duration backoffInitial = Duration.ofMillis(BackoffConfig.DEFAULT_INITIAL_DELAY_MILLIS);
    private Duration backoffMax = Duration.ofMillis(BackoffConfig.DEFAULT_MAX_DELAY_MILLIS);
    private List<String> exec = List.of();
    private Duration restartAfterUnhealthy; // null: DEFAULT_RESTART_AFTER_UNHEALTHY_INTERVALS probe intervals
    private Duration restartBackoffInitial = DEFAULT_RESTART_BACKOFF_INITIAL;
    private Duration restartBackoffMax = DEFAULT_RESTART_BACKOFF_MAX;
    private int crashLoopRestarts = DEFAULT_CRASH_LOOP_RESTARTS;
    private Duration crashLoopWindow = DEFAULT_CRASH_LOOP_WINDOW;
    private Duration appStopGrace = DEFAULT_APP_STOP_GRACE;
    private Duration appStartTimeout = DEFAULT_APP_START_TIMEOUT;

    private Builder(String service, int port) {
      this.service = ServiceNames.normalize(service).orElseThrow(() -> new InvalidSettingException("service-name",
          "'" + service + "' is not valid: " + ServiceNames.describeRule()));
      check("port", port >= 1 && port <= 65535, port + " is outside 1..65535");
      this.port = port;
    }

    private Builder(SidecarConfig base) {
      this.service = base.service();
      this.port = base.port();
      this.instanceId = base.configuredInstanceId;
      this.address = base.address();
      this.protocol = base.protocol();
      this.version = base.version();
      this.zone = base.zone();
      this.weight = base.weight();
      this.metadata.putAll(base.metadata());
      this.healthPath = base.healthPath;
      this.grpcHealthService = base.grpcHealthService;
      this.controlPlane = String.join(",", base.controlPlane.addresses());
      this.upstreams = base.upstreams;
      this.probeInterval = base.probeInterval;
      this.probeTimeout = base.probeTimeout;
      this.successThreshold = base.successThreshold;
      this.failureThreshold = base.failureThreshold;
      this.ttl = base.ttl();
      this.keepalive = base.keepalive();
      this.drainPeriod = base.drainPeriod;
      this.drainSettle = base.drainSettle;
      this.inflightUrl = base.inflightUrl.orElse(null);
      this.apiHost = base.apiHost;
      this.apiPort = base.apiPort;
      this.callTimeout = base.callTimeout;
      this.backoffInitial = base.backoffInitial;
      this.backoffMax = base.backoffMax;
      this.exec = base.exec;
      this.restartAfterUnhealthy = base.configuredRestartAfterUnhealthy;
      this.restartBackoffInitial = base.restartBackoff.initialDelay();
      this.restartBackoffMax = base.restartBackoff.maxDelay();
      this.crashLoopRestarts = base.crashLoopRestarts;
      this.crashLoopWindow = base.crashLoopWindow;
      this.appStopGrace = base.appStopGrace;
      this.appStartTimeout = base.appStartTimeout;
    }

    /** {@code instanceId} sets the instance id; empty (the default) means {@code address:port}. */
    public Builder instanceId(String v) {
      check("instance-id", v != null && (v.isEmpty() || INSTANCE_ID.matcher(v).matches()),
          "'" + v + "' is not valid: 1-128 characters of A-Z, a-z, 0-9, '.', '_', ':' and '-'");
      this.instanceId = v;
      return this;
    }

    /** {@code address} sets the app's address (default 127.0.0.1). */
    public Builder address(String v) {
      check("address", v != null && !v.isBlank() && !v.contains(" "), "'" + v + "' is not an IP literal or host name");
      this.address = v;
      return this;
    }

    /** {@code protocol} sets the app's protocol (default HTTP). */
    public Builder protocol(Protocol v) {
      check("protocol", v == Protocol.PROTOCOL_HTTP || v == Protocol.PROTOCOL_GRPC, v + " is not http or grpc");
      this.protocol = v;
      return this;
    }

    /** {@code version} sets the version label (default v1). */
    public Builder version(String v) {
      check("version", v != null && !v.isEmpty() && LABEL.matcher(v).matches(),
          "'" + v + "' is not valid: 1-63 characters of A-Z, a-z, 0-9, '.', '_' and '-'");
      this.version = v;
      return this;
    }

    /** {@code zone} sets the zone (default none). */
    public Builder zone(String v) {
      check("zone", v != null && LABEL.matcher(v).matches(),
          "'" + v + "' is not valid: 0-63 characters of A-Z, a-z, 0-9, '.', '_' and '-'");
      this.zone = v;
      return this;
    }

    /** {@code weight} sets the load-balancing weight, 1-10000 (default 100). */
    public Builder weight(int v) {
      check("weight", v >= 1 && v <= 10_000, v + " is outside 1..10000");
      this.weight = v;
      return this;
    }

    /** {@code metadata} adds labels, at most {@value #MAX_METADATA_ENTRIES} in all. */
    public Builder metadata(Map<String, String> v) {
      for (String key : v.keySet()) {
        check("metadata", !key.isBlank(), "a key is empty");
      }
      Map<String, String> all = new LinkedHashMap<>(metadata);
      all.putAll(v);
      check("metadata", all.size() <= MAX_METADATA_ENTRIES,
          all.size() + " entries exceed the limit of " + MAX_METADATA_ENTRIES);
      this.metadata.putAll(v);
      return this;
    }

    /** {@code healthPath} sets the HTTP path probed (default /health). */
    public Builder healthPath(String v) {
      check("health-path", v != null && PATH.matcher(v).matches(),
          "'" + v + "' is not an absolute path of printable ASCII without spaces");
      this.healthPath = v;
      return this;
    }

    /** {@code grpcHealthService} sets the service name of grpc.health.v1 Check (default "": the whole server). */
    public Builder grpcHealthService(String v) {
      check("grpc-health-service", v != null, "is null");
      this.grpcHealthService = v;
      return this;
    }

    /** {@code controlPlane} sets the replicas as a comma-separated host:port list (default localhost:7700). */
    public Builder controlPlane(String v) {
      parseControlPlane(v);
      this.controlPlane = v;
      return this;
    }

    /** {@code upstreams} sets the services cached for the app (any accepted spelling; blanks are skipped). */
    public Builder upstreams(List<String> v) {
      Objects.requireNonNull(v, "upstreams");
      LinkedHashSet<String> ups = new LinkedHashSet<>();
      for (String u : v) {
        if (u.isBlank()) {
          continue;
        }
        ups.add(ServiceNames.normalize(u).orElseThrow(() -> new InvalidSettingException("upstreams",
            "'" + u + "' is not valid: " + ServiceNames.describeRule())));
      }
      check("upstreams", ups.size() <= MAX_UPSTREAMS, ups.size() + " services exceed the limit of " + MAX_UPSTREAMS);
      this.upstreams = List.copyOf(ups);
      return this;
    }

    /** {@code probeInterval} sets the probe period (default 5 s). */
    public Builder probeInterval(Duration v) {
      this.probeInterval = positive("probe-interval", v);
      return this;
    }

    /** {@code probeTimeout} sets the time one probe may take, at most the probe interval (default 1 s). */
    public Builder probeTimeout(Duration v) {
      this.probeTimeout = positive("probe-timeout", v);
      return this;
    }

    /** {@code successThreshold} sets the consecutive successes that make the app SERVING, 1-100 (default 1). */
    public Builder successThreshold(int v) {
      check("success-threshold", v >= 1 && v <= 100, v + " is outside 1..100");
      this.successThreshold = v;
      return this;
    }

    /** {@code failureThreshold} sets the consecutive failures that make the app NOT_SERVING, 1-100 (default 3). */
    public Builder failureThreshold(int v) {
      check("failure-threshold", v >= 1 && v <= 100, v + " is outside 1..100");
      this.failureThreshold = v;
      return this;
    }

    /** {@code ttl} sets the lease TTL (default 60 s). */
    public Builder ttl(Duration v) {
      this.ttl = positive("ttl", v);
      return this;
    }

    /** {@code keepalive} sets the keepalive interval, shorter than the TTL (default 30 s). */
    public Builder keepalive(Duration v) {
      this.keepalive = positive("keepalive-interval", v);
      return this;
    }

    /** {@code drainPeriod} sets the longest drain (default 10 s). */
    public Builder drainPeriod(Duration v) {
      check("drain-period", v != null && !v.isNegative(), v + " is negative");
      this.drainPeriod = v;
      return this;
    }

    /** {@code drainSettle} sets the time before the in-flight count may end a drain (default 1 s). */
    public Builder drainSettle(Duration v) {
      check("drain-settle", v != null && !v.isNegative(), v + " is negative");
      this.drainSettle = v;
      return this;
    }

    /** {@code inflightUrl} sets the app's in-flight endpoint, an http:// URL (default none). */
    public Builder inflightUrl(URI v) {
      if (v != null) {
        check("inflight-url", "http".equals(v.getScheme()) && v.getHost() != null,
            "'" + v + "' is not an http:// URL with a host");
      }
      this.inflightUrl = v;
      return this;
    }

    /** {@code apiHost} sets the address of the local API (default 127.0.0.1). */
    public Builder apiHost(String v) {
      check("api-host", v != null && !v.isBlank(), "is empty");
      this.apiHost = v;
      return this;
    }

    /** {@code apiPort} sets the port of the local API; 0 picks a free one (default 15000). */
    public Builder apiPort(int v) {
      check("api-port", v >= 0 && v <= 65535, v + " is outside 0..65535");
      this.apiPort = v;
      return this;
    }

    /** {@code callTimeout} sets the deadline of each control-plane call (default 5 s). */
    public Builder callTimeout(Duration v) {
      this.callTimeout = positive("call-timeout", v);
      return this;
    }

    /** {@code backoffInitial} sets the first retry delay toward the control plane (default 100 ms). */
    public Builder backoffInitial(Duration v) {
      this.backoffInitial = positive("backoff-initial", v);
      return this;
    }

    /** {@code backoffMax} sets the longest retry delay toward the control plane, at least the first (default 5 s). */
    public Builder backoffMax(Duration v) {
      this.backoffMax = positive("backoff-max", v);
      return this;
    }

    /**
     * {@code exec} sets the command line of the app to start and supervise: the program, then its
     * arguments (default: none, the app runs on its own).
     */
    public Builder exec(List<String> v) {
      check("exec", v != null && v.stream().allMatch(Objects::nonNull), "is null or holds null");
      check("exec", v.isEmpty() || !v.get(0).isBlank(), "the program is empty");
      this.exec = List.copyOf(v);
      return this;
    }

    /**
     * {@code restartAfterUnhealthy} sets how long a supervised app may go without a good probe after
     * its last one before it is restarted, at least the probe interval (default {@value
     * #DEFAULT_RESTART_AFTER_UNHEALTHY_INTERVALS} probe intervals).
     */
    public Builder restartAfterUnhealthy(Duration v) {
      this.restartAfterUnhealthy = positive("restart-after-unhealthy", v);
      return this;
    }

    /** {@code restartBackoffInitial} sets the first restart delay of a supervised app (default 1 s). */
    public Builder restartBackoffInitial(Duration v) {
      this.restartBackoffInitial = positive("restart-backoff-initial", v);
      return this;
    }

    /** {@code restartBackoffMax} sets the longest restart delay, at least the first (default 30 s). */
    public Builder restartBackoffMax(Duration v) {
      this.restartBackoffMax = positive("restart-backoff-max", v);
      return this;
    }

    /**
     * {@code crashLoopRestarts} sets the restarts within the crash-loop window after which a
     * supervised app stays down, 1-{@value #MAX_CRASH_LOOP_RESTARTS} (default 5).
     */
    public Builder crashLoopRestarts(int v) {
      check("crash-loop-restarts", v >= 1 && v <= MAX_CRASH_LOOP_RESTARTS,
          v + " is outside 1.." + MAX_CRASH_LOOP_RESTARTS);
      this.crashLoopRestarts = v;
      return this;
    }

    /** {@code crashLoopWindow} sets the window in which restarts are counted (default 5 min). */
    public Builder crashLoopWindow(Duration v) {
      this.crashLoopWindow = positive("crash-loop-window", v);
      return this;
    }

    /** {@code appStartTimeout} sets the time the app has after each start to answer a good probe (default 60 s). */
    public Builder appStartTimeout(Duration v) {
      this.appStartTimeout = positive("app-start-timeout", v);
      return this;
    }

    /** {@code appStopGrace} sets the time between SIGTERM and SIGKILL to a supervised app (default 10 s). */
    public Builder appStopGrace(Duration v) {
      check("app-stop-grace", v != null && !v.isNegative(), v + " is negative");
      this.appStopGrace = v;
      return this;
    }

    /**
     * {@code build} checks the settings that depend on each other and returns the configuration.
     *
     * @throws InvalidSettingException naming the first invalid setting
     */
    public SidecarConfig build() {
      ControlPlaneAddresses cp = parseControlPlane(controlPlane);
      check("probe-timeout", probeTimeout.compareTo(probeInterval) <= 0,
          probeTimeout + " is longer than the probe interval " + probeInterval);
      check("keepalive-interval", keepalive.compareTo(ttl) < 0, keepalive + " is not shorter than the TTL " + ttl);
      check("backoff-max", backoffMax.compareTo(backoffInitial) >= 0,
          backoffMax + " is shorter than the initial backoff " + backoffInitial);
      check("restart-backoff-max", restartBackoffMax.compareTo(restartBackoffInitial) >= 0,
          restartBackoffMax + " is shorter than the initial restart backoff " + restartBackoffInitial);
      check("restart-after-unhealthy", restartAfterUnhealthy == null || restartAfterUnhealthy.compareTo(probeInterval) >= 0,
          restartAfterUnhealthy + " is shorter than the probe interval " + probeInterval);
      BackoffConfig backoff = BackoffConfig.custom().initialDelay(backoffInitial).maxDelay(backoffMax).build();
      return new SidecarConfig(this, cp, backoff);
    }

    private static ControlPlaneAddresses parseControlPlane(String v) {
      try {
        return ControlPlaneAddresses.parse(v);
      } catch (IllegalArgumentException e) {
        throw new InvalidSettingException("control-plane", e.getMessage());
      }
    }

    private static Duration positive(String setting, Duration v) {
      check(setting, v != null && !v.isZero() && !v.isNegative(), v + " is not positive");
      return v;
    }

    private static void check(String setting, boolean ok, String problem) {
      if (!ok) {
        throw new InvalidSettingException(setting, problem);
      }
    }
  }
}
