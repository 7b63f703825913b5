package dev.vertice.controlplane.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.vertice.api.registry.v1.GetServiceRequest;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.RegisterRequest;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.testkit.TestDeadlines;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Edge cases of leases and validation over gRPC, found in review (each failed before its fix). */
class RegistryEdgeCaseTest {

  private InProcessControlPlane cp;
  private RegistryServiceGrpc.RegistryServiceBlockingStub registry;

  @BeforeEach
  void setUp() throws Exception {
    cp = new InProcessControlPlane();
    registry = RegistryServiceGrpc.newBlockingStub(cp.channel).withInterceptors(TestDeadlines.grpc());
  }

  @AfterEach
  void tearDown() {
    cp.close();
  }

  /**
   * A client whose old KeepAlive stream broke reconnects and pings every lease at once on the new
   * stream (RegistryClient.ensureStreamLocked), then pings every keepalive interval (30 s). If the
   * server learns of the old stream's end only after that (half-open TCP, client-side keepalive
   * detected it first), KeepAliveCall.ended() puts the lease, already renewed on the live stream,
   * into the 5 s grace: the instance is removed and the removal pushed, 25 s before the next ping.
   */
  @Test
  void aLateEndOfAStaleStreamMustNotShortenALeaseKeptOnALiveStream() throws Exception {
    String lease = registry.register(RegisterRequest.newBuilder()
        .setInstance(Instance.newBuilder().setService("orders").setInstanceId("a").setAddress("10.0.0.1").setPort(80))
        .build()).getLease().getLeaseId(); // defaults: TTL 60 s, keepalive 30 s
    KeepAliveTest.Pinger old = KeepAliveTest.Pinger.open(cp);
    old.ping(lease);
    cp.clock.forwardTime(Duration.ofSeconds(20));
    KeepAliveTest.Pinger fresh = KeepAliveTest.Pinger.open(cp); // client reconnected
    fresh.ping(lease);                                          // and pinged at once
    old.cancel();                                               // server notices the old stream late
    cp.clock.forwardTime(Duration.ofSeconds(6));                // next ping is due 30 s after the last
    assertEquals(1, cp.controlPlane.registry().instanceCount(),
        "the instance was removed 5 s after a stale stream ended, ~55 s before its lease (renewed on the live stream) was due");
    fresh.complete();
  }

  /**
   * Instance.weight is uint32; Java reads it as int. Validation checks `getWeight() > 10000`, so any
   * value >= 2^31 (negative as an int) passes and is stored and pushed as e.g. 4294967295.
   */
  @Test
  void weightAbove2pow31IsRejected() {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> registry.register(
        RegisterRequest.newBuilder().setInstance(Instance.newBuilder().setService("orders").setInstanceId("a")
            .setAddress("10.0.0.1").setPort(80).setWeight(-1)).build()),
        () -> "accepted; stored weight (unsigned) = " + Integer.toUnsignedString(registry.getService(
            GetServiceRequest.newBuilder().setService("orders").build()).getInstances(0).getWeight()));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
  }
}
