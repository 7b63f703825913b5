package dev.vertice.client;

import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.api.registry.v1.RegisterRequest;
import dev.vertice.client.internal.ProtoDurations;
import dev.vertice.common.ServiceNames;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * {@code InstanceSpec} describes an instance to register with {@link RegistryClient#register}.
 *
 * <p>Immutable. Fields left unset take the control plane's defaults: a generated instance id,
 * protocol HTTP, version {@code v1}, weight 100, health SERVING, TTL 60 s, keepalive 30 s (or
 * half the TTL when shorter). The control plane validates every field and rejects a bad one with
 * INVALID_ARGUMENT; this class only checks what it can without knowing the server's bounds.
 *
 * <p>Built with {@link #builder(String)}, or {@link #from(InstanceSpec)} to derive one spec from
 * another (the config style of DEVELOPERS.md; there are no defaults to start from, a service is
 * required). It stays a record: its compact constructor runs every check, so the constructor and
 * the builder cannot disagree, and each check names the field and quotes the rejected value.
 *
 * @param service service name in any accepted spelling ({@code OSINT_SERVICE} registers {@code
 *     osint-service})
 * @param instanceId unique id within the service, or empty to let the server generate one
 * @param address IP literal or DNS host name the instance listens on, without port
 * @param port TCP port, 1-65535
 * @param protocol application protocol, or {@code PROTOCOL_UNSPECIFIED} for the server default
 * @param version version label for canary subsets, or empty for {@code v1}
 * @param zone zone or locality, may be empty
 * @param weight relative load-balancing weight 1-10000, or 0 for the default 100
 * @param health initial health, or {@code HEALTH_STATUS_UNSPECIFIED} for SERVING
 * @param metadata free-form labels (copied)
 * @param ttl lease TTL, or null for the server default
 * @param keepaliveInterval ping interval, or null for the server default
 */
public record InstanceSpec(
    String service,
    String instanceId,
    String address,
    int port,
    Protocol protocol,
    String version,
    String zone,
    int weight,
    HealthStatus health,
    Map<String, String> metadata,
    Duration ttl,
    Duration keepaliveInterval) {

  /**
   * {@code InstanceSpec} checks and copies the fields.
   *
   * @throws IllegalArgumentException when the service name has no canonical form, the address is
   *     empty, the port is outside 1..65535, or a duration is zero or negative (quoting the value)
   */
  public InstanceSpec {
    if (ServiceNames.normalize(service).isEmpty()) {
      throw new IllegalArgumentException("service '" + service + "' is not valid: " + ServiceNames.describeRule());
    }
    instanceId = Objects.requireNonNullElse(instanceId, "");
    if (address == null || address.isBlank()) {
      throw new IllegalArgumentException("address must be set (an IP literal or DNS host name): '" + address + "'");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is outside 1..65535");
    }
    protocol = Objects.requireNonNullElse(protocol, Protocol.PROTOCOL_UNSPECIFIED);
    version = Objects.requireNonNullElse(version, "");
    zone = Objects.requireNonNullElse(zone, "");
    if (weight < 0) {
      throw new IllegalArgumentException("weight " + weight + " is negative");
    }
    health = Objects.requireNonNullElse(health, HealthStatus.HEALTH_STATUS_UNSPECIFIED);
    metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
    if (ttl != null && (ttl.isZero() || ttl.isNegative())) {
      throw new IllegalArgumentException("ttl must be positive: " + ttl);
    }
    if (keepaliveInterval != null && (keepaliveInterval.isZero() || keepaliveInterval.isNegative())) {
      throw new IllegalArgumentException("keepaliveInterval must be positive: " + keepaliveInterval);
    }
  }

  /** {@code builder} starts a spec for an instance of {@code service}. */
  public static Builder builder(String service) {
    return new Builder(service);
  }

  /**
   * {@code from} starts a spec from {@code base}'s fields, for example the same instance with
   * another health: {@code InstanceSpec.from(spec).health(h).build()}.
   */
  public static Builder from(InstanceSpec base) {
    return new Builder(Objects.requireNonNull(base, "base"));
  }

  /** {@code toRequest} returns the RegisterRequest this spec stands for. */
  public RegisterRequest toRequest() {
    RegisterRequest.Builder r = RegisterRequest.newBuilder().setInstance(Instance.newBuilder()
        .setService(service)
        .setInstanceId(instanceId)
        .setAddress(address)
        .setPort(port)
        .setProtocol(protocol)
        .setVersion(version)
        .setZone(zone)
        .setWeight(weight)
        .setHealth(health)
        .putAllMetadata(metadata));
    if (ttl != null) {
      r.setTtl(ProtoDurations.toProto(ttl));
    }
    if (keepaliveInterval != null) {
      r.setKeepaliveInterval(ProtoDurations.toProto(keepaliveInterval));
    }
    return r.build();
  }

  /** {@code Builder} builds an {@link InstanceSpec}; not thread-safe. */
  public static final class Builder {
    private final String service;
    private String instanceId = "";
    private String address;
    private int port;
    private Protocol protocol = Protocol.PROTOCOL_UNSPECIFIED;
    private String version = "";
    private String zone = "";
    private int weight;
    private HealthStatus health = HealthStatus.HEALTH_STATUS_UNSPECIFIED;
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private Duration ttl;
    private Duration keepaliveInterval;

    private Builder(String service) {
      this.service = service;
    }

    private Builder(InstanceSpec base) {
      this.service = base.service;
      this.instanceId = base.instanceId;
      this.address = base.address;
      this.port = base.port;
      this.protocol = base.protocol;
      this.version = base.version;
      this.zone = base.zone;
      this.weight = base.weight;
      this.health = base.health;
      this.metadata.putAll(base.metadata);
      this.ttl = base.ttl;
      this.keepaliveInterval = base.keepaliveInterval;
    }

    /** {@code instanceId} sets the instance id; empty (the default) lets the server generate one. */
    public Builder instanceId(String v) {
      this.instanceId = v;
      return this;
    }

    /** {@code address} sets the IP literal or host name the instance listens on. */
    public Builder address(String v) {
      this.address = v;
      return this;
    }

    /** {@code port} sets the TCP port. */
    public Builder port(int v) {
      this.port = v;
      return this;
    }

    /** {@code protocol} sets the application protocol (default: the server's, HTTP). */
    public Builder protocol(Protocol v) {
      this.protocol = v;
      return this;
    }

    /** {@code version} sets the version label (default: the server's, {@code v1}). */
    public Builder version(String v) {
      this.version = v;
      return this;
    }

    /** {@code zone} sets the zone (default: none). */
    public Builder zone(String v) {
      this.zone = v;
      return this;
    }

    /** {@code weight} sets the load-balancing weight (default: the server's, 100). */
    public Builder weight(int v) {
      this.weight = v;
      return this;
    }

    /** {@code health} sets the initial health (default: SERVING). */
    public Builder health(HealthStatus v) {
      this.health = v;
      return this;
    }

    /** {@code metadata} adds one label. */
    public Builder metadata(String key, String value) {
      this.metadata.put(key, value);
      return this;
    }

    /** {@code ttl} sets the lease TTL (default: the server's, 60 s). */
    public Builder ttl(Duration v) {
      this.ttl = v;
      return this;
    }

    /** {@code keepaliveInterval} sets the ping interval (default: the server's). */
    public Builder keepaliveInterval(Duration v) {
      this.keepaliveInterval = v;
      return this;
    }

    /**
     * {@code build} returns the spec.
     *
     * @throws IllegalArgumentException as {@link InstanceSpec#InstanceSpec} does
     */
    public InstanceSpec build() {
      return new InstanceSpec(service, instanceId, address, port, protocol, version, zone, weight, health, metadata,
          ttl, keepaliveInterval);
    }
  }
}
