package dev.vertice.controlplane.push;

import java.util.Objects;

/**
 * {@code Resource} is one immutable, named, versioned value of a resource type.
 *
 * @param typeUrl the resource type
 * @param name the resource name (for Endpoints: the canonical service name)
 * @param version the registry revision of the resource's last change; positive
 * @param value the value as sent on the wire (a packed {@code google.protobuf.Any} for the gRPC
 *     layer); the engine never looks inside it
 * @param sizeBytes the serialized size of {@code value}, used to bound response sizes
 */
public record Resource(String typeUrl, String name, long version, Object value, int sizeBytes) {

  public Resource {
    Objects.requireNonNull(typeUrl, "typeUrl");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(value, "value");
    if (version <= 0) {
      throw new IllegalArgumentException("version must be positive: " + version);
    }
  }
}
