package dev.vertice.sidecar.internal;

import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.common.JsonStrings;
import java.util.Map;
import java.util.TreeMap;

/** {@code Json} writes the local API's small JSON documents. */
public final class Json {

  private Json() {}

  /** {@code quote} returns {@code s} as a JSON string literal, with quotes. */
  public static String quote(String s) {
    return JsonStrings.quote(s);
  }

  static void quote(StringBuilder b, String s) {
    JsonStrings.quote(b, s);
  }

  /**
   * {@code instance} appends {@code i} as {@code {"instance_id","address","port","protocol",
   * "version","zone","weight","health","metadata"}}; protocol is {@code http} or {@code grpc},
   * health is SERVING, NOT_SERVING, DRAINING or UNKNOWN.
   */
  public static void instance(StringBuilder b, Instance i) {
    b.append("{\"instance_id\":");
    quote(b, i.getInstanceId());
    b.append(",\"address\":");
    quote(b, i.getAddress());
    b.append(",\"port\":").append(i.getPort());
    b.append(",\"protocol\":\"").append(protocol(i.getProtocol())).append('"');
    b.append(",\"version\":");
    quote(b, i.getVersion());
    b.append(",\"zone\":");
    quote(b, i.getZone());
    b.append(",\"weight\":").append(i.getWeight());
    b.append(",\"health\":\"").append(health(i.getHealth())).append('"');
    b.append(",\"metadata\":{");
    boolean first = true;
    for (Map.Entry<String, String> e : new TreeMap<>(i.getMetadataMap()).entrySet()) {
      if (!first) {
        b.append(',');
      }
      first = false;
      quote(b, e.getKey());
      b.append(':');
      quote(b, e.getValue());
    }
    b.append("}}");
  }

  /** {@code health} returns the short name of {@code h}: SERVING, NOT_SERVING, DRAINING or UNKNOWN. */
  public static String health(HealthStatus h) {
    return switch (h) {
      case HEALTH_STATUS_SERVING -> "SERVING";
      case HEALTH_STATUS_NOT_SERVING -> "NOT_SERVING";
      case HEALTH_STATUS_DRAINING -> "DRAINING";
      default -> "UNKNOWN";
    };
  }

  /** {@code protocol} returns {@code http} or {@code grpc}. */
  public static String protocol(Protocol p) {
    return p == Protocol.PROTOCOL_GRPC ? "grpc" : "http";
  }
}
