package dev.vertice.controlplane.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.rpc.BadRequest;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.KeepAliveRequest;
import dev.vertice.api.registry.v1.KeepAliveResponse;
import dev.vertice.api.registry.v1.RegisterBatchRequest;
import dev.vertice.api.registry.v1.RegisterBatchResponse;
import dev.vertice.api.registry.v1.RegisterRequest;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.controlplane.registry.RegistryConfig;
import dev.vertice.security.auth.Authorizer;
import dev.vertice.testkit.TestDeadlines;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * RegisterBatch over gRPC on the in-memory store: every entry validated and authorized as Register
 * does, a bad or denied entry named by its index, the batch limit, and nothing of a refused call
 * changed. (All-or-none on both stores at the store level: {@code RegistryStoreContract}.)
 */
class RegisterBatchTest {

  private InProcessControlPlane cp;

  @AfterEach
  void tearDown() {
    if (cp != null) {
      cp.close();
    }
  }

  private RegistryServiceGrpc.RegistryServiceBlockingStub start(RegistryConfig config, Authorizer authorizer)
      throws Exception {
    cp = new InProcessControlPlane(b -> b.registryConfig(config).authorizer(authorizer));
    return RegistryServiceGrpc.newBlockingStub(cp.channel).withInterceptors(TestDeadlines.grpc());
  }

  private static RegisterRequest entry(String service, String id) {
    return RegisterRequest.newBuilder().setInstance(Instance.newBuilder().setService(service).setInstanceId(id)
        .setAddress("10.1.2.3").setPort(8080)).build();
  }

  private static RegisterBatchRequest batch(RegisterRequest... entries) {
    return RegisterBatchRequest.newBuilder().addAllEntries(List.of(entries)).build();
  }

