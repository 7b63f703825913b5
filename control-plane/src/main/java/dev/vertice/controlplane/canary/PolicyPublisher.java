package dev.vertice.controlplane.canary;

import dev.vertice.api.discovery.v1.TrafficPolicy;
import java.util.concurrent.CompletableFuture;

/**
 * {@code PolicyPublisher} publishes TrafficPolicy resources to the data plane (the Watch stream)
 * and reports when every subscriber has acknowledged them.
 */
public interface PolicyPublisher {

  /**
   * Publishes {@code policy} under its service's name, replacing the previous one.
   *
   * @return a future that completes when every subscriber that needed this version has answered
   *     it (at once when there is none), or that fails when the version was abandoned
   */
  CompletableFuture<?> put(TrafficPolicy policy);
}
