package dev.vertice.controlplane.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.discovery.v1.WatchRequest;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.RegisterRequest;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.common.ResourceTypes;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.ControlPlaneServer;
import dev.vertice.controlplane.push.PushLimits;
import dev.vertice.testkit.Await;
import dev.vertice.testkit.TestDeadlines;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 18, defect 1: what a Watch request makes the control plane hold is bounded, over a real
 * loopback server and clients that never read: names held only through {@code
 * initial_resource_versions} count against the subscription limit, and the bytes of
 * client-chosen names are bounded per stream, per connection and per process.
 */
@Timeout(60)
class PendingBytesLimitTest {

  private ControlPlane cp;
  private ControlPlaneServer server;
  private final List<ManagedChannel> channels = new ArrayList<>();

  private void start(PushLimits limits) throws Exception {
    cp = ControlPlane.builder().pushLimits(limits).build();
    server = new ControlPlaneServer(cp, "127.0.0.1", 0, 4 << 20, List.of(), InsecureServerCredentials.create(),
        10_000);
  }

  private ManagedChannel connect() {
    ManagedChannel c = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext()
        .maxInboundMessageSize(4 << 20).build();
    channels.add(c);
    return c;
  }

  @AfterEach
  void stop() throws Exception {
    for (ManagedChannel c : channels) {
      c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.stop(Duration.ofSeconds(1));
    }
    if (cp != null) {
      cp.close();
    }
  }

  private static List<String> names(String prefix, int n) {
    List<String> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(prefix + i);
    }
    return out;
  }

  private static Status endsWith(WatchStream w) throws Exception {
    return w.closed.get(10, TimeUnit.SECONDS);
  }

  @Test
  void madeUpInitialVersionsOfAWildcardCountAgainstTheSubscriptionLimit() throws Exception {
    start(PushLimits.ofDefaults());
    Map<String, String> made = new HashMap<>();
    for (String n : names("ghost-", 70_000)) {
      made.put(n, "1");
    }
    WatchStream w = WatchStream.open(connect(), "reader-that-never-reads", false);
    w.send(WatchRequest.newBuilder().addSubscribe(ResourceTypes.WILDCARD).putAllInitialResourceVersions(made));
    Status s = endsWith(w);
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, s.getCode(), s.toString());
    assertTrue(s.getDescription().contains("initial_resource_versions"), s.getDescription());
    assertTrue(s.getDescription().contains("--max-subscriptions"), s.getDescription());
    Await.until("the refused stream holds nothing", () -> cp.engine().stats().subscribers() == 0);
    assertEquals(0, cp.engine().pendingBytes(), "nothing held after the refusal");
  }

  @Test
  void aWildcardResumingWhatExistsIsAccepted() throws Exception {
    start(PushLimits.custom().maxSubscriptionsPerStream(2).build());
    RegistryServiceGrpc.RegistryServiceBlockingStub registry = RegistryServiceGrpc.newBlockingStub(connect())
        .withInterceptors(TestDeadlines.grpc());
    Map<String, String> held = new HashMap<>();
    for (String svc : names("svc-", 5)) {
      held.put(svc, registry.withDeadlineAfter(10, TimeUnit.SECONDS).register(RegisterRequest.newBuilder()
          .setInstance(Instance.newBuilder().setService(svc).setInstanceId("a").setAddress("127.0.0.1")
              .setPort(9000)).build()).getResourceVersion());
    }
    held.put("gone-1", "1"); // one held resource deleted while away: within the limit of 2
    WatchStream w = WatchStream.open(connect(), "resumer");
    w.send(WatchRequest.newBuilder().addSubscribe(ResourceTypes.WILDCARD).putAllInitialResourceVersions(held));
    assertTrue(w.next().getRemovedResourcesList().contains("gone-1"));
    assertFalse(w.closed.isDone(), "the stream stays open");
  }

  @Test
  void bytesOfOneStreamAreBounded() throws Exception {
    start(PushLimits.custom().maxPendingBytesPerStream(64 << 10).build());
    WatchStream w = WatchStream.open(connect(), "big", false);
    w.send(WatchRequest.newBuilder().addAllSubscribe(names("a-rather-long-service-name-to-fill-memory-", 2_000)));
    Status s = endsWith(w);
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, s.getCode(), s.toString());
    assertTrue(s.getDescription().contains("--max-pending-bytes-per-stream"), s.getDescription());
    Await.until("nothing held", () -> cp.engine().pendingBytes() == 0);
  }

  @Test
  void bytesOfOneConnectionAreBoundedAndAnotherConnectionHasItsOwn() throws Exception {
    start(PushLimits.custom().maxPendingBytesPerStream(200 << 10).maxPendingBytesPerConnection(300 << 10).build());
    ManagedChannel one = connect();
    WatchStream a = WatchStream.open(one, "a", false);
    a.send(WatchRequest.newBuilder().addAllSubscribe(names("svc-a-", 1_000)));
    Await.until("a holds its names", () -> cp.engine().pendingBytes() > 0);
    WatchStream b = WatchStream.open(one, "b", false);
    b.send(WatchRequest.newBuilder().addAllSubscribe(names("svc-b-", 1_000)));
    Status s = endsWith(b);
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, s.getCode(), s.toString());
    assertTrue(s.getDescription().contains("--max-pending-bytes-per-connection"), s.getDescription());
    assertFalse(a.closed.isDone(), "the stream within the limit is untouched");
    WatchStream c = WatchStream.open(connect(), "c", false);
    c.send(WatchRequest.newBuilder().addAllSubscribe(names("svc-c-", 1_000)));
    WatchStream probe = WatchStream.open(connect(), "probe");
    probe.subscribe("probe");
    probe.next();
    assertFalse(c.closed.isDone(), "another connection has its own allowance");
  }

  @Test
  void bytesOfTheProcessAreBoundedAndReleasedWhenAStreamEnds() throws Exception {
    start(PushLimits.custom().maxPendingBytesPerProcess(300 << 10).build());
    WatchStream a = WatchStream.open(connect(), "a", false);
    a.send(WatchRequest.newBuilder().addAllSubscribe(names("svc-a-", 1_000)));
    Await.until("a holds its names", () -> cp.engine().pendingBytes() > 0);
    long held = cp.engine().pendingBytes();
    WatchStream b = WatchStream.open(connect(), "b", false);
    b.send(WatchRequest.newBuilder().addAllSubscribe(names("svc-b-", 1_000)));
    Status s = endsWith(b);
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, s.getCode(), s.toString());
    assertTrue(s.getDescription().contains("--max-pending-bytes-per-process"), s.getDescription());
    assertEquals(held, cp.engine().pendingBytes(), "the refused request changed nothing");
    a.cancel();
    Await.until("a's bytes are released", () -> cp.engine().pendingBytes() == 0);
    WatchStream c = WatchStream.open(connect(), "c");
    c.send(WatchRequest.newBuilder().addAllSubscribe(names("svc-c-", 1_000)));
    c.next();
    assertFalse(c.closed.isDone(), "the budget is free again");
  }
}
