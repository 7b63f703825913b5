package dev.vertice.bench;

import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.client.InstanceSpec;
import dev.vertice.client.RegistryClient;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.ControlPlaneServer;
import dev.vertice.gateway.Gateway;
import dev.vertice.gateway.GatewayConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * {@code GatewayTarget} is the gateway under test, configured as it is in production: a real
 * control plane in this JVM (in-memory store, loopback port), the upstream registered through the
 * Java client (with keepalive), and a gateway that learns the route from the control plane's push.
 * No upstream address is given to the gateway.
 */
final class GatewayTarget implements AutoCloseable {

  private final ControlPlaneServer controlPlane;
  private final RegistryClient registry;
  private final Gateway gateway;

  /** Starts the control plane, registers {@code service} at {@code upstreamPort}, starts the gateway. */
  GatewayTarget(String service, int upstreamPort, int threads) throws IOException, InterruptedException {
    controlPlane = new ControlPlaneServer(ControlPlane.builder().build(), "127.0.0.1", 0,
        ControlPlaneServer.DEFAULT_MAX_MESSAGE_BYTES);
    String address = "127.0.0.1:" + controlPlane.port();
    RegistryClient r = null;
    Gateway g = null;
    try {
      // A generous call timeout: the first Register of a cold JVM on a busy machine can take seconds.
      r = RegistryClient.builder().controlPlane(address).callTimeout(Duration.ofSeconds(60)).build();
      r.register(InstanceSpec.builder(service).instanceId("upstream-1").address("127.0.0.1").port(upstreamPort)
          .protocol(Protocol.PROTOCOL_HTTP).build());
      g = Gateway.builder(GatewayConfig.custom().host("127.0.0.1").port(0).grpcPort(-1).build())
          .controlPlane(address).threads(threads).nodeId("bench-gateway").start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (g.router().state().table().route(service, Protocol.PROTOCOL_HTTP) == null) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the gateway did not receive the route of " + service + " within 10 s");
        }
        Thread.sleep(10);
      }
    } catch (RuntimeException | InterruptedException e) {
      if (g != null) {
        g.close();
      }
      if (r != null) {
        r.close();
      }
      controlPlane.stop(Duration.ofSeconds(1));
      throw e;
    }
    this.registry = r;
    this.gateway = g;
  }

  /** Returns the gateway's HTTP port. */
  int port() {
    return gateway.port();
  }

  /** Returns the gateway. */
  Gateway gateway() {
    return gateway;
  }

  @Override
  public void close() {
    gateway.close();
    registry.close();
    controlPlane.stop(Duration.ofSeconds(1));
  }
}
