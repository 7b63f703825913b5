package dev.vertice.gateway.health;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import dev.vertice.gateway.health.HealthReport.InstanceReport;
import dev.vertice.gateway.health.HealthReport.InstanceStatus;
import dev.vertice.gateway.health.HealthReport.Layer;
import dev.vertice.gateway.health.HealthReport.Status;
import dev.vertice.gateway.health.internal.JsonWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code HealthReportJson} renders {@link HealthReport}s as JSON, for the HTTP route and for the
 * shared Redis layer, and reads the stored form back.
 *
 * <p>The detailed answer's shape (the admin port's; the public listener answers {@link
 * #toSummaryJson}):
 *
 * <pre>{@code
 * {"service":"orders","status":"SERVING","layer":"memory","age_ms":1200,"breaker":"closed",
 *  "instances_total":2,"instances":[{"instance_id":"a","address":"10.0.0.1","port":8080,
 *  "protocol":"http","version":"v1","status":"SERVING","detail":"HTTP 200","latency_ms":1.2}]}
 * }</pre>
 *
 * The stored form is the same without {@code layer}, {@code age_ms} and {@code breaker}: those
 * describe one answer, not the probe. Strings are always escaped (never concatenated by hand);
 * stored values are parsed with protobuf's {@link JsonFormat} and checked field by field.
 */
public final class HealthReportJson {

  private HealthReportJson() {}

  /** {@code toJson} renders {@code report} as the HTTP answer's body. */
  public static String toJson(HealthReport report) {
    return toJson(report, null);
  }

  /**
   * {@code toJson} renders {@code report} as the HTTP answer's body, with a {@code request_id}
   * member first when {@code requestId} is not null.
   */
  public static String toJson(HealthReport report, String requestId) {
    JsonWriter w = new JsonWriter().beginObject();
    if (requestId != null) {
      w.name("request_id").value(requestId);
    }
    w.name("service").value(report.service());
    w.name("status").value(report.status().name());
    w.name("layer").value(report.layer().jsonName());
    w.name("age_ms").value(report.age().toNanos() / 1e6);
    w.name("breaker").value(report.breaker());
    writeInstances(w, report);
    return w.endObject().toString();
  }

  /**
   * {@code toSummaryJson} renders what the public listener may tell anyone: the service's aggregate
   * status, the layer that answered, its age and the breaker's state, with a {@code request_id}
   * member first when {@code requestId} is not null; no instance (not their ids, addresses, ports,
   * versions or number). {@link #toJson} is the detailed form for the admin port.
   *
   * <pre>{@code
   * {"request_id":"…","service":"orders","status":"SERVING","layer":"memory","age_ms":1200,"breaker":"closed"}
   * }</pre>
   */
  public static String toSummaryJson(HealthReport report, String requestId) {
    JsonWriter w = new JsonWriter().beginObject();
    if (requestId != null) {
      w.name("request_id").value(requestId);
    }
    w.name("service").value(report.service());
    w.name("status").value(report.status().name());
    w.name("layer").value(report.layer().jsonName());
    w.name("age_ms").value(report.age().toNanos() / 1e6);
    w.name("breaker").value(report.breaker());
    return w.endObject().toString();
  }

  /** {@code toStored} renders the probe result in {@code report} for the shared Redis layer. */
  static String toStored(HealthReport report) {
    JsonWriter w = new JsonWriter().beginObject();
    w.name("service").value(report.service());
    w.name("status").value(report.status().name());
    writeInstances(w, report);
    return w.endObject().toString();
  }

  /**
   * {@code fromStored} reads a stored probe result back, as answered by {@code layer}, {@code age}
   * old.
   *
   * @throws IllegalArgumentException when {@code json} is not a well-formed stored report
   */
  static HealthReport fromStored(String json, Layer layer, Duration age, String breaker) {
    Struct.Builder b = Struct.newBuilder();
    try {
      JsonFormat.parser().merge(json, b);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("stored health report is not JSON: " + e.getMessage(), e);
    }
    Struct s = b.build();
    List<InstanceReport> instances = new ArrayList<>();
    for (Value v : field(s, "instances", Value.KindCase.LIST_VALUE).getListValue().getValuesList()) {
      if (v.getKindCase() != Value.KindCase.STRUCT_VALUE) {
        throw new IllegalArgumentException("stored instance is not an object: " + v);
      }
      Struct i = v.getStructValue();
      instances.add(new InstanceReport(text(i, "instance_id"), text(i, "address"), (int) number(i, "port"),
          text(i, "protocol"), text(i, "version"), InstanceStatus.valueOf(text(i, "status")), text(i, "detail"),
          Duration.ofNanos(Math.round(number(i, "latency_ms") * 1e6))));
    }
    return new HealthReport(text(s, "service"), Status.valueOf(text(s, "status")), layer, age, breaker,
        (int) number(s, "instances_total"), instances);
  }

  private static void writeInstances(JsonWriter w, HealthReport report) {
    w.name("instances_total").value(report.instancesTotal());
    w.name("instances").beginArray();
    for (InstanceReport i : report.instances()) {
      w.beginObject();
      w.name("instance_id").value(i.instanceId());
      w.name("address").value(i.address());
      w.name("port").value(i.port());
      w.name("protocol").value(i.protocol());
      w.name("version").value(i.version());
      w.name("status").value(i.status().name());
      w.name("detail").value(i.detail());
      w.name("latency_ms").value(i.latency().toNanos() / 1e6);
      w.endObject();
    }
    w.endArray();
  }

  private static Value field(Struct s, String name, Value.KindCase kind) {
    Value v = s.getFieldsMap().get(name);
    if (v == null || v.getKindCase() != kind) {
      throw new IllegalArgumentException("stored health report: field '" + name + "' missing or not " + kind);
    }
    return v;
  }

  private static String text(Struct s, String name) {
    return field(s, name, Value.KindCase.STRING_VALUE).getStringValue();
  }

  private static double number(Struct s, String name) {
    double d = field(s, name, Value.KindCase.NUMBER_VALUE).getNumberValue();
    if (!Double.isFinite(d) || d < 0) {
      throw new IllegalArgumentException("stored health report: field '" + name + "' out of range: " + d);
    }
    return d;
  }
}
