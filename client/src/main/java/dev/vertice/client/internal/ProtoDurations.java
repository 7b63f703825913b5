package dev.vertice.client.internal;

import java.time.Duration;

/** {@code ProtoDurations} converts between {@link Duration} and {@code google.protobuf.Duration}. */
public final class ProtoDurations {

  private ProtoDurations() {}

  /** {@code toProto} converts a non-negative {@link Duration}. */
  public static com.google.protobuf.Duration toProto(Duration d) {
    return com.google.protobuf.Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()).build();
  }

  /** {@code fromProto} converts a protobuf duration (seconds and nanos of the same sign). */
  public static Duration fromProto(com.google.protobuf.Duration d) {
    return Duration.ofSeconds(d.getSeconds(), d.getNanos());
  }
}
