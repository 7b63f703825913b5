package dev.vertice.controlplane.push;

import java.util.Objects;
import java.util.function.Function;

/**
 * {@code Resource} is one immutable, named, versioned value of a resource type.
 *
 * <p>A source hands the same instance to every subscriber while the version lasts, so a transport
 * can encode it once and reuse the bytes for every stream ({@link #encoded}).
 */
public final class Resource {

  private final String typeUrl;
  private final String name;
  private final long version;
  private final Object value;
  private final int sizeBytes;
  /** The last encoding made of this value, with the encoder it is for; racy by design (see {@link #encoded}). */
  private volatile Encoding encoding;

  private record Encoding(Object encoder, Object encoded) {}

  /**
   * Creates a resource.
   *
   * @param typeUrl the resource type
   * @param name the resource name (for Endpoints: the canonical service name)
   * @param version the registry revision of the resource's last change; positive
   * @param value the value as sent on the wire (a packed {@code google.protobuf.Any} for the gRPC
   *     layer); the engine never looks inside it
   * @param sizeBytes the serialized size of {@code value}, used to bound response sizes
   */
  public Resource(String typeUrl, String name, long version, Object value, int sizeBytes) {
    this.typeUrl = Objects.requireNonNull(typeUrl, "typeUrl");
    this.name = Objects.requireNonNull(name, "name");
    this.value = Objects.requireNonNull(value, "value");
    if (version <= 0) {
      throw new IllegalArgumentException("version must be positive: " + version);
    }
    this.version = version;
    this.sizeBytes = sizeBytes;
  }

  /** Returns the resource type. */
  public String typeUrl() {
    return typeUrl;
  }

  /** Returns the resource name. */
  public String name() {
    return name;
  }

  /** Returns the registry revision of the resource's last change. */
  public long version() {
    return version;
  }

  /** Returns the value as sent on the wire. */
  public Object value() {
    return value;
  }

  /** Returns the serialized size of {@link #value()}. */
  public int sizeBytes() {
    return sizeBytes;
  }

  /**
   * Returns what {@code encode} makes of this resource for {@code encoder} (any value that equals
   * itself for one encoding, such as a protocol's service), computed at the first call and reused
   * by the next ones with the same encoder. Thread-safe without a lock: two threads may both
   * encode, and one keeps its result; the encoding must be a pure function of the resource. One
   * encoding is kept: alternating encoders encode again each time (correct, only slower).
   */
  @SuppressWarnings("unchecked")
  public <T> T encoded(Object encoder, Function<Resource, T> encode) {
    Encoding e = encoding;
    if (e != null && e.encoder() == encoder) {
      return (T) e.encoded();
    }
    T made = encode.apply(this);
    encoding = new Encoding(encoder, made);
    return made;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Resource r && version == r.version && sizeBytes == r.sizeBytes && typeUrl.equals(r.typeUrl)
        && name.equals(r.name) && value.equals(r.value);
  }

  @Override
  public int hashCode() {
    return Objects.hash(typeUrl, name, version, value, sizeBytes);
  }

  @Override
  public String toString() {
    return "Resource[typeUrl=" + typeUrl + ", name=" + name + ", version=" + version + ", sizeBytes=" + sizeBytes
        + "]";
  }
}
