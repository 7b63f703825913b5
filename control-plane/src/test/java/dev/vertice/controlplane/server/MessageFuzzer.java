package dev.vertice.controlplane.server;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import java.util.List;
import java.util.SplittableRandom;

/**
 * {@code MessageFuzzer} makes seeded random protobuf messages of any type (by reflection over its
 * descriptor) and mutates serialized ones: a small generator in place of a property-testing
 * library. Values lean towards the valid (known service names, type URLs, small numbers) so that
 * inputs reach past the first check, mixed with the hostile (huge, empty, unicode, control
 * characters, negative durations, NaN, unknown enum numbers).
 */
final class MessageFuzzer {

  private static final List<String> VALID_STRINGS = List.of("orders", "payments", "v1", "v2", "10.0.0.1", "*",
      "orders-1", "zone-a", "http", "grpc", "gw-1", "type.googleapis.com/vertice.discovery.v1.Endpoints",
      "type.googleapis.com/vertice.discovery.v1.TrafficPolicy",
      "type.googleapis.com/envoy.config.cluster.v3.Cluster",
      "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment",
      "type.googleapis.com/envoy.config.listener.v3.Listener",
      "type.googleapis.com/envoy.config.route.v3.RouteConfiguration", "1", "0");
  private static final List<String> HOSTILE_STRINGS = List.of("", " ", "\u0000", "a\nb", "\r\n\r\n", "\t",
      "ORDERS_SERVICE", "Ünïcødé-😀", "../../etc/passwd", "%00", "${jndi:ldap://x}", "<script>",
      "'; DROP TABLE x; --", "-", "--", "a..b", "-1", "NaN", "9223372036854775808", "::1", "[::1]:80",
      "256.256.256.256", "\u202Eevil", "x".repeat(64), "y".repeat(254), "z".repeat(4096));
  private static final long[] LONGS = {0, 1, -1, 2, 5, 30, 60, 100, 65535, 65536, Integer.MAX_VALUE,
      Integer.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE, 315_576_000_000L, -315_576_000_001L, 999_999_999,
      1_000_000_000};
  private static final double[] DOUBLES = {0, 1, -1, 0.5, 1e-9, 1e308, -1e308, Double.NaN,
      Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, Double.MIN_VALUE, 100, 101};

  private final SplittableRandom random;
  private final int maxDepth;

  MessageFuzzer(long seed, int maxDepth) {
    this.random = new SplittableRandom(seed);
    this.maxDepth = maxDepth;
  }

  /** Returns a random message of {@code prototype}'s type. */
  Message generate(Message prototype) {
    return fill(prototype.newBuilderForType(), 0).build();
  }

  /**
   * Returns {@code valid} with one field (possibly nested) set to a random value: an input that
   * passes every check but one, or none.
   */
  Message tweak(Message valid) {
    Message.Builder b = valid.toBuilder();
    tweakOne(b, 0);
    return b.build();
  }

