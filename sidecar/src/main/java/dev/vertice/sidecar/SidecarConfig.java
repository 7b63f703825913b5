package dev.vertice.sidecar;

import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.client.BackoffConfig;
import dev.vertice.client.ControlPlaneAddresses;
import dev.vertice.common.ServiceNames;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@code SidecarConfig} is everything a {@link Sidecar} needs to know: the app it stands for, how
 * to probe it, how to drain it, where the control plane is, and which upstream services to cache.
 *
 * <p>Immutable. Build one with {@link #custom(String, int)}; {@link Builder#build()} checks every
 * setting and throws {@link InvalidSettingException} naming the first bad one (by its flag name).
 * The defaults follow the seed system (TTL 60 s, keepalive 30 s) and Kubernetes probes (every 5 s,
 * timeout 1 s, success threshold 1, failure threshold 3).
 */
public final class SidecarConfig {

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

  private static final Pattern INSTANCE_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
  private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9._-]{0,63}");
  private static final Pattern PATH = Pattern.compile("/[\\x21-\\x7e]{0,1023}");

  private final String service;
  private final String instanceId;
  private final String address;
  private final int port;
  private final Protocol protocol;
  private final String version;
  private final String zone;
  private final int weight;
  private final Map<String, String> metadata;
  private final String healthPath;
  private final String grpcHealthService;
  private final ControlPlaneAddresses controlPlane;
  private final List<String> upstreams;
  private final Duration probeInterval;
  private final Duration probeTimeout;
  private final int successThreshold;
  private final int failureThreshold;
  private final Duration ttl;
  private final Duration keepalive;
  private final Duration drainPeriod;
  private final Duration drainSettle;
  private final Optional<URI> inflightUrl;
  private final String apiHost;
  private final int apiPort;
  private final Duration callTimeout;
  private final BackoffConfig backoff;

  private SidecarConfig(Builder b, ControlPlaneAddresses cp, List<String> ups, BackoffConfig backoff) {
    this.service = ServiceNames.normalize(b.service).orElseThrow();
    this.address = b.address;
    this.port = b.port;
    this.instanceId = b.instanceId.isEmpty() ? address + ":" + port : b.instanceId;
    this.protocol = b.protocol;
    this.version = b.version;
    this.zone = b.zone;
    this.weight = b.weight;
    this.metadata = Map.copyOf(b.metadata);
    this.healthPath = b.healthPath;
    this.grpcHealthService = b.grpcHealthService;
    this.controlPlane = cp;
    this.upstreams = List.copyOf(ups);
    this.probeInterval = b.probeInterval;
    this.probeTimeout = b.probeTimeout;
    this.successThreshold = b.successThreshold;
    this.failureThreshold = b.failureThreshold;
    this.ttl = b.ttl;
    this.keepalive = b.keepalive;
    this.drainPeriod = b.drainPeriod;
    this.drainSettle = b.drainSettle;
    this.inflightUrl = Optional.ofNullable(b.inflightUrl);
    this.apiHost = b.apiHost;
    this.apiPort = b.apiPort;
    this.callTimeout = b.callTimeout;
    this.backoff = backoff;
  }

  /** {@code custom} starts a configuration for the app {@code service} listening on {@code port}. */
  public static Builder custom(String service, int port) {
    return new Builder(service, port);
  }

  /** {@code service} returns the canonical service name. */
  public String service() {
    return service;
  }

  /** {@code instanceId} returns the instance id: the configured one, or {@code address:port}. */
  public String instanceId() {
    return instanceId;
  }

  /** {@code address} returns the address the app is reached at (registered, and probed). */
  public String address() {
    return address;
  }

  /** {@code port} returns the app's port. */
  public int port() {
    return port;
  }

  /** {@code protocol} returns the app's protocol: HTTP or GRPC. */
  public Protocol protocol() {
    return protocol;
  }

  /** {@code version} returns the version label. */
  public String version() {
    return version;
  }

  /** {@code zone} returns the zone, possibly empty. */
  public String zone() {
    return zone;
  }

  /** {@code weight} returns the load-balancing weight. */
  public int weight() {
    return weight;
  }

  /** {@code metadata} returns the labels registered with the instance. */
  public Map<String, String> metadata() {
    return metadata;
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
    return ttl;
  }

  /** {@code keepalive} returns the keepalive interval asked for. */
  public Duration keepalive() {
    return keepalive;
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

  @Override
  public String toString() {
    return "SidecarConfig{" + service + "/" + instanceId + " at " + address + ":" + port + " ("
        + protocol.name().substring("PROTOCOL_".length()).toLowerCase(java.util.Locale.ROOT) + ", " + version
        + "), probe every " + probeInterval + " (timeout " + probeTimeout + ", success " + successThreshold
        + ", failure " + failureThreshold + "), ttl " + ttl + ", keepalive " + keepalive + ", drain " + drainPeriod
        + ", control plane " + controlPlane.addresses() + ", upstreams " + upstreams + "}";
  }

  /**
   * {@code Builder} collects settings; {@link #build()} checks them all. Not thread-safe. Setters
   * take values as given; nothing is checked before {@code build()}.
   */
  public static final class Builder {
    private final String service;
    private final int port;
    private String instanceId = "";
    private String address = "127.0.0.1";
    private Protocol protocol = Protocol.PROTOCOL_HTTP;
    private String version = "v1";
    private String zone = "";
    private int weight = 100;
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
    private String apiHost = "127.0.0.1";
    private int apiPort = DEFAULT_API_PORT;
    private Duration callTimeout = DEFAULT_CALL_TIMEOUT;
    private Duration backoffInitial = Duration.ofMillis(BackoffConfig.DEFAULT_INITIAL_DELAY_MILLIS);
    private Duration backoffMax = Duration.ofMillis(BackoffConfig.DEFAULT_MAX_DELAY_MILLIS);

    private Builder(String service, int port) {
      this.service = service;
      this.port = port;
    }

    /** {@code instanceId} sets the instance id; empty (the default) means {@code address:port}. */
    public Builder instanceId(String v) {
      this.instanceId = v;
      return this;
    }

    /** {@code address} sets the app's address (default 127.0.0.1). */
    public Builder address(String v) {
      this.address = v;
      return this;
    }

    /** {@code protocol} sets the app's protocol (default HTTP). */
    public Builder protocol(Protocol v) {
      this.protocol = v;
      return this;
    }

    /** {@code version} sets the version label (default v1). */
    public Builder version(String v) {
      this.version = v;
      return this;
    }

    /** {@code zone} sets the zone (default none). */
    public Builder zone(String v) {
      this.zone = v;
      return this;
    }

    /** {@code weight} sets the load-balancing weight, 1-10000 (default 100). */
    public Builder weight(int v) {
      this.weight = v;
      return this;
    }

    /** {@code metadata} adds labels. */
    public Builder metadata(Map<String, String> v) {
      this.metadata.putAll(v);
      return this;
    }

    /** {@code healthPath} sets the HTTP path probed (default /health). */
    public Builder healthPath(String v) {
      this.healthPath = v;
      return this;
    }

    /** {@code grpcHealthService} sets the service name of grpc.health.v1 Check (default "": the whole server). */
    public Builder grpcHealthService(String v) {
      this.grpcHealthService = v;
      return this;
    }

    /** {@code controlPlane} sets the replicas as a comma-separated host:port list (default localhost:7700). */
    public Builder controlPlane(String v) {
      this.controlPlane = v;
      return this;
    }

    /** {@code upstreams} sets the services cached for the app (any accepted spelling). */
    public Builder upstreams(List<String> v) {
      this.upstreams = List.copyOf(v);
      return this;
    }

    /** {@code probeInterval} sets the probe period (default 5 s). */
    public Builder probeInterval(Duration v) {
      this.probeInterval = v;
      return this;
    }

    /** {@code probeTimeout} sets the time one probe may take (default 1 s). */
    public Builder probeTimeout(Duration v) {
      this.probeTimeout = v;
      return this;
    }

    /** {@code successThreshold} sets the consecutive successes that make the app SERVING (default 1). */
    public Builder successThreshold(int v) {
      this.successThreshold = v;
      return this;
    }

    /** {@code failureThreshold} sets the consecutive failures that make the app NOT_SERVING (default 3). */
    public Builder failureThreshold(int v) {
      this.failureThreshold = v;
      return this;
    }

    /** {@code ttl} sets the lease TTL (default 60 s). */
    public Builder ttl(Duration v) {
      this.ttl = v;
      return this;
    }

    /** {@code keepalive} sets the keepalive interval (default 30 s). */
    public Builder keepalive(Duration v) {
      this.keepalive = v;
      return this;
    }

    /** {@code drainPeriod} sets the longest drain (default 10 s). */
    public Builder drainPeriod(Duration v) {
      this.drainPeriod = v;
      return this;
    }

    /** {@code drainSettle} sets the time before the in-flight count may end a drain (default 1 s). */
    public Builder drainSettle(Duration v) {
      this.drainSettle = v;
      return this;
    }

    /** {@code inflightUrl} sets the app's in-flight endpoint (default none). */
    public Builder inflightUrl(URI v) {
      this.inflightUrl = v;
      return this;
    }

    /** {@code apiHost} sets the address of the local API (default 127.0.0.1). */
    public Builder apiHost(String v) {
      this.apiHost = v;
      return this;
    }

    /** {@code apiPort} sets the port of the local API; 0 picks a free one (default 15000). */
    public Builder apiPort(int v) {
      this.apiPort = v;
      return this;
    }

    /** {@code callTimeout} sets the deadline of each control-plane call (default 5 s). */
    public Builder callTimeout(Duration v) {
      this.callTimeout = v;
      return this;
    }

    /** {@code backoffInitial} sets the first retry delay toward the control plane (default 100 ms). */
    public Builder backoffInitial(Duration v) {
      this.backoffInitial = v;
      return this;
    }

    /** {@code backoffMax} sets the longest retry delay toward the control plane (default 5 s). */
    public Builder backoffMax(Duration v) {
      this.backoffMax = v;
      return this;
    }

    /**
     * {@code build} checks every setting and returns the configuration.
     *
     * @throws InvalidSettingException naming the first invalid setting
     */
    public SidecarConfig build() {
      if (ServiceNames.normalize(service).isEmpty()) {
        throw new InvalidSettingException("service-name", "'" + service + "' is not valid: "
            + ServiceNames.describeRule());
      }
      check("port", port >= 1 && port <= 65535, port + " is outside 1..65535");
      check("address", address != null && !address.isBlank() && !address.contains(" "),
          "'" + address + "' is not an IP literal or host name");
      check("instance-id", instanceId != null && (instanceId.isEmpty() || INSTANCE_ID.matcher(instanceId).matches()),
          "'" + instanceId + "' is not valid: 1-128 characters of A-Z, a-z, 0-9, '.', '_', ':' and '-'");
      check("protocol", protocol == Protocol.PROTOCOL_HTTP || protocol == Protocol.PROTOCOL_GRPC,
          protocol + " is not http or grpc");
      check("version", version != null && !version.isEmpty() && LABEL.matcher(version).matches(),
          "'" + version + "' is not valid: 1-63 characters of A-Z, a-z, 0-9, '.', '_' and '-'");
      check("zone", zone != null && LABEL.matcher(zone).matches(),
          "'" + zone + "' is not valid: 0-63 characters of A-Z, a-z, 0-9, '.', '_' and '-'");
      check("weight", weight >= 1 && weight <= 10_000, weight + " is outside 1..10000");
      check("metadata", metadata.size() <= MAX_METADATA_ENTRIES,
          metadata.size() + " entries exceed the limit of " + MAX_METADATA_ENTRIES);
      for (String key : metadata.keySet()) {
        check("metadata", !key.isBlank(), "a key is empty");
      }
      check("health-path", healthPath != null && PATH.matcher(healthPath).matches(),
          "'" + healthPath + "' is not an absolute path of printable ASCII without spaces");
      check("grpc-health-service", grpcHealthService != null, "is null");
      ControlPlaneAddresses cp;
      try {
        cp = ControlPlaneAddresses.parse(controlPlane);
      } catch (IllegalArgumentException e) {
        throw new InvalidSettingException("control-plane", e.getMessage());
      }
      Objects.requireNonNull(upstreams, "upstreams");
      LinkedHashSet<String> ups = new LinkedHashSet<>();
      for (String u : upstreams) {
        if (u.isBlank()) {
          continue;
        }
        ups.add(ServiceNames.normalize(u).orElseThrow(() -> new InvalidSettingException("upstreams",
            "'" + u + "' is not valid: " + ServiceNames.describeRule())));
      }
      check("upstreams", ups.size() <= MAX_UPSTREAMS, ups.size() + " services exceed the limit of " + MAX_UPSTREAMS);
      positive("probe-interval", probeInterval);
      positive("probe-timeout", probeTimeout);
      check("probe-timeout", probeTimeout.compareTo(probeInterval) <= 0,
          probeTimeout + " is longer than the probe interval " + probeInterval);
      check("success-threshold", successThreshold >= 1 && successThreshold <= 100,
          successThreshold + " is outside 1..100");
      check("failure-threshold", failureThreshold >= 1 && failureThreshold <= 100,
          failureThreshold + " is outside 1..100");
      positive("ttl", ttl);
      positive("keepalive-interval", keepalive);
      check("keepalive-interval", keepalive.compareTo(ttl) < 0, keepalive + " is not shorter than the TTL " + ttl);
      check("drain-period", drainPeriod != null && !drainPeriod.isNegative(), drainPeriod + " is negative");
      check("drain-settle", drainSettle != null && !drainSettle.isNegative(), drainSettle + " is negative");
      if (inflightUrl != null) {
        check("inflight-url", "http".equals(inflightUrl.getScheme()) && inflightUrl.getHost() != null,
            "'" + inflightUrl + "' is not an http:// URL with a host");
      }
      check("api-host", apiHost != null && !apiHost.isBlank(), "is empty");
      check("api-port", apiPort >= 0 && apiPort <= 65535, apiPort + " is outside 0..65535");
      positive("call-timeout", callTimeout);
      positive("backoff-initial", backoffInitial);
      positive("backoff-max", backoffMax);
      check("backoff-max", backoffMax.compareTo(backoffInitial) >= 0,
          backoffMax + " is shorter than the initial backoff " + backoffInitial);
      BackoffConfig backoff = BackoffConfig.custom().initialDelay(backoffInitial).maxDelay(backoffMax).build();
      return new SidecarConfig(this, cp, new ArrayList<>(ups), backoff);
    }

    private static void positive(String setting, Duration v) {
      check(setting, v != null && !v.isZero() && !v.isNegative(), v + " is not positive");
    }

    private static void check(String setting, boolean ok, String problem) {
      if (!ok) {
        throw new InvalidSettingException(setting, problem);
      }
    }
  }
}