  private static List<String> fields(StatusRuntimeException e) {
    try {
      return StatusProto.fromThrowable(e).getDetails(0).unpack(BadRequest.class).getFieldViolationsList().stream()
          .map(BadRequest.FieldViolation::getField).toList();
    } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
      throw new AssertionError(ex);
    }
  }

  @Test
  void aBatchRegistersEveryEntryAndAnswersInOrder() throws Exception {
    RegistryServiceGrpc.RegistryServiceBlockingStub registry = start(RegistryConfig.ofDefaults(), Authorizer.ALLOW_ALL);
    RegisterBatchResponse r = registry.registerBatch(batch(entry("ORDERS", "o-1"), entry("payments", "p-1"),
        entry("orders", "")));
    assertEquals(3, r.getResultsCount());
    assertEquals("orders", r.getResults(0).getService(), "normalised as Register does");
    assertEquals("o-1", r.getResults(0).getInstanceId());
    assertEquals("p-1", r.getResults(1).getInstanceId());
    assertTrue(r.getResults(2).getInstanceId().startsWith("orders-"), r.getResults(2).getInstanceId());
    assertEquals(3, cp.controlPlane.registry().instanceCount());
    String ordersVersion = r.getResults(0).getResourceVersion();
    assertEquals(ordersVersion, r.getResults(2).getResourceVersion(), "the service's version after the batch");

    // The leases work on KeepAlive like Register's.
    BlockingQueue<Object> answers = new LinkedBlockingQueue<>();
    StreamObserver<KeepAliveRequest> pings = RegistryServiceGrpc.newStub(cp.channel).keepAlive(new StreamObserver<>() {
      @Override
      public void onNext(KeepAliveResponse value) {
        answers.add(value);
      }

      @Override
      public void onError(Throwable t) {
        answers.add(t);
      }

      @Override
      public void onCompleted() {}
    });
    for (int i = 0; i < 3; i++) {
      pings.onNext(KeepAliveRequest.newBuilder().setLeaseId(r.getResults(i).getLease().getLeaseId()).build());
    }
    for (int i = 0; i < 3; i++) {
      KeepAliveResponse a = (KeepAliveResponse) answers.poll(10, TimeUnit.SECONDS);
      assertEquals(r.getResults(i).getLease().getLeaseId(), a.getLeaseId(), "answers in ping order");
      assertTrue(!a.getExpired(), "renewed");
    }
    pings.onCompleted();
  }

  @Test
  void aBadEntryIsNamedByItsIndexAndNothingChanges() throws Exception {
    RegistryServiceGrpc.RegistryServiceBlockingStub registry = start(RegistryConfig.ofDefaults(), Authorizer.ALLOW_ALL);
    registry.register(entry("orders", "o-1"));
    long before = cp.controlPlane.registry().revision();
    RegisterRequest badPort = entry("orders", "o-3").toBuilder()
        .setInstance(entry("orders", "o-3").getInstance().toBuilder().setPort(70000)).build();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> registry.registerBatch(batch(
        entry("orders", "o-1").toBuilder().setInstance(entry("orders", "o-1").getInstance().toBuilder().setPort(9))
            .build(),
        entry("orders", "o-2"), entry("payments", "p-1"), badPort, entry("", "x-1"))));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertEquals(List.of("entries[3].instance.port", "entries[4].instance.service"), fields(e));
    assertEquals(before, cp.controlPlane.registry().revision(), "nothing of the batch changed");
    assertEquals(8080, cp.controlPlane.registry().instance("orders", "o-1").getPort());
    assertEquals(1, cp.controlPlane.registry().instanceCount());

    StatusRuntimeException twice = assertThrows(StatusRuntimeException.class,
        () -> registry.registerBatch(batch(entry("orders", "o-2"), entry("payments", "p-1"), entry("ORDERS", "o-2"))));
    assertEquals(List.of("entries[2].instance.instance_id"), fields(twice), "one instance twice in a batch");
    StatusRuntimeException empty = assertThrows(StatusRuntimeException.class,
        () -> registry.registerBatch(RegisterBatchRequest.getDefaultInstance()));
    assertEquals(List.of("entries"), fields(empty));
    assertEquals(before, cp.controlPlane.registry().revision());
  }

  @Test
  void aBatchOverTheLimitIsRefusedWhole() throws Exception {
    RegistryServiceGrpc.RegistryServiceBlockingStub registry =
        start(RegistryConfig.custom().maxBatchSize(5).build(), Authorizer.ALLOW_ALL);
    RegisterRequest[] six = IntStream.range(0, 6).mapToObj(i -> entry("orders", "o-" + i)).toArray(RegisterRequest[]::new);
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> registry.registerBatch(batch(six)));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertEquals(List.of("entries"), fields(e));
    assertTrue(e.getStatus().getDescription().contains("limit of 5"), e.getStatus().getDescription());
    assertEquals(0, cp.controlPlane.registry().instanceCount());
    assertEquals(5, registry.registerBatch(batch(java.util.Arrays.copyOf(six, 5))).getResultsCount(),
        "exactly the limit is accepted");
  }

  @Test
  void aBatchOverCapacityIsResourceExhaustedAndChangesNothing() throws Exception {
    RegistryServiceGrpc.RegistryServiceBlockingStub registry =
        start(RegistryConfig.custom().maxInstancesPerService(2).build(), Authorizer.ALLOW_ALL);
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> registry.registerBatch(
        batch(entry("payments", "p-1"), entry("orders", "o-1"), entry("orders", "o-2"), entry("orders", "o-3"))));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
    assertEquals(0, cp.controlPlane.registry().instanceCount());
  }

  @Test
  void everyEntryIsAuthorizedAndADeniedOneIsNamed() throws Exception {
    RegistryServiceGrpc.RegistryServiceBlockingStub registry =
        start(RegistryConfig.ofDefaults(), new OnlyServices(List.of("orders", "payments")));
    assertEquals(2, registry.registerBatch(batch(entry("orders", "o-1"), entry("payments", "p-1"))).getResultsCount());
    long before = cp.controlPlane.registry().revision();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> registry.registerBatch(
        batch(entry("orders", "o-2"), entry("payments", "p-2"), entry("billing", "b-1"), entry("orders", "o-3"))));
    assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().startsWith("entries[2]: "), e.getStatus().getDescription());
    assertEquals(before, cp.controlPlane.registry().revision(), "the allowed entries were not written either");
    assertEquals(2, cp.controlPlane.registry().instanceCount());
  }

  /** Allows writes to a fixed set of services only (as a policy allows a workload its own service). */
  private record OnlyServices(Collection<String> services) implements Authorizer {
    @Override
    public boolean enabled() {
      return true;
    }

    @Override
    public void checkWrite(Write op, String service) {
      if (!services.contains(service)) {
        throw Status.PERMISSION_DENIED.withDescription("may not register instances of " + service)
            .asRuntimeException();
      }
    }

    @Override
    public Predicate<String> visibleServices() {
      return services::contains;
    }

    @Override
    public void checkWatch(Collection<String> names) {}

    @Override
    public void checkSubscribe() {}
  }
}
