package dev.vertice.interop.xds;

import dev.vertice.api.discovery.v1.Subset;
import dev.vertice.api.discovery.v1.TrafficPolicy;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.ControlPlaneServer;
import dev.vertice.controlplane.push.Convergence;
import dev.vertice.controlplane.registry.StoredTrafficPolicy;
import dev.vertice.controlplane.store.Registration;
import dev.vertice.controlplane.xds.XdsTypes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

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

  /**
   * Sets {@code service}'s traffic policy to the given version label and weight pairs (as the canary
   * controller does) and waits until every xDS client that needed the new route has answered it.
   */
  void split(String service, Object... versionWeight) throws Exception {
    TrafficPolicy.Builder b = TrafficPolicy.newBuilder().setService(service);
    for (int i = 0; i < versionWeight.length; i += 2) {
      b.addSubsets(Subset.newBuilder().setVersion((String) versionWeight[i]).setWeight((Integer) versionWeight[i + 1]));
    }
    StoredTrafficPolicy p = controlPlane().trafficPolicies().put(b.build());
    Convergence c = controlPlane().engine().whenConverged(XdsTypes.ROUTE, service, p.revision())
        .get(10, TimeUnit.SECONDS);
    // subscribers() is 0 when the client's ACK came before this call asked (the tracker forgets a
    // converged change): on a quiet machine the ACK can beat whenConverged. The calls that follow
    // check the route in use; AdsProtocolTest checks that xDS ACKs count in convergence.
    if (!c.complete() || c.nacks() > 0) {
      throw new AssertionError("the route of " + service + " did not converge: " + c);
    }
    System.out.printf("%s: route %s converged (ACKed) in %.1f ms by %d subscriber(s)%n", service, p.policy()
        .getSubsetsList().stream().map(x -> x.getVersion() + "=" + x.getWeight()).toList(), c.nanos() / 1e6,
        c.subscribers());
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