  private void tweakOne(Message.Builder b, int depth) {
    List<FieldDescriptor> fields = b.getDescriptorForType().getFields();
    FieldDescriptor f = fields.get(random.nextInt(fields.size()));
    if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE && depth < maxDepth && !f.isRepeated()
        && random.nextBoolean()) {
      Message.Builder nested = ((Message) b.getField(f)).toBuilder();
      tweakOne(nested, depth + 1);
      b.setField(f, nested.build());
    } else if (f.isRepeated()) {
      if (random.nextBoolean()) {
        b.clearField(f);
      }
      b.addRepeatedField(f, value(b, f, depth));
    } else if (random.nextInt(5) == 0) {
      b.clearField(f);
    } else {
      b.setField(f, value(b, f, depth));
    }
  }

  private Message.Builder fill(Message.Builder b, int depth) {
    for (FieldDescriptor f : b.getDescriptorForType().getFields()) {
      if (random.nextInt(100) >= (depth == 0 ? 70 : 40)) {
        continue;
      }
      if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE && depth >= maxDepth) {
        continue;
      }
      if (f.isRepeated()) {
        int n = random.nextInt(10) == 0 ? 20 + random.nextInt(50) : random.nextInt(4);
        for (int i = 0; i < n; i++) {
          b.addRepeatedField(f, value(b, f, depth));
        }
      } else {
        b.setField(f, value(b, f, depth));
      }
    }
    return b;
  }

  private Object value(Message.Builder b, FieldDescriptor f, int depth) {
    return switch (f.getJavaType()) {
      case INT -> (int) pickLong();
      case LONG -> pickLong();
      case FLOAT -> (float) pickDouble();
      case DOUBLE -> pickDouble();
      case BOOLEAN -> random.nextBoolean();
      case STRING -> pickString();
      case BYTE_STRING -> ByteString.copyFrom(bytes(random.nextInt(40)));
      case ENUM -> pickEnum(f.getEnumType());
      case MESSAGE -> fill(b.newBuilderForField(f), depth + 1).build();
    };
  }

  private Object pickEnum(EnumDescriptor e) {
    int r = random.nextInt(10);
    if (r == 0 && !e.isClosed()) {
      return e.findValueByNumberCreatingIfUnknown(random.nextBoolean() ? 9999 : -7);
    }
    return e.getValues().get(random.nextInt(e.getValues().size()));
  }

  private long pickLong() {
    int r = random.nextInt(10);
    if (r < 6) {
      return LONGS[random.nextInt(LONGS.length)];
    }
    return r < 8 ? random.nextInt(1000) : random.nextLong();
  }

  private double pickDouble() {
    return random.nextInt(4) == 0 ? random.nextDouble() * 1000 - 500 : DOUBLES[random.nextInt(DOUBLES.length)];
  }

  private String pickString() {
    int r = random.nextInt(10);
    if (r < 5) {
      return VALID_STRINGS.get(random.nextInt(VALID_STRINGS.size()));
    }
    if (r < 8) {
      return HOSTILE_STRINGS.get(random.nextInt(HOSTILE_STRINGS.size()));
    }
    StringBuilder s = new StringBuilder();
    int n = random.nextInt(30);
    for (int i = 0; i < n; i++) {
      // Any code point but lone surrogates (not valid UTF-8; mutated bytes cover invalid UTF-8).
      int cp = random.nextInt(4) == 0 ? random.nextInt(0x20) : random.nextInt(0x10FFFF);
      s.appendCodePoint(cp >= 0xD800 && cp <= 0xDFFF ? cp - 0x800 : cp);
    }
    return s.toString();
  }

  /** Returns {@code bytes} mutated: bit flips, truncation, appended garbage or an unknown field. */
  byte[] mutate(byte[] bytes) {
    byte[] b = bytes.clone();
    switch (random.nextInt(5)) {
      case 0 -> {
        int flips = 1 + random.nextInt(4);
        for (int i = 0; i < flips && b.length > 0; i++) {
          b[random.nextInt(b.length)] ^= (byte) (1 << random.nextInt(8));
        }
      }
      case 1 -> b = java.util.Arrays.copyOf(b, b.length == 0 ? 0 : random.nextInt(b.length));
      case 2 -> b = concat(b, bytes(1 + random.nextInt(16)));
      case 3 -> {
        // An unknown field (number 1000-1999, a varint or a length-delimited value): must be ignored.
        int field = 1000 + random.nextInt(1000);
        byte[] unknown = random.nextBoolean()
            ? concat(varint((long) field << 3), varint(random.nextLong() & Long.MAX_VALUE))
            : concat(concat(varint(((long) field << 3) | 2), varint(3)), new byte[] {1, 2, 3});
        b = concat(b, unknown);
      }
      default -> {
        if (b.length > 0) {
          b[random.nextInt(b.length)] = (byte) random.nextInt(256);
        }
      }
    }
    return b;
  }

  /** Returns whether the next case should mutate bytes rather than send a generated message. */
  boolean coin(int percent) {
    return random.nextInt(100) < percent;
  }

  private byte[] bytes(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) random.nextInt(256);
    }
    return b;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] c = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }

  private static byte[] varint(long v) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    while ((v & ~0x7FL) != 0) {
      out.write((int) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
    return out.toByteArray();
  }
}
