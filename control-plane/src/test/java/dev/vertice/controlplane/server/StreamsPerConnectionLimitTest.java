package dev.vertice.controlplane.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.ControlPlaneServer;
import dev.vertice.testkit.Await;
import dev.vertice.testkit.TestDeadlines;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The streams-per-connection limit on a real loopback server. */
class StreamsPerConnectionLimitTest {

  private ControlPlaneServer server;
  private ManagedChannel channel;
  private ManagedChannel other;

  @BeforeEach
  void start() throws Exception {
    server = new ControlPlaneServer(ControlPlane.builder().build(), "127.0.0.1", 0,
        ControlPlaneServer.DEFAULT_MAX_MESSAGE_BYTES, List.of(), InsecureServerCredentials.create(), 2);
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    other = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
  }

  @AfterEach
  void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    other.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.stop(Duration.ofSeconds(1));
  }

  @Test
  void aCallBeyondTheLimitIsResourceExhaustedUntilOneEnds() throws Exception {
    WatchStream a = WatchStream.open(channel, "a");
    a.subscribe("orders");
    a.nextAcked();
    WatchStream b = WatchStream.open(channel, "b");
    b.subscribe("orders");
    b.nextAcked();
    HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel).withInterceptors(TestDeadlines.grpc());
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> health.check(HealthCheckRequest.getDefaultInstance()));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("2 concurrent calls"), e.getStatus().getDescription());
    assertFalse(a.closed.isDone() || b.closed.isDone(), "the streams already open are untouched");
    // Another connection has its own allowance.
    HealthGrpc.newBlockingStub(other)
        .withInterceptors(TestDeadlines.grpc()).check(HealthCheckRequest.getDefaultInstance());
    // Once a stream ends, the connection takes a call again.
    a.cancel();
    Await.until("a call fits again after one stream ended", () -> {
      try {
        health.check(HealthCheckRequest.getDefaultInstance());
        return true;
      } catch (StatusRuntimeException refused) {
        return false;
      }
    });
  }

  @Test
  void limitMustBePositive() {
    assertThrows(IllegalArgumentException.class, () -> new StreamsPerConnectionLimit(0));
  }
}
