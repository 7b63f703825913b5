package dev.vertice.sidecar;

import dev.vertice.api.registry.v1.Instance;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.ControlPlaneServer;
import dev.vertice.controlplane.registry.RegistryConfig;
import dev.vertice.controlplane.registry.ServiceView;
import dev.vertice.testkit.ReusablePorts;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * {@code TestControlPlane} runs a real control plane (in-memory store) on a loopback port. Public for
 * the launcher's sidecar process tests (through this module's test-jar).
 */
public final class TestControlPlane implements AutoCloseable {

  final ControlPlane controlPlane;
  final ControlPlaneServer server;
  private boolean stopped;

  private TestControlPlane(ControlPlane controlPlane, ControlPlaneServer server) {
    this.controlPlane = controlPlane;
    this.server = server;
  }

  /** Starts a control plane whose broken streams' leases survive {@code grace}, on {@code port} (0: free). */
  public static TestControlPlane start(Duration grace, int port) {
    ControlPlane cp = controlPlane(grace);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try {
        return new TestControlPlane(cp, new ControlPlaneServer(cp, "127.0.0.1", port,
            ControlPlaneServer.DEFAULT_MAX_MESSAGE_BYTES));
      } catch (IOException e) {
        // The port may still be held by a server that just stopped.
        if (System.nanoTime() - deadline > 0) {
          cp.close();
          throw new AssertionError("could not bind port " + port, e);
        }
        Thread.onSpinWait();
      }
    }
  }

  /**
   * {@code startOnReusablePort} starts a control plane on a port below the kernel's ephemeral
   * range, for a test that stops it and starts another on the same port: no outgoing connection
   * can take that port in between ({@link ReusablePorts}).
   */
  public static TestControlPlane startOnReusablePort(Duration grace) throws IOException {
    ControlPlane cp = controlPlane(grace);
    try {
      return ReusablePorts.bindBelowEphemeralRange(port -> new TestControlPlane(cp,
          new ControlPlaneServer(cp, "127.0.0.1", port, ControlPlaneServer.DEFAULT_MAX_MESSAGE_BYTES)));
    } catch (IOException | RuntimeException e) {
      cp.close();
      throw e;
    }
  }

  private static ControlPlane controlPlane(Duration grace) {
    return ControlPlane.builder()
        .registryConfig(RegistryConfig.custom().grace(grace).minTtl(Duration.ofSeconds(1)).build())
        .build();
  }

  /**
   * Starts a control plane on a free port serving {@code credentials} (TLS, maybe mutual), with
   * {@code interceptors} around every call.
   */
  public static TestControlPlane startTls(io.grpc.ServerCredentials credentials, List<io.grpc.ServerInterceptor> interceptors)
      throws IOException {
    ControlPlane cp = ControlPlane.builder().build();
    try {
      return new TestControlPlane(cp, new ControlPlaneServer(cp, "127.0.0.1", 0,
          ControlPlaneServer.DEFAULT_MAX_MESSAGE_BYTES, interceptors, credentials));
    } catch (IOException | RuntimeException e) {
      cp.close();
      throw e;
    }
  }

  public int port() {
    return server.port();
  }

  public String address() {
    return "127.0.0.1:" + server.port();
  }

  /** Returns the instance as the registry holds it now. */
  public Optional<Instance> instance(String service, String instanceId) {
    ServiceView view = controlPlane.registry().service(service);
    if (view == null) {
      return Optional.empty();
    }
    return view.instances().stream().filter(i -> i.getInstanceId().equals(instanceId)).findFirst();
  }

  /** Returns the ids of the instances of {@code service}. */
  public List<String> instanceIds(String service) {
    ServiceView view = controlPlane.registry().service(service);
    return view == null ? List.of() : view.instances().stream().map(Instance::getInstanceId).toList();
  }

  /** Stops the server as an operator would: streams end with UNAVAILABLE, the in-memory state is lost. */
  public void stop() {
    if (!stopped) {
      stopped = true;
      server.stop(Duration.ofMillis(500));
    }
  }

  @Override
  public void close() {
    stop();
  }
}
