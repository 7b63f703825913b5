package dev.vertice.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import dev.vertice.api.discovery.v1.DiscoveryServiceGrpc;
import dev.vertice.api.discovery.v1.Endpoints;
import dev.vertice.api.discovery.v1.Node;
import dev.vertice.api.discovery.v1.Resource;
import dev.vertice.api.discovery.v1.WatchRequest;
import dev.vertice.api.discovery.v1.WatchResponse;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.common.ResourceTypes;
import dev.vertice.testkit.Await;
import dev.vertice.testkit.FakeClock;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The client side of the Watch protocol, against a scripted in-process DiscoveryService that
 * records every request and sends exactly the responses a test writes (including malformed ones
 * the real control plane never sends).
 */
class WatchProtocolTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  /** A DiscoveryService that hands the test each stream's requests and response observer. */
  static final class ScriptedDiscovery extends DiscoveryServiceGrpc.DiscoveryServiceImplBase {
    final BlockingQueue<WatchRequest> requests = new LinkedBlockingQueue<>();
    volatile StreamObserver<WatchResponse> responses;

    @Override
    public StreamObserver<WatchRequest> watch(StreamObserver<WatchResponse> out) {
      responses = out;
      return new StreamObserver<>() {
        @Override
        public void onNext(WatchRequest r) {
          requests.add(r);
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {
          out.onCompleted();
        }
      };
    }

    WatchRequest next() throws InterruptedException {
      WatchRequest r = requests.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      assertNotNull(r, "no request from the client within " + TIMEOUT);
      return r;
    }
  }

  private final ScriptedDiscovery discovery = new ScriptedDiscovery();
  private final FakeClock clock = new FakeClock();
  private Server server;
  private ManagedChannel channel;
  private WatchClient watch;

  @BeforeEach
  void setUp() throws Exception {
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).addService(discovery).build().start();
    channel = InProcessChannelBuilder.forName(name).build();
    watch = WatchClient.builder().channel(channel).nodeId("gw-7").nodeKind("gateway").zone("eu-1")
        .ticker(clock).scheduler(clock.scheduler()).random(new Random(1)).build();
  }

  @AfterEach
  void tearDown() throws Exception {
    watch.close();
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void firstRequestCarriesTheNodeAndTheTypeUrl() throws Exception {
    WatchRequest first = discovery.next();

    assertEquals(Node.newBuilder().setId("gw-7").setKind("gateway").setZone("eu-1").build(), first.getNode());
    assertEquals(ResourceTypes.ENDPOINTS, first.getTypeUrl());
    assertEquals(0, first.getInitialResourceVersionsCount(), "nothing held yet");
  }

  @Test
  void validResponseIsAppliedAndAcked() throws Exception {
    discovery.next();
    watch.subscribe("echo");
    assertEquals(List.of("echo"), discovery.next().getSubscribeList());

    discovery.responses.onNext(response("1", List.of(endpoints("echo", "7", "e1")), List.of()));

    WatchRequest ack = discovery.next();
    assertEquals("1", ack.getResponseNonce());
    assertFalse(ack.hasErrorDetail(), "an ACK has no error_detail");
    assertEquals(ResourceTypes.ENDPOINTS, ack.getTypeUrl());
    ServiceSnapshot s = watch.get("echo").orElseThrow();
    assertEquals("7", s.version());
    assertEquals("[e1:SERVING]", Recorder.describe(s.instances()));
  }

  @Test
  void responseWithAnUnpackableResourceIsNackedWholeAndThePreviousStateKept() throws Exception {
    discovery.next();
    watch.subscribe("echo");
    watch.subscribe("other");
    discovery.next();
    discovery.next();
    Recorder recorder = new Recorder();
    discovery.responses.onNext(response("1", List.of(endpoints("echo", "1", "e1")), List.of()));
    assertEquals("1", discovery.next().getResponseNonce());
    watch.addListener(recorder);

    // A valid "other" and an "echo" that is not an Endpoints: nothing of it may be applied.
    Resource bad = Resource.newBuilder().setName("echo").setVersion("2")
        .setResource(Any.pack(Node.newBuilder().setId("not endpoints").build())).build();
    discovery.responses.onNext(response("2", List.of(endpoints("other", "2", "o1"), bad), List.of()));

    WatchRequest nack = discovery.next();
    assertEquals("2", nack.getResponseNonce());
    assertTrue(nack.hasErrorDetail());
    assertEquals(3, nack.getErrorDetail().getCode(), "INVALID_ARGUMENT");
    assertTrue(nack.getErrorDetail().getMessage().contains("echo"), nack.getErrorDetail().getMessage());
    assertEquals("1", watch.get("echo").orElseThrow().version());
    assertEquals(Optional.empty(), watch.get("other"));
    assertEquals(1, watch.nacksSent());

    // The stream goes on: the next good response is applied and ACKed.
    discovery.responses.onNext(response("3", List.of(endpoints("other", "3", "o1")), List.of("echo")));
    WatchRequest ack = discovery.next();
    assertEquals("3", ack.getResponseNonce());
    assertFalse(ack.hasErrorDetail());
    Await.until("listener saw the good response", TIMEOUT, () -> recorder.events().size() == 3);
    assertEquals(List.of("update echo [e1:SERVING]", "update other [o1:SERVING]", "removed echo"),
        recorder.events(), "the replay, then the good response; nothing of the NACKed one");
  }

  @Test
  void resourceWhoseInstancesBelongToAnotherServiceIsNacked() throws Exception {
    discovery.next();
    watch.subscribe("echo");
    discovery.next();
    Endpoints wrong = Endpoints.newBuilder().setService("echo")
        .addInstances(instance("other", "x1")).build();
    discovery.responses.onNext(response("1", List.of(Resource.newBuilder().setName("echo").setVersion("1")
        .setResource(Any.pack(wrong)).build()), List.of()));

    WatchRequest nack = discovery.next();
    assertTrue(nack.hasErrorDetail(), "expected a NACK, got " + nack);
    assertEquals(Optional.empty(), watch.get("echo"));
  }

  @Test
  void reconnectSendsSubscriptionsAgainWithTheVersionsHeld() throws Exception {
    discovery.next();
    watch.subscribe("echo");
    watch.subscribeAll();
    discovery.next();
    discovery.next();
    discovery.responses.onNext(response("1", List.of(endpoints("echo", "4", "e1"), endpoints("more", "9", "m1")),
        List.of()));
    discovery.next();

    discovery.responses.onError(Status.UNAVAILABLE.withDescription("going away").asRuntimeException());
    Await.until("the stream fails", TIMEOUT, () -> !watch.isConnected());
    clock.forwardTime(Duration.ofSeconds(1)); // past the backoff delay (at most 120 ms)

    WatchRequest resume = discovery.next();
    assertEquals("gw-7", resume.getNode().getId());
    assertEquals(List.of("*", "echo"), resume.getSubscribeList());
    assertEquals(Map.of("echo", "4", "more", "9"), resume.getInitialResourceVersionsMap());
    assertEquals("4", watch.get("echo").orElseThrow().version(), "the cache survived the broken stream");
  }

  @Test
  void emptyResponseIsAckedLikeAnyOther() throws Exception {
    discovery.next();
    watch.subscribe("echo");
    discovery.next();

    discovery.responses.onNext(response("1", List.of(), List.of()));

    WatchRequest ack = discovery.next();
    assertEquals("1", ack.getResponseNonce());
    assertFalse(ack.hasErrorDetail(), "an empty response is ACKed like any other");
    assertEquals(Map.of(), watch.snapshots());
    assertEquals(1, watch.responsesReceived());
  }

  @Test
  void aClientThatSubscribesToNothingAwaitsNoAnswer() throws Exception {
    WatchRequest first = discovery.next();
    assertEquals(0, first.getSubscribeCount());

    Await.until("in sync once connected", TIMEOUT, watch::isSynced);
    assertEquals(Duration.ZERO, watch.staleness());
  }

  @Test
  void afterAReconnectStalenessRunsFromTheLossUntilTheFirstResponseOnTheNewStream() throws Exception {
    discovery.next();
    watch.subscribe("echo");
    discovery.next();
    discovery.responses.onNext(response("1", List.of(endpoints("echo", "a7-4", "e1")), List.of()));
    discovery.next();
    assertTrue(watch.isSynced());

    discovery.responses.onError(Status.UNAVAILABLE.withDescription("going away").asRuntimeException());
    Await.until("the stream fails", TIMEOUT, () -> !watch.isConnected());
    assertFalse(watch.isSynced());
    clock.forwardTime(Duration.ofMillis(40));
    assertEquals(Duration.ofMillis(40), watch.staleness());
    clock.forwardTime(Duration.ofMillis(460)); // past the backoff delay: the client reconnects
    WatchRequest resume = discovery.next();
    assertEquals(Map.of("echo", "a7-4"), resume.getInitialResourceVersionsMap());
    Await.until("the new stream is established", TIMEOUT, watch::isConnected);
    clock.forwardTime(Duration.ofMillis(100));

    assertFalse(watch.isSynced(), "connected, but not answered yet");
    assertEquals(Duration.ofMillis(600), watch.staleness(), "counted from the loss, not from the reconnect");

    discovery.responses.onNext(response("2", List.of(), List.of())); // the client holds everything
    WatchRequest ack = discovery.next();
    assertEquals("2", ack.getResponseNonce());
    assertFalse(ack.hasErrorDetail());
    assertTrue(watch.isSynced());
    assertEquals(Duration.ZERO, watch.staleness());
    assertEquals("a7-4", watch.get("echo").orElseThrow().version(), "the cache is kept");
  }

  private static WatchResponse response(String nonce, List<Resource> resources, List<String> removed) {
    return WatchResponse.newBuilder().setTypeUrl(ResourceTypes.ENDPOINTS).setSystemVersion(nonce).setNonce(nonce)
        .addAllResources(resources).addAllRemovedResources(removed).build();
  }

  private static Resource endpoints(String service, String version, String... ids) {
    Endpoints.Builder e = Endpoints.newBuilder().setService(service);
    for (String id : ids) {
      e.addInstances(instance(service, id));
    }
    return Resource.newBuilder().setName(service).setVersion(version).setResource(Any.pack(e.build())).build();
  }

  private static Instance instance(String service, String id) {
    return Instance.newBuilder().setService(service).setInstanceId(id).setAddress("10.0.0.1").setPort(80)
        .setHealth(HealthStatus.HEALTH_STATUS_SERVING).build();
  }
}
