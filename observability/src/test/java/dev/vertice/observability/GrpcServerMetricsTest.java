package dev.vertice.observability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.vertice.testkit.TestDeadlines;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class GrpcServerMetricsTest {

  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private Server server;
  private ManagedChannel channel;

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void unaryCallsAreTimedByMethodAndStatusCode() throws Exception {
    String name = InProcessServerBuilder.generateName();
    HealthStatusManager health = new HealthStatusManager();
    server = InProcessServerBuilder.forName(name).directExecutor()
        .addService(ServerInterceptors.intercept(health.getHealthService(), new GrpcServerMetrics(meters)))
        .build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    HealthGrpc.HealthBlockingStub stub = HealthGrpc.newBlockingStub(channel).withInterceptors(TestDeadlines.grpc());
    stub.check(HealthCheckRequest.getDefaultInstance());
    stub.check(HealthCheckRequest.getDefaultInstance());
    assertThrows(StatusRuntimeException.class, () -> stub.check(HealthCheckRequest.newBuilder().setService("nope").build()));
    assertEquals(2, meters.get("vertice.rpc.server").tags("method", "grpc.health.v1.Health/Check", "type", "unary",
        "code", "OK").timer().count());
    assertEquals(1, meters.get("vertice.rpc.server").tags("code", "NOT_FOUND").timer().count());
  }
}
