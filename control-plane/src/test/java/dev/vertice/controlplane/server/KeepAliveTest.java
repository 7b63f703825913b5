package dev.vertice.controlplane.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.KeepAliveRequest;
import dev.vertice.api.registry.v1.KeepAliveResponse;
import dev.vertice.api.registry.v1.RegisterRequest;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.testkit.TestDeadlines;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Lease renewal over the KeepAlive stream, and the grace period of a stream that breaks. */
class KeepAliveTest {

  private InProcessControlPlane cp;
  private RegistryServiceGrpc.RegistryServiceBlockingStub registry;

  @BeforeEach
  void setUp() throws Exception {
    cp = new InProcessControlPlane();
    registry = RegistryServiceGrpc.newBlockingStub(cp.channel).withInterceptors(TestDeadlines.grpc());
  }

  @AfterEach
  void tearDown() throws Exception {
    cp.close();
  }

  private String register(String id) {
    return registry.register(RegisterRequest.newBuilder()
        .setInstance(Instance.newBuilder().setService("orders").setInstanceId(id).setAddress("10.0.0.1").setPort(80))
        .setTtl(com.google.protobuf.Duration.newBuilder().setSeconds(10)).build()).getLease().getLeaseId();
  }

  private int instances() {
    return cp.controlPlane.registry().instanceCount();
  }

  @Test
  void pingsKeepTheInstanceBeyondItsTtl() throws Exception {
    String lease = register("a");
    Pinger p = Pinger.open(cp);
    for (int i = 0; i < 10; i++) {
      cp.clock.forwardTime(Duration.ofSeconds(5));
      KeepAliveResponse r = p.ping(lease);
      assertEquals(10, r.getRemainingTtl().getSeconds());
    }
    assertEquals(1, instances(), "50 s of pings outlive the 10 s TTL");
    p.complete();
  }

  @Test
  void unknownLeaseIsAnsweredExpiredAndTheStreamGoesOn() throws Exception {
    String lease = register("a");
    Pinger p = Pinger.open(cp);
    KeepAliveResponse unknown = p.ping("no-such-lease");
    assertTrue(unknown.getExpired());
    assertFalse(unknown.hasRemainingTtl());
    KeepAliveResponse known = p.ping(lease);
    assertFalse(known.getExpired(), "the other lease on the stream is still served");
    assertEquals(10, known.getRemainingTtl().getSeconds());
    assertFalse(p.closed.isDone());
    p.complete();
  }

  @Test
  void expiredLeaseIsAnsweredExpired() throws Exception {
    String lease = register("a");
    cp.clock.forwardTime(Duration.ofSeconds(11));
    assertEquals(0, instances());
    Pinger p = Pinger.open(cp);
    assertTrue(p.ping(lease).getExpired(), "register again");
    p.complete();
  }

  @Test
  void moreThanTheLeaseLimitOnOneStreamIsResourceExhausted() throws Exception {
    Pinger p = Pinger.open(cp);
    fill(p);
    assertTrue(p.ping("no-such-lease").getExpired(), "a full stream still answers an unknown lease");
    p.send(register("one-too-many"));
    Status s = p.closed.get(10, TimeUnit.SECONDS);
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, s.getCode());
    assertTrue(s.getDescription().contains("1024"), s.getDescription());
  }

  @Test
  void deregisteredLeasesLeaveRoomOnAFullStream() throws Exception {
    Pinger p = Pinger.open(cp);
    fill(p);
    registry.deregister(dev.vertice.api.registry.v1.DeregisterRequest.newBuilder().setService("orders")
        .setInstanceId("i0").build());
    KeepAliveResponse r = p.ping(register("newcomer"));
    assertFalse(r.getExpired());
    assertFalse(p.closed.isDone(), "the dead lease's place was reused");
    p.complete();
  }

  @Test
  void emptyLeaseIdIsInvalidArgument() throws Exception {
    Pinger p = Pinger.open(cp);
    p.send("");
    assertEquals(Status.Code.INVALID_ARGUMENT, p.closed.get(5, TimeUnit.SECONDS).getCode());
  }

  @Test
  void brokenStreamKeepsTheInstanceWhenAPingArrivesWithinTheGrace() throws Exception {
    String lease = register("a");
    Pinger first = Pinger.open(cp);
    first.ping(lease);
    first.cancel();
    cp.clock.forwardTime(Duration.ofSeconds(3));
    Pinger second = Pinger.open(cp);
    second.ping(lease);
    cp.clock.forwardTime(Duration.ofSeconds(8));
    assertEquals(1, instances(), "the reconnected client kept its instance");
    assertEquals(1, cp.controlPlane.registry().revision(), "and nothing flapped");
    second.complete();
  }

  @Test
  void brokenStreamRemovesTheInstanceAfterTheGrace() throws Exception {
    String lease = register("a");
    Pinger p = Pinger.open(cp);
    p.ping(lease);
    p.cancel();
    cp.clock.forwardTime(Duration.ofMillis(4_900));
    assertEquals(1, instances());
    cp.clock.forwardTime(Duration.ofMillis(200));
    assertEquals(0, instances(), "removed 5 s after the stream broke, not after the 10 s TTL");
  }

  @Test
  void streamEndedWithoutDeregisterAlsoStartsTheGrace() throws Exception {
    String lease = register("a");
    Pinger p = Pinger.open(cp);
    p.ping(lease);
    p.complete();
    cp.clock.forwardTime(Duration.ofMillis(5_100));
    assertEquals(0, instances());
  }

  /** Puts as many leases on {@code p} as one stream may carry, and takes their answers. */
  private void fill(Pinger p) throws InterruptedException {
    for (int i = 0; i < RegistryGrpcService.MAX_LEASES_PER_STREAM; i++) {
      p.send(register("i" + i));
    }
    p.awaitAnswers(RegistryGrpcService.MAX_LEASES_PER_STREAM);
  }

  /** A KeepAlive stream driven by the test. */
  static final class Pinger implements ClientResponseObserver<KeepAliveRequest, KeepAliveResponse> {
    final BlockingQueue<KeepAliveResponse> answers = new LinkedBlockingQueue<>();
    final CompletableFuture<Status> closed = new CompletableFuture<>();
    ClientCallStreamObserver<KeepAliveRequest> out;

    static Pinger open(InProcessControlPlane cp) {
      Pinger p = new Pinger();
      RegistryServiceGrpc.newStub(cp.channel).keepAlive(p);
      return p;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<KeepAliveRequest> requestStream) {
      out = requestStream;
    }

    void send(String lease) {
      out.onNext(KeepAliveRequest.newBuilder().setLeaseId(lease).build());
    }

    KeepAliveResponse ping(String lease) throws InterruptedException {
      send(lease);
      KeepAliveResponse r = answers.poll(5, TimeUnit.SECONDS);
      if (r == null) {
        throw new AssertionError("no answer to a ping within 5 s");
      }
      return r;
    }

    void cancel() {
      out.cancel("client breaks the stream", null);
    }

    /** Takes {@code n} answers, failing if they do not all arrive within 10 s. */
    void awaitAnswers(int n) throws InterruptedException {
      for (int i = 0; i < n; i++) {
        if (answers.poll(10, TimeUnit.SECONDS) == null) {
          throw new AssertionError("only " + i + " of " + n + " answers arrived");
        }
      }
    }

    void complete() {
      out.onCompleted();
    }

    @Override
    public void onNext(KeepAliveResponse value) {
      answers.add(value);
    }

    @Override
    public void onError(Throwable t) {
      closed.complete(Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
      closed.complete(Status.OK);
    }
  }
}
