package dev.vertice.interop.polyglot;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import java.util.List;

/** {@code Events} reads the fields of the clients' JSON events. */
final class Events {

  private Events() {}

  /** Returns the string field {@code key}, or "" when absent. */
  static String str(Struct event, String key) {
    Value v = event.getFieldsOrDefault(key, Value.getDefaultInstance());
    return v.hasStringValue() ? v.getStringValue() : "";
  }

  /** Returns the number field {@code key} as a long, or -1 when absent. */
  static long num(Struct event, String key) {
    Value v = event.getFieldsOrDefault(key, Value.getDefaultInstance());
    return v.hasNumberValue() ? (long) v.getNumberValue() : -1;
  }

  /** Returns the boolean field {@code key}, false when absent. */
  static boolean bool(Struct event, String key) {
    return event.getFieldsOrDefault(key, Value.getDefaultInstance()).getBoolValue();
  }

  /** Returns the objects of the list field {@code key} (for example an update's instances). */
  static List<Struct> list(Struct event, String key) {
    return event.getFieldsOrDefault(key, Value.getDefaultInstance()).getListValue().getValuesList().stream()
        .map(Value::getStructValue).toList();
  }

  /** Returns the instance ids of an update event. */
  static List<String> instanceIds(Struct update) {
    return list(update, "instances").stream().map(i -> str(i, "instance_id")).toList();
  }

  /** Returns whether {@code event} is about {@code service}. */
  static boolean about(Struct event, String service) {
    return service.equals(str(event, "service"));
  }
}
