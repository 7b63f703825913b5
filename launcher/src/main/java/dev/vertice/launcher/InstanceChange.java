package dev.vertice.launcher;

import dev.vertice.api.registry.v1.Instance;
import dev.vertice.common.JsonStrings;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * {@code InstanceChange} is one line of {@code vertice watch}: an instance added, updated or removed
 * between two pushed states of its service, with the fields that changed. Immutable; {@link
 * #between} computes the changes, {@link #line()} and {@link #json()} print one.
 *
 * @param kind what happened
 * @param service the canonical service name
 * @param instanceId the instance id
 * @param previous the instance before the change; null when added
 * @param instance the instance after the change; null when removed
 * @param changed the fields that changed (UPDATED only; empty otherwise), in {@link #FIELDS} order
 * @param resourceVersion the version of the service's Endpoints after the change; empty when the
 *     service is gone
 * @param at when the change was received
 */
record InstanceChange(Kind kind, String service, String instanceId, Instance previous, Instance instance,
    List<String> changed, String resourceVersion, Instant at) {

  /** The fields compared, as named in the API's JSON. */
  static final List<String> FIELDS = List.of("address", "port", "protocol", "version", "zone", "weight", "health",
      "metadata");

  /** What happened to an instance. */
  enum Kind { ADDED, UPDATED, REMOVED }

  InstanceChange {
    Objects.requireNonNull(kind, "kind");
    changed = List.copyOf(changed);
  }

  /**
   * {@code between} returns the changes from {@code before} (instances by id, as last held) to
   * {@code after} (the service's instances now; empty when the service is gone): additions and
   * updates in {@code after}'s order, then removals in {@code before}'s.
   */
  static List<InstanceChange> between(String service, Map<String, Instance> before, List<Instance> after,
      String resourceVersion, Instant at) {
    List<InstanceChange> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (Instance now : after) {
      seen.add(now.getInstanceId());
      Instance was = before.get(now.getInstanceId());
      if (was == null) {
        out.add(new InstanceChange(Kind.ADDED, service, now.getInstanceId(), null, now, List.of(), resourceVersion,
            at));
      } else {
        List<String> fields = changedFields(was, now);
        if (!fields.isEmpty()) {
          out.add(new InstanceChange(Kind.UPDATED, service, now.getInstanceId(), was, now, fields, resourceVersion,
              at));
        }
      }
    }
    for (Map.Entry<String, Instance> e : before.entrySet()) {
      if (!seen.contains(e.getKey())) {
        out.add(new InstanceChange(Kind.REMOVED, service, e.getKey(), e.getValue(), null, List.of(), resourceVersion,
            at));
      }
    }
    return out;
  }

  /** {@code changedFields} returns the fields of {@link #FIELDS} that differ between {@code a} and {@code b}. */
  static List<String> changedFields(Instance a, Instance b) {
    List<String> out = new ArrayList<>();
    for (String f : FIELDS) {
      if (!value(a, f).equals(value(b, f))) {
        out.add(f);
      }
    }
    return out;
  }

  /**
   * {@code line} returns the change as text: time, event, service, instance, then {@code key=value}
   * pairs (every field when added, the changed ones with their old values when updated).
   */
  String line() {
    StringBuilder b = new StringBuilder().append(at.truncatedTo(ChronoUnit.MILLIS)).append(' ').append(String.format("%-7s", kind)).append(' ')
        .append(service).append(' ').append(instanceId);
    switch (kind) {
      case ADDED -> {
        for (String f : FIELDS) {
          if (!f.equals("port") && !(f.equals("metadata") && instance.getMetadataCount() == 0)) {
            b.append(' ').append(f).append('=').append(f.equals("address") ? hostPort(instance) : text(instance, f));
          }
        }
      }
      case UPDATED -> {
        for (String f : changed) {
          b.append(' ').append(f).append('=').append(text(instance, f)).append(" (was ").append(text(previous, f))
              .append(')');
        }
      }
      case REMOVED -> b.append(" address=").append(hostPort(previous));
    }
    return b.toString();
  }

  /**
   * {@code json} returns the change as one line of JSON: {@code time}, {@code event}, {@code
   * service}, {@code instanceId}, {@code resourceVersion}, {@code changed}, and the whole {@code
   * instance} after and {@code previous} before (null when absent) in the API's JSON mapping.
   */
  String json() {
    StringBuilder b = new StringBuilder("{\"time\":").append(JsonStrings.quote(at.truncatedTo(ChronoUnit.MILLIS).toString()))
        .append(",\"event\":").append(JsonStrings.quote(kind.name()))
        .append(",\"service\":").append(JsonStrings.quote(service))
        .append(",\"instanceId\":").append(JsonStrings.quote(instanceId))
        .append(",\"resourceVersion\":").append(JsonStrings.quote(resourceVersion))
        .append(",\"changed\":[");
    for (int i = 0; i < changed.size(); i++) {
      b.append(i == 0 ? "" : ",").append(JsonStrings.quote(changed.get(i)));
    }
    b.append("],\"instance\":").append(instance == null ? "null" : CliJson.compact(instance));
    b.append(",\"previous\":").append(previous == null ? "null" : CliJson.compact(previous));
    return b.append('}').toString();
  }

  private static Object value(Instance i, String field) {
    return switch (field) {
      case "address" -> i.getAddress();
      case "port" -> i.getPort();
      case "protocol" -> i.getProtocol();
      case "version" -> i.getVersion();
      case "zone" -> i.getZone();
      case "weight" -> i.getWeight();
      case "health" -> i.getHealth();
      case "metadata" -> i.getMetadataMap();
      default -> throw new IllegalArgumentException("no instance field '" + field + "'");
    };
  }

  private static String text(Instance i, String field) {
    String s = switch (field) {
      case "protocol" -> RegistryCall.word(i.getProtocol(), "PROTOCOL_");
      case "health" -> RegistryCall.health(i.getHealth());
      case "metadata" -> "{" + InstancesCommand.metadata(i.getMetadataMap()) + "}";
      default -> String.valueOf(value(i, field));
    };
    return s.isEmpty() ? "-" : s;
  }

  private static String hostPort(Instance i) {
    String host = i.getAddress().contains(":") ? "[" + i.getAddress() + "]" : i.getAddress();
    return host + ":" + i.getPort();
  }
}
