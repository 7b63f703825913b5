package dev.vertice.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.vertice.demo.api.v1.EchoRequest;
import dev.vertice.demo.api.v1.EchoResponse;
import dev.vertice.demo.api.v1.EchoServiceGrpc;
import dev.vertice.demo.api.v1.SetServingRequest;
import dev.vertice.testkit.TestDeadlines;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EchoGrpcServerTest {

  private EchoGrpcServer server;
  private ManagedChannel channel;

  @AfterEach
  void tearDown() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.close();
    }
  }

  private void start(DemoConfig c) throws Exception {
    server = EchoGrpcServer.start(c);
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
  }

  @Test
  void echoNamesTheInstanceAndHealthFollowsTheSwitch() throws Exception {
    start(DemoConfig.custom().service("maximus-core-service").instanceId("core-1").version("v3").build());
    EchoResponse r = EchoServiceGrpc.newBlockingStub(channel)
        .withInterceptors(TestDeadlines.grpc()).echo(EchoRequest.newBuilder().setMessage("hi").build());
    assertEquals("maximus-core-service", r.getService());
    assertEquals("core-1", r.getInstanceId());
    assertEquals("v3", r.getVersion());
    assertEquals("hi", r.getMessage());

    HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel).withInterceptors(TestDeadlines.grpc());
    assertEquals(ServingStatus.SERVING, health.check(HealthCheckRequest.getDefaultInstance()).getStatus());
    EchoServiceGrpc.newBlockingStub(channel)
        .withInterceptors(TestDeadlines.grpc()).setServing(SetServingRequest.newBuilder().setServing(false).build());
    assertEquals(ServingStatus.NOT_SERVING, health.check(HealthCheckRequest.getDefaultInstance()).getStatus());
    assertEquals(ServingStatus.NOT_SERVING, health.check(HealthCheckRequest.newBuilder()
        .setService(EchoServiceGrpc.SERVICE_NAME).build()).getStatus());
    server.setServing(true);
    assertEquals(ServingStatus.SERVING, health.check(HealthCheckRequest.getDefaultInstance()).getStatus());
  }

  @Test
  void errorRateOneFailsWithInternal() throws Exception {
    start(DemoConfig.custom().service("test-service").errorRate(1).build());
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> EchoServiceGrpc.newBlockingStub(channel)
            .withInterceptors(TestDeadlines.grpc()).echo(EchoRequest.getDefaultInstance()));
    assertEquals(Status.Code.INTERNAL, e.getStatus().getCode());
  }
}
