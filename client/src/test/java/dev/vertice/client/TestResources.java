package dev.vertice.client;

import dev.vertice.controlplane.ControlPlane;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * {@code TestResources} starts what client tests run against (real control planes, clients,
 * servers, channels) and closes all of it after each test, the last started first, so that every
 * test ends with its ports and threads released. Use it as a field: {@code @RegisterExtension
 * final TestResources resources = new TestResources();}.
 */
final class TestResources implements AfterEachCallback {

  private final List<AutoCloseable> resources = new ArrayList<>();

  /** Closes {@code resource} after the test; returns it. */
  <T extends AutoCloseable> T track(T resource) {
    resources.add(resource);
    return resource;
  }

  /** Starts a control plane with defaults on a free loopback port. */
  TestControlPlane controlPlane() {
    return track(TestControlPlane.start());
  }

  /** Starts a control plane to be restarted on its port ({@link TestControlPlane#startOnReusablePort}). */
  TestControlPlane controlPlaneOnReusablePort() throws java.io.IOException {
    return track(TestControlPlane.startOnReusablePort());
  }

  /** Starts {@code builder}'s control plane on {@code port} (0: a free one). */
  TestControlPlane controlPlane(ControlPlane.Builder builder, int port) {
    return track(TestControlPlane.start(builder, port));
  }

  /**
   * A registry client of {@code cp}, with defaults but a 30 s call timeout: a bound for a loaded
   * machine (the first call of a cold JVM took over 5 s at load 20 on 2 cores), not a timing target.
   */
  RegistryClient registryClient(TestControlPlane cp) {
    return track(RegistryClient.builder().controlPlane(cp.address()).callTimeout(java.time.Duration.ofSeconds(30))
        .build());
  }

  /** A watch client of {@code cp}, with defaults. */
  WatchClient watchClient(TestControlPlane cp) {
    return track(WatchClient.builder().controlPlane(cp.address()).build());
  }

  /** Serves {@code cp}'s services in-process under {@code name}; shut down after the test. */
  Server inProcessServer(String name, ControlPlane cp) throws IOException {
    InProcessServerBuilder b = InProcessServerBuilder.forName(name);
    cp.services().forEach(b::addService);
    return server(b.build().start());
  }

  /** Shuts {@code server} down after the test; returns it. */
  Server server(Server server) {
    track(() -> {
      server.shutdownNow();
      awaitQuietly(() -> server.awaitTermination(5, TimeUnit.SECONDS));
    });
    return server;
  }

  /** Shuts {@code channel} down after the test; returns it. */
  ManagedChannel channel(ManagedChannel channel) {
    track(() -> {
      channel.shutdownNow();
      awaitQuietly(() -> channel.awaitTermination(5, TimeUnit.SECONDS));
    });
    return channel;
  }

  /**
   * Closes every resource, the last started first. A failure does not stop the others from
   * closing; the first one is rethrown, the rest attached to it.
   */
  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    Exception first = null;
    for (int i = resources.size() - 1; i >= 0; i--) {
      try {
        resources.get(i).close();
      } catch (Exception e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    resources.clear();
    if (first != null) {
      throw first;
    }
  }

  /** A wait that may be interrupted. */
  interface Wait {
    boolean await() throws InterruptedException;
  }

  /** Runs {@code wait}; an interrupt ends it and is kept for the caller to see. */
  static void awaitQuietly(Wait wait) {
    try {
      wait.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
