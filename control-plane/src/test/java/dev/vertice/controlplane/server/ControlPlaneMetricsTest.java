package dev.vertice.controlplane.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vertice.api.registry.v1.DeregisterRequest;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.RegisterRequest;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.controlplane.metrics.ControlPlaneMetrics;
import dev.vertice.testkit.Await;
import dev.vertice.testkit.TestDeadlines;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ControlPlaneMetricsTest {

  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final ControlPlaneMetrics metrics = new ControlPlaneMetrics(meters);
  private InProcessControlPlane cp;
  private RegistryServiceGrpc.RegistryServiceBlockingStub registry;

  @BeforeEach
  void start() throws Exception {
    cp = new InProcessControlPlane(b -> b.registryEvents(metrics).convergenceListener(metrics));
    metrics.bind(cp.controlPlane);
    registry = RegistryServiceGrpc.newBlockingStub(cp.channel).withInterceptors(TestDeadlines.grpc());
  }

  @AfterEach
  void stop() {
    cp.close();
  }

  private void register(String service, String id) {
    registry.register(RegisterRequest.newBuilder()
        .setInstance(Instance.newBuilder().setService(service).setInstanceId(id).setAddress("10.0.0.1").setPort(80))
        .setTtl(com.google.protobuf.Duration.newBuilder().setSeconds(10)).build());
  }

  private double counter(String name, String... tags) {
    return meters.get(name).tags(tags).counter().count();
  }

  private double gauge(String name) {
    return meters.get(name).gauge().value();
  }

  @Test
  void registrationsDeregistrationsAndExpirationsAreCountedAndGaugesFollowTheRegistry() {
    register("orders", "a");
    register("orders", "a");
    register("payments", "b");
    register("payments", "c");
    assertEquals(3, counter("vertice.registrations", "result", "created"));
    assertEquals(1, counter("vertice.registrations", "result", "updated"));
    assertEquals(3, gauge("vertice.instances"));
    assertEquals(2, gauge("vertice.services"));

    registry.deregister(DeregisterRequest.newBuilder().setService("payments").setInstanceId("c").build());
    assertEquals(1, counter("vertice.deregistrations"));

    cp.clock.forwardTime(Duration.ofSeconds(11));
    assertEquals(2, counter("vertice.lease.expirations", "reason", "ttl"));
    assertEquals(0, counter("vertice.lease.expirations", "reason", "grace"));
    assertEquals(0, gauge("vertice.instances"));
    assertEquals(0, gauge("vertice.services"));
    assertEquals(1, gauge("vertice.store.following"));
  }

  @Test
  void watchAnswersAndConvergenceAreMeasured() throws Exception {
    WatchStream watch = WatchStream.open(cp.channel, "w1");
    watch.subscribe("orders");
    watch.nextAcked();
    Await.until("metric", Duration.ofSeconds(5), () -> gauge("vertice.watch.streams") == 1);
    register("orders", "a");
    watch.nextAcked();
    Await.until("metric", Duration.ofSeconds(5),
        () -> meters.get("vertice.push.convergence").tags("type", "endpoints").timer().count() == 1);
    register("orders", "b");
    watch.nack(watch.next(), "test rejects it");
    Await.until("metric", Duration.ofSeconds(5),
        () -> meters.get("vertice.push.convergence").tags("type", "endpoints").timer().count() == 2);
    assertEquals(1, counter("vertice.watch.answers", "type", "endpoints", "node_kind", "other", "answer", "nack"));
    assertEquals(3, meters.get("vertice.push.responses").functionCounter().count());
    watch.cancel();
    Await.until("metric", Duration.ofSeconds(5), () -> gauge("vertice.watch.streams") == 0);
  }
}
