package dev.vertice.controlplane.server;

import static dev.vertice.controlplane.server.WatchStream.names;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.rpc.BadRequest;
import dev.vertice.api.discovery.v1.WatchRequest;
import dev.vertice.api.discovery.v1.WatchResponse;
import dev.vertice.api.registry.v1.DeregisterRequest;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.RegisterRequest;
import dev.vertice.api.registry.v1.RegisterResponse;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.api.registry.v1.SetHealthRequest;
import dev.vertice.common.ResourceTypes;
import dev.vertice.controlplane.push.Convergence;
import dev.vertice.controlplane.push.PushLimits;
import dev.vertice.testkit.TestDeadlines;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class WatchProtocolTest {

  private InProcessControlPlane cp;
  private RegistryServiceGrpc.RegistryServiceBlockingStub registry;

  @BeforeEach
  void setUp() throws Exception {
    cp = new InProcessControlPlane(b -> b.pushLimits(PushLimits.custom().maxSubscriptionsPerStream(5).build()));
    registry = RegistryServiceGrpc.newBlockingStub(cp.channel).withInterceptors(TestDeadlines.grpc());
  }

  @AfterEach
  void tearDown() throws Exception {
    cp.close();
  }

  private RegisterResponse register(String service, String id) {
    return registry.register(RegisterRequest.newBuilder().setInstance(Instance.newBuilder().setService(service)
        .setInstanceId(id).setAddress("127.0.0.1").setPort(9000)).build());
  }

  @Test
  void registrationHealthAndRemovalArePushedInOrder() throws Exception {
    WatchStream w = WatchStream.open(cp.channel, "gw-1");
    w.subscribe("orders");
    assertEquals(List.of("-orders"), names(w.nextAcked()), "absent at first");
    RegisterResponse r = register("orders", "a");
    WatchResponse added = w.nextAcked();
    assertEquals(List.of("orders@" + r.getResourceVersion()), names(added));
    assertEquals("a", WatchStream.endpoints(added.getResources(0)).getInstances(0).getInstanceId());
    registry.setHealth(SetHealthRequest.newBuilder().setService("orders").setInstanceId("a")
        .setHealth(HealthStatus.HEALTH_STATUS_DRAINING).build());
    assertEquals(HealthStatus.HEALTH_STATUS_DRAINING,
        WatchStream.endpoints(w.nextAcked().getResources(0)).getInstances(0).getHealth());
    registry.deregister(DeregisterRequest.newBuilder().setService("orders").setInstanceId("a").build());
    assertEquals(List.of("-orders"), names(w.nextAcked()));
  }

  @Test
  void resumeAfterReconnectSendsOnlyDifferences() throws Exception {
    register("orders", "a");
    register("payments", "a");
    register("ledger", "a");
    WatchStream first = WatchStream.open(cp.channel, "gw-1");
    first.subscribe("*");
    WatchResponse initial = first.nextAcked();
    assertEquals(3, initial.getResourcesCount());
    Map<String, String> held = new java.util.HashMap<>();
    initial.getResourcesList().forEach(r -> held.put(r.getName(), r.getVersion()));
    dev.vertice.testkit.Await.until("the server counted the first stream's sends",
        () -> cp.controlPlane.engine().stats().resourcesSent() == 3);
    first.cancel();
    dev.vertice.testkit.Await.until("the first stream is gone",
        () -> cp.controlPlane.engine().stats().subscribers() == 0);

    // While the client is away: payments changes, ledger disappears, inventory appears.
    String payments = register("payments", "b").getResourceVersion();
    registry.deregister(DeregisterRequest.newBuilder().setService("ledger").setInstanceId("a").build());
    String inventory = register("inventory", "a").getResourceVersion();
    long sentBefore = cp.controlPlane.engine().stats().resourcesSent();

    WatchStream second = WatchStream.open(cp.channel, "gw-1");
    second.resume(held, "*");
    WatchResponse delta = second.nextAcked();
    assertEquals(java.util.Set.of("payments@" + payments, "inventory@" + inventory, "-ledger"),
        java.util.Set.copyOf(names(delta)), "orders is held at its current version: not resent");
    // The counter moves just after the send: wait for it, then check nothing more was sent.
    dev.vertice.testkit.Await.until("the server counted its sends",
        () -> cp.controlPlane.engine().stats().resourcesSent() - sentBefore >= 3);
    assertEquals(3, cp.controlPlane.engine().stats().resourcesSent() - sentBefore);
  }

  @Test
  void nackIsRecordedAndTheSameVersionIsNotResent() throws Exception {
    WatchStream w = WatchStream.open(cp.channel, "sidecar-7");
    register("orders", "a");
    w.subscribe("orders");
    WatchResponse r = w.next();
    w.nack(r, "cannot apply: test says no");
    String payments = register("payments", "a").getResourceVersion(); // not subscribed: nothing for this stream
    w.subscribe("payments");
    WatchResponse next = w.nextAcked();
    assertEquals(List.of("payments@" + payments), names(next), "orders was not resent after the NACK");
    assertEquals(1, cp.controlPlane.engine().stats().nacks());
    register("orders", "b");
    assertEquals("orders", w.nextAcked().getResources(0).getName(), "a new version is sent again");
  }

  @Test
  void convergenceCompletesWhenEveryWatcherAcked() throws Exception {
    WatchStream a = WatchStream.open(cp.channel, "gw-a");
    WatchStream b = WatchStream.open(cp.channel, "gw-b");
    a.subscribe("orders");
    b.subscribe("*");
    assertEquals(List.of("-orders"), names(a.nextAcked()));
    assertEquals(List.of(), names(b.nextAcked()), "nothing exists yet: an empty answer");
    long v = cp.controlPlane.engine().versions().parse(register("orders", "x").getResourceVersion());
    CompletableFuture<Convergence> done = cp.controlPlane.engine().whenConverged(ResourceTypes.ENDPOINTS, "orders", v);
    a.nextAcked();
    assertFalse(done.isDone(), "gw-b has not answered yet");
    b.nextAcked();
    Convergence c = done.get(5, TimeUnit.SECONDS);
    assertEquals(2, c.subscribers());
    assertTrue(c.complete());
  }

  @Test
  void unknownTypeEndsTheStreamWithInvalidArgument() throws Exception {
    WatchStream w = WatchStream.open(cp.channel, "n");
    w.send(WatchRequest.newBuilder().setTypeUrl("type.googleapis.com/nope.Thing").addSubscribe("orders"));
    Status s = w.closed.get(5, TimeUnit.SECONDS);
    assertEquals(Status.Code.INVALID_ARGUMENT, s.getCode());
    assertTrue(s.getDescription().contains("type_url"), s.getDescription());
    assertEquals(0, cp.controlPlane.engine().stats().subscribers());
  }

  @Test
  void illegalResourceNameEndsTheStreamWithFieldViolation() throws Exception {
    WatchStream w = WatchStream.open(cp.channel, "n");
    w.subscribe("fine", "not/fine");
    Throwable t = statusError(w);
    BadRequest br = StatusProto.fromThrowable(t).getDetails(0).unpack(BadRequest.class);
    assertEquals("subscribe[1]", br.getFieldViolations(0).getField());
    assertEquals(0, cp.controlPlane.engine().stats().subscribers(), "nothing subscribed");
  }

  @Test
  void subscriptionLimitEndsTheStreamWithResourceExhausted() throws Exception {
    WatchStream w = WatchStream.open(cp.channel, "n");
    w.subscribe("a", "b", "c", "d", "e", "f");
    Status s = w.closed.get(5, TimeUnit.SECONDS);
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, s.getCode());
    assertTrue(s.getDescription().contains("limit of 5"), s.getDescription());
  }

  @Test
  void namesInOtherSpellingsAreNormalised() throws Exception {
    register("osint-service", "a");
    WatchStream w = WatchStream.open(cp.channel, "n");
    w.subscribe("OSINT_SERVICE");
    assertEquals("osint-service", w.nextAcked().getResources(0).getName());
  }

  @Test
  void clientNackOfGarbageDoesNotDisturbOtherWatchers() throws Exception {
    WatchStream bad = WatchStream.open(cp.channel, "bad");
    WatchStream good = WatchStream.open(cp.channel, "good");
    bad.subscribe("orders");
    good.subscribe("orders");
    bad.nack(bad.next(), "x");
    good.nextAcked();
    bad.send(WatchRequest.newBuilder().setResponseNonce("no-such-nonce"));
    register("orders", "a");
    assertEquals(1, good.nextAcked().getResourcesCount());
    assertEquals(1, bad.next().getResourcesCount(), "an unknown nonce is ignored; the stream goes on");
  }

  private static Throwable statusError(WatchStream w) throws Exception {
    Status s = w.closed.get(5, TimeUnit.SECONDS);
    assertEquals(Status.Code.INVALID_ARGUMENT, s.getCode(), String.valueOf(s));
    return w.error;
  }
}
