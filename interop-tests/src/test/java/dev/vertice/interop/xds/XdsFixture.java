package dev.vertice.interop.xds;

import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.ControlPlaneServer;
import dev.vertice.controlplane.registry.Registration;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code XdsFixture} is a real control plane on a free loopback port and the real upstream
 * servers registered in it, for tests with xDS clients.
 */
final class XdsFixture implements AutoCloseable {

  final ControlPlaneServer server;
  private final List<WhoUpstream> upstreams = new ArrayList<>();

  XdsFixture() throws Exception {
    this.server = new ControlPlaneServer(ControlPlane.builder().build(), "127.0.0.1", 0,
        ControlPlaneServer.DEFAULT_MAX_MESSAGE_BYTES);
  }

  ControlPlane controlPlane() {
    return server.controlPlane();
  }

  /** A bootstrap for gRPC xDS clients: one ADS server, this control plane, insecure. */
  String bootstrapJson(String nodeId) {
    return """
        {
          "xds_servers": [{
            "server_uri": "127.0.0.1:%d",
            "channel_creds": [{"type": "insecure"}],
            "server_features": ["xds_v3"]
          }],
          "node": {"id": "%s", "locality": {"zone": "local"}}
        }
        """.formatted(server.port(), nodeId);
  }

  /** Starts an upstream and registers it as {@code service/instanceId} with {@code version}; returns the revision. */
  WhoUpstream start(String service, String instanceId, String version) throws Exception {
    WhoUpstream u = new WhoUpstream(instanceId);
    upstreams.add(u);
    register(service, u, version);
    return u;
  }

  long register(String service, WhoUpstream u, String version) throws Exception {
    Registration r = controlPlane().store().register(Instance.newBuilder()
        .setService(service)
        .setInstanceId(u.instanceId)
        .setAddress("127.0.0.1")
        .setPort(u.port())
        .setProtocol(Protocol.PROTOCOL_GRPC)
        .setVersion(version)
        .setHealth(HealthStatus.HEALTH_STATUS_SERVING)
        .build(), Duration.ofMinutes(10), Duration.ofMinutes(1));
    return r.resourceVersion();
  }

  long deregister(String service, WhoUpstream u) throws Exception {
    return controlPlane().store().deregister(service, u.instanceId);
  }

  /** Stops every upstream started so far. */
  void closeUpstreams() {
    for (WhoUpstream u : upstreams) {
      u.close();
    }
    upstreams.clear();
  }

  @Override
  public void close() {
    server.stop(Duration.ofSeconds(1));
    closeUpstreams();
  }
}
