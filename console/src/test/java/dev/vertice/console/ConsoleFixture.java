package dev.vertice.console;

import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.ControlPlaneServer;
import dev.vertice.controlplane.push.ConvergenceListener;
import dev.vertice.observability.AdminServer;
import dev.vertice.observability.Metrics;
import dev.vertice.security.auth.AuthInterceptor;
import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * A real control plane (in memory, its gRPC port on a free port) with its admin port and the console
 * installed, as {@code ./vertice control-plane} wires them.
 */
final class ConsoleFixture implements AutoCloseable {

  final ControlPlane cp;
  final ControlPlaneServer server;
  final AdminServer admin;
  final Console console;
  final Metrics metrics = Metrics.bare();

  ConsoleFixture(ConsoleConfig config, AuthInterceptor auth) throws IOException {
    ConvergenceWindow window = new ConvergenceWindow(ConvergenceListener.NONE);
    cp = ControlPlane.builder().convergenceListener(window).build();
    server = new ControlPlaneServer(cp, "127.0.0.1", 0, ControlPlaneServer.DEFAULT_MAX_MESSAGE_BYTES, List.of());
    admin = AdminServer.bind("127.0.0.1", 0, metrics, () -> true);
    Console.Authenticator authenticator = auth == null ? null : r -> auth.authenticateHttp(
        r.remoteAddress().getAddress(), r.tlsSession(), r.header("Authorization"), r.method() + " " + r.path());
    console = Console.builder(cp).config(config).convergence(window).authenticator(authenticator)
        .executor(admin.routeExecutor()).build().install(admin);
    admin.start();
  }

  String base() {
    return "http://127.0.0.1:" + admin.port();
  }

  void register(String service, String id, String version, String zone, HealthStatus health)
      throws Exception {
    cp.store().register(Instance.newBuilder().setService(service).setInstanceId(id).setAddress("127.0.0.1")
        .setPort(8000 + Math.abs(id.hashCode() % 1000)).setVersion(version).setZone(zone).setWeight(100)
        .setProtocol(Protocol.PROTOCOL_HTTP).setHealth(health).putMetadata("team", "payments").build(),
        Duration.ofMinutes(5), Duration.ofMinutes(1));
  }

  @Override
  public void close() {
    console.close();
    admin.close();
    server.stop(Duration.ZERO);
    cp.close();
  }
}
