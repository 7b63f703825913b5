package dev.vertice.controlplane.server;

import com.google.protobuf.Duration;
import com.google.protobuf.util.Durations;
import com.google.rpc.BadRequest.FieldViolation;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.api.registry.v1.RegisterRequest;
import dev.vertice.common.ServiceNames;
import dev.vertice.controlplane.registry.RegistryConfig;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@code Validation} checks requests and normalises them, collecting one field violation per bad
 * field so that a client learns every problem at once.
 */
final class Validation {

  static final int MAX_INSTANCE_ID_LENGTH = 128;
  static final int MAX_METADATA_ENTRIES = 64;
  static final int MAX_METADATA_BYTES = 4096;
  static final int MAX_METADATA_KEY_BYTES = 128;
  static final int MIN_WEIGHT = 1;
  static final int MAX_WEIGHT = 10_000;
  static final int DEFAULT_WEIGHT = 100;
  static final String DEFAULT_VERSION = "v1";

  private static final Pattern INSTANCE_ID = Pattern.compile("[A-Za-z0-9._:-]{1," + MAX_INSTANCE_ID_LENGTH + "}");
  private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9._-]{0,63}");
  private static final Pattern HOST_LABEL = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");
  private static final Pattern IPV4 =
      Pattern.compile("((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
  private static final Pattern DOTTED_NUMBERS = Pattern.compile("[0-9.]+");
  private static final Pattern IPV6_CHARS = Pattern.compile("[0-9A-Fa-f:.]+");

  private final List<FieldViolation> violations = new ArrayList<>();

  List<FieldViolation> violations() {
    return violations;
  }

  boolean ok() {
    return violations.isEmpty();
  }

  void violation(String field, String description) {
    violations.add(GrpcErrors.violation(field, description));
  }

  /** Returns the canonical service name, or records a violation and returns null. */
  String service(String field, String name) {
    Optional<String> canonical = ServiceNames.normalize(name);
    if (canonical.isEmpty()) {
      violation(field, (name == null || name.isBlank() ? "is empty; " : "'" + clip(name) + "' is not valid; ")
          + ServiceNames.describeRule());
      return null;
    }
    return canonical.get();
  }

  /** Checks a non-empty instance id. */
  void instanceId(String field, String id) {
    if (id.isEmpty()) {
      violation(field, "is empty");
    } else if (!INSTANCE_ID.matcher(id).matches()) {
      violation(field, "'" + clip(id) + "' is not valid: 1-" + MAX_INSTANCE_ID_LENGTH
          + " characters of A-Z, a-z, 0-9, '.', '_', ':' and '-'");
    }
  }

  /** Validates and normalises the instance of a RegisterRequest. */
  Instance instance(RegisterRequest request) {
    if (!request.hasInstance()) {
      violation("instance", "is required");
      return null;
    }
    Instance in = request.getInstance();
    Instance.Builder out = in.toBuilder();
    String service = service("instance.service", in.getService());
    if (service != null) {
      out.setService(service);
    }
    if (!in.getInstanceId().isEmpty()) {
      instanceId("instance.instance_id", in.getInstanceId());
    }
    address("instance.address", in.getAddress());
    if (in.getPort() == 0 || Integer.compareUnsigned(in.getPort(), 65535) > 0) {
      violation("instance.port", Integer.toUnsignedString(in.getPort()) + " is outside 1..65535");
    }
    if (in.getProtocol() == Protocol.UNRECOGNIZED) {
      violation("instance.protocol", "unknown value " + in.getProtocolValue());
    } else if (in.getProtocol() == Protocol.PROTOCOL_UNSPECIFIED) {
      out.setProtocol(Protocol.PROTOCOL_HTTP);
    }
    if (!LABEL.matcher(in.getVersion()).matches()) {
      violation("instance.version", "'" + clip(in.getVersion())
          + "' is not valid: up to 63 characters of A-Z, a-z, 0-9, '.', '_' and '-'");
    } else if (in.getVersion().isEmpty()) {
      out.setVersion(DEFAULT_VERSION);
    }
    if (!LABEL.matcher(in.getZone()).matches()) {
      violation("instance.zone", "'" + clip(in.getZone())
          + "' is not valid: up to 63 characters of A-Z, a-z, 0-9, '.', '_' and '-'");
    }
    if (in.getWeight() == 0) {
      out.setWeight(DEFAULT_WEIGHT);
    } else if (Integer.compareUnsigned(in.getWeight(), MAX_WEIGHT) > 0) {
      // uint32 on the wire: read unsigned, so that 2^31 and above are not taken for negatives.
      violation("instance.weight", Integer.toUnsignedString(in.getWeight()) + " is outside " + MIN_WEIGHT + ".."
          + MAX_WEIGHT);
    }
    if (in.getHealth() == HealthStatus.UNRECOGNIZED) {
      violation("instance.health", "unknown value " + in.getHealthValue());
    } else if (in.getHealth() == HealthStatus.HEALTH_STATUS_UNSPECIFIED) {
      out.setHealth(HealthStatus.HEALTH_STATUS_SERVING);
    }
    metadata("instance.metadata", in.getMetadataMap());
    return out.build();
  }

  /** Checks a health value given to SetHealth. */
  void health(String field, HealthStatus health) {
    if (health == HealthStatus.HEALTH_STATUS_UNSPECIFIED || health == HealthStatus.UNRECOGNIZED) {
      violation(field, "must be SERVING, NOT_SERVING, DRAINING or UNKNOWN");
    }
  }

  /** Returns the lease TTL to use, or records a violation. */
  java.time.Duration ttl(RegisterRequest request, RegistryConfig config) {
    if (!request.hasTtl()) {
      return config.defaultTtl();
    }
    java.time.Duration ttl = duration("ttl", request.getTtl());
    if (ttl != null && (ttl.compareTo(config.minTtl()) < 0 || ttl.compareTo(config.maxTtl()) > 0)) {
      violation("ttl", Durations.toString(request.getTtl()) + " is outside the server's bounds ["
          + config.minTtl().toMillis() / 1000.0 + "s, " + config.maxTtl().toSeconds() + "s]");
      return null;
    }
    return ttl;
  }

  /** Returns the keepalive interval to use for {@code ttl}, or records a violation. */
  java.time.Duration keepalive(RegisterRequest request, RegistryConfig config, java.time.Duration ttl) {
    if (!request.hasKeepaliveInterval()) {
      // Halved in nanoseconds: Duration.dividedBy goes through BigDecimal on every Register.
      java.time.Duration half = ttl == null ? config.defaultKeepalive() : java.time.Duration.ofNanos(ttl.toNanos() / 2);
      return half.compareTo(config.defaultKeepalive()) < 0 ? half : config.defaultKeepalive();
    }
    java.time.Duration interval = duration("keepalive_interval", request.getKeepaliveInterval());
    if (interval == null) {
      return null;
    }
    if (interval.compareTo(RegistryConfig.MIN_KEEPALIVE) < 0) {
      violation("keepalive_interval", Durations.toString(request.getKeepaliveInterval()) + " is below the minimum "
          + RegistryConfig.MIN_KEEPALIVE.toMillis() + "ms");
      return null;
    }
    if (ttl != null && interval.compareTo(ttl) >= 0) {
      violation("keepalive_interval", Durations.toString(request.getKeepaliveInterval())
          + " must be shorter than the TTL (" + ttl.toMillis() + "ms)");
      return null;
    }
    return interval;
  }

  private java.time.Duration duration(String field, Duration d) {
    if (!Durations.isValid(d) || Durations.isNegative(d)) {
      violation(field, "is not a valid non-negative duration");
      return null;
    }
    return java.time.Duration.ofSeconds(d.getSeconds(), d.getNanos());
  }

  private void address(String field, String address) {
    if (address.isEmpty()) {
      violation(field, "is empty");
      return;
    }
    if (!isAddress(address)) {
      violation(field, "'" + clip(address) + "' is not an IPv4 or IPv6 literal or a DNS host name (no port, no brackets)");
    }
  }

  /**
   * {@code isHostLocal} says whether {@code a} names the host that dials it or its link: {@code
   * localhost} (and {@code *.localhost}), a loopback, link-local (which includes the cloud metadata
   * address 169.254.169.254) or unspecified IP literal. Never resolves names.
   */
  static boolean isHostLocal(String a) {
    String host = a.startsWith("[") && a.endsWith("]") ? a.substring(1, a.length() - 1) : a;
    String lower = host.toLowerCase(java.util.Locale.ROOT);
    if (lower.equals("localhost") || lower.endsWith(".localhost") || lower.equals("localhost.")) {
      return true;
    }
    boolean literal = host.contains(":") || host.matches("[0-9.]+");
    if (!literal) {
      return false;
    }
    try {
      // An IP literal is parsed without any lookup.
      java.net.InetAddress ip = java.net.InetAddress.getByName(host);
      return ip.isLoopbackAddress() || ip.isLinkLocalAddress() || ip.isAnyLocalAddress();
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  static boolean isAddress(String a) {
    if (a.length() > 253) {
      return false;
    }
    if (a.indexOf(':') >= 0) {
      return IPV6_CHARS.matcher(a).matches() && isIpv6(a);
    }
    if (DOTTED_NUMBERS.matcher(a).matches()) {
      return IPV4.matcher(a).matches();
    }
    String host = a.endsWith(".") ? a.substring(0, a.length() - 1) : a;
    if (host.isEmpty()) {
      return false;
    }
    for (String label : host.split("\\.", -1)) {
      if (!HOST_LABEL.matcher(label).matches()) {
        return false;
      }
    }
    return true;
  }

  private static boolean isIpv6(String a) {
    // Literal parsing only: no name lookup happens for a string made of hex digits, ':' and '.'.
    if (a.startsWith(":") && !a.startsWith("::") || a.endsWith(":") && !a.endsWith("::")) {
      return false;
    }
    int doubleColon = a.indexOf("::");
    if (doubleColon >= 0 && a.indexOf("::", doubleColon + 1) >= 0) {
      return false;
    }
    String[] groups = a.split(":", -1);
    int count = 0;
    for (int i = 0; i < groups.length; i++) {
      String g = groups[i];
      if (g.isEmpty()) {
        continue;
      }
      if (g.indexOf('.') >= 0) {
        if (i != groups.length - 1 || !IPV4.matcher(g).matches()) {
          return false;
        }
        count += 2;
      } else if (g.length() > 4 || g.indexOf('.') >= 0) {
        return false;
      } else {
        count++;
      }
    }
    return doubleColon >= 0 ? count < 8 : count == 8;
  }

  private void metadata(String field, Map<String, String> metadata) {
    if (metadata.size() > MAX_METADATA_ENTRIES) {
      violation(field, metadata.size() + " entries exceed the limit of " + MAX_METADATA_ENTRIES);
    }
    int bytes = 0;
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      int keyBytes = e.getKey().getBytes(StandardCharsets.UTF_8).length;
      if (keyBytes == 0 || keyBytes > MAX_METADATA_KEY_BYTES) {
        violation(field + "[" + clip(e.getKey()) + "]", "keys must be 1-" + MAX_METADATA_KEY_BYTES + " bytes");
      }
      bytes += keyBytes + e.getValue().getBytes(StandardCharsets.UTF_8).length;
    }
    if (bytes > MAX_METADATA_BYTES) {
      violation(field, bytes + " bytes of keys and values exceed the limit of " + MAX_METADATA_BYTES);
    }
  }

  /** Shortens user input quoted in messages, so that an error never echoes a huge value. */
  static String clip(String s) {
    return clip(s, 64);
  }

  /** Shortens user input quoted in messages to at most {@code max} characters (at least 4). */
  static String clip(String s, int max) {
    return dev.vertice.common.LogText.safe(s.length() <= max ? s : s.substring(0, max - 3) + "...");
  }

}
