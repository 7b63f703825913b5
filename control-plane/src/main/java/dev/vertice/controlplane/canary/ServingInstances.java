package dev.vertice.controlplane.canary;

/** {@code ServingInstances} counts a service's SERVING instances of one version label. */
@FunctionalInterface
public interface ServingInstances {

  /** Returns how many instances of {@code version} of {@code service} are SERVING. */
  int count(String service, String version);
}
