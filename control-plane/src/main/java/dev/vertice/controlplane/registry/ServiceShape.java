package dev.vertice.controlplane.registry;

import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.Protocol;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * {@code ServiceShape} is what a service's xDS Listener, RouteConfiguration and Clusters depend on
 * besides its traffic policy: whether it has instances, whether any speaks gRPC, the version labels
 * present, and the labels with at least one SERVING instance. Immutable; equal shapes give equal
 * derived resources.
 */
public record ServiceShape(boolean any, boolean grpc, Set<String> labels, Set<String> servingLabels) {

  /** The shape of a service without instances. */
  public static final ServiceShape NONE = new ServiceShape(false, false, Set.of(), Set.of());

  /** Copies the label sets. */
  public ServiceShape {
    labels = Set.copyOf(labels);
    servingLabels = Set.copyOf(servingLabels);
  }

  /** Returns the shape of {@code instances}, looking at each. */
  public static ServiceShape of(Iterable<Instance> instances) {
    Counts counts = new Counts();
    for (Instance i : instances) {
      counts.add(i);
    }
    return counts.shape();
  }

  /**
   * {@code Counts} keeps a service's shape up to date as instances come and go, in time independent
   * of the number of instances. Not thread-safe: its owner guards it.
   */
  static final class Counts {
    private int instances;
    private int grpc;
    private final Map<String, int[]> labels = new HashMap<>();
    private final Map<String, int[]> serving = new HashMap<>();
    private ServiceShape shape = NONE;

    /** Counts {@code i} in. */
    void add(Instance i) {
      change(i, 1);
    }

    /** Counts {@code i}, counted in before, out. */
    void remove(Instance i) {
      change(i, -1);
    }

    private void change(Instance i, int by) {
      boolean anyBefore = instances > 0;
      instances += by;
      boolean moved = anyBefore != instances > 0;
      if (i.getProtocolValue() == Protocol.PROTOCOL_GRPC_VALUE) {
        boolean grpcBefore = grpc > 0;
        grpc += by;
        moved |= grpcBefore != grpc > 0;
      }
      String label = i.getVersion();
      if (!label.isEmpty()) {
        moved |= count(labels, label, by);
        if (i.getHealthValue() == HealthStatus.HEALTH_STATUS_SERVING_VALUE) {
          moved |= count(serving, label, by);
        }
      }
      if (moved) {
        shape = null; // built again at the next read; unchanged shapes stay the same object
      }
    }

    /** Counts {@code label} by {@code by}; returns whether it appeared or disappeared. */
    private static boolean count(Map<String, int[]> counts, String label, int by) {
      int[] n = counts.get(label);
      if (n == null) {
        n = new int[1];
        counts.put(label, n);
      }
      n[0] += by;
      if (n[0] == 0) {
        counts.remove(label);
        return true;
      }
      return n[0] == by;
    }

    /** Returns the current shape (built again only after a change). */
    ServiceShape shape() {
      if (shape == null) {
        shape = new ServiceShape(instances > 0, grpc > 0, new HashSet<>(labels.keySet()),
            new HashSet<>(serving.keySet()));
      }
      return shape;
    }
  }
}
