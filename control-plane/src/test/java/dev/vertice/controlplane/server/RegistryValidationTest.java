package dev.vertice.controlplane.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Duration;
import com.google.rpc.BadRequest;
import dev.vertice.api.registry.v1.DeregisterRequest;
import dev.vertice.api.registry.v1.GetServiceRequest;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.ListServicesRequest;
import dev.vertice.api.registry.v1.RegisterRequest;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.api.registry.v1.SetHealthRequest;
import dev.vertice.testkit.TestDeadlines;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Every bad input gets INVALID_ARGUMENT naming the field, and leaves the registry unchanged. */
class RegistryValidationTest {

  private InProcessControlPlane cp;
  private RegistryServiceGrpc.RegistryServiceBlockingStub registry;

  @BeforeEach
  void setUp() throws Exception {
    cp = new InProcessControlPlane();
    registry = RegistryServiceGrpc.newBlockingStub(cp.channel).withInterceptors(TestDeadlines.grpc());
    registry.register(valid(b -> b).build());
  }

  @AfterEach
  void tearDown() throws Exception {
    cp.close();
  }

  private static RegisterRequest.Builder valid(UnaryOperator<Instance.Builder> change) {
    Instance.Builder i = Instance.newBuilder().setService("orders").setInstanceId("orders-1")
        .setAddress("10.1.2.3").setPort(8080);
    return RegisterRequest.newBuilder().setInstance(change.apply(i));
  }

  private static String bigMetadataValue() {
    return "x".repeat(4000);
  }

  static Stream<Arguments> badRegistrations() {
    Instance.Builder tooMany = Instance.newBuilder();
    for (int i = 0; i < 65; i++) {
      tooMany.putMetadata("k" + i, "v");
    }
    return Stream.of(
        Arguments.of("empty service", valid(b -> b.setService("")), "instance.service"),
        Arguments.of("illegal service", valid(b -> b.setService("no/slash")), "instance.service"),
        Arguments.of("too long service", valid(b -> b.setService("s".repeat(64))), "instance.service"),
        Arguments.of("port 0", valid(b -> b.setPort(0)), "instance.port"),
        Arguments.of("port 65536", valid(b -> b.setPort(65536)), "instance.port"),
        Arguments.of("empty address", valid(b -> b.setAddress("")), "instance.address"),
        Arguments.of("address with port", valid(b -> b.setAddress("10.0.0.1:80")), "instance.address"),
        Arguments.of("bad ipv4", valid(b -> b.setAddress("300.1.1.1")), "instance.address"),
        Arguments.of("bracketed ipv6", valid(b -> b.setAddress("[::1]")), "instance.address"),
        Arguments.of("bad host", valid(b -> b.setAddress("-bad-.example")), "instance.address"),
        Arguments.of("illegal instance id", valid(b -> b.setInstanceId("a b")), "instance.instance_id"),
        Arguments.of("too long instance id", valid(b -> b.setInstanceId("i".repeat(129))), "instance.instance_id"),
        Arguments.of("illegal version", valid(b -> b.setVersion("v 2")), "instance.version"),
        Arguments.of("illegal zone", valid(b -> b.setZone("zone/1")), "instance.zone"),
        Arguments.of("weight too high", valid(b -> b.setWeight(10_001)), "instance.weight"),
        Arguments.of("unknown health", valid(b -> b.setHealthValue(42)), "instance.health"),
        Arguments.of("unknown protocol", valid(b -> b.setProtocolValue(42)), "instance.protocol"),
        Arguments.of("65 metadata entries", valid(b -> b.putAllMetadata(tooMany.getMetadataMap())),
            "instance.metadata"),
        Arguments.of("metadata over 4 KiB", valid(b -> b.putMetadata("a", bigMetadataValue())
            .putMetadata("b", "y".repeat(200))), "instance.metadata"),
        Arguments.of("ttl below bound", valid(b -> b).setTtl(Duration.newBuilder().setSeconds(1)), "ttl"),
        Arguments.of("ttl above bound", valid(b -> b).setTtl(Duration.newBuilder().setSeconds(7200)), "ttl"),
        Arguments.of("keepalive not below ttl", valid(b -> b).setTtl(Duration.newBuilder().setSeconds(10))
            .setKeepaliveInterval(Duration.newBuilder().setSeconds(10)), "keepalive_interval"),
        Arguments.of("keepalive too short", valid(b -> b).setKeepaliveInterval(Duration.newBuilder().setNanos(1000)),
            "keepalive_interval"),
        Arguments.of("missing instance", RegisterRequest.newBuilder(), "instance"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badRegistrations")
  void badRegistrationIsRejectedWithFieldViolationAndChangesNothing(String what, RegisterRequest.Builder request,
      String field) {
    long before = cp.controlPlane.registry().revision();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> registry.register(request.build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    List<String> fields = violations(e).stream().map(BadRequest.FieldViolation::getField).toList();
    assertTrue(fields.contains(field), "expected a violation of " + field + ", got " + fields);
    assertEquals(before, cp.controlPlane.registry().revision(), "registry unchanged");
    assertEquals(1, cp.controlPlane.registry().instanceCount());
  }

  @Test
  void everyBadFieldIsReportedAtOnce() {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> registry.register(valid(b -> b.setService("").setPort(0).setAddress("")).build()));
    List<String> fields = violations(e).stream().map(BadRequest.FieldViolation::getField).toList();
    assertEquals(List.of("instance.service", "instance.address", "instance.port"), fields);
    assertTrue(e.getStatus().getDescription().contains("instance.port"), e.getStatus().getDescription());
  }

  @ParameterizedTest
  @ValueSource(strings = {"127.0.0.1", "::1", "fe80::1:2", "2001:db8::8a2e:370:7334", "::ffff:10.0.0.1",
      "orders.internal", "host-1.example.com.", "localhost"})
  void acceptsAddressLiteralsAndHostNames(String address) {
    registry.register(valid(b -> b.setInstanceId("x").setAddress(address)).build());
    assertEquals(address, cp.controlPlane.registry().service("orders").instances().stream()
        .filter(i -> i.getInstanceId().equals("x")).findFirst().orElseThrow().getAddress());
  }

  @Test
  void namesAreNormalisedAndDefaultsFilledIn() {
    var r = registry.register(valid(b -> b.setService("ORDERS_API").setInstanceId("")).build());
    assertEquals("orders-api", r.getService());
    assertTrue(r.getInstanceId().startsWith("orders-api-"), r.getInstanceId());
    assertEquals(60, r.getLease().getTtl().getSeconds());
    assertEquals(30, r.getLease().getKeepaliveInterval().getSeconds());
    Instance stored = registry.getService(GetServiceRequest.newBuilder().setService("Orders_API").build())
        .getInstances(0);
    assertEquals("v1", stored.getVersion());
    assertEquals(100, stored.getWeight());
    assertEquals(HealthStatus.HEALTH_STATUS_SERVING, stored.getHealth());
  }

  @Test
  void shortTtlGetsHalfTtlKeepalive() {
    var r = registry.register(valid(b -> b).setTtl(Duration.newBuilder().setSeconds(10)).build());
    assertEquals(5, r.getLease().getKeepaliveInterval().getSeconds());
  }

  @Test
  void unknownInstanceOrServiceIsNotFound() {
    assertEquals(Status.Code.NOT_FOUND, code(() -> registry.deregister(
        DeregisterRequest.newBuilder().setService("orders").setInstanceId("nope").build())));
    assertEquals(Status.Code.NOT_FOUND, code(() -> registry.setHealth(SetHealthRequest.newBuilder()
        .setService("payments").setInstanceId("x").setHealth(HealthStatus.HEALTH_STATUS_DRAINING).build())));
    assertEquals(Status.Code.NOT_FOUND, code(() -> registry.getService(
        GetServiceRequest.newBuilder().setService("payments").build())));
  }

  @Test
  void badDeregisterAndSetHealthAreInvalidArgument() {
    assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> registry.deregister(
        DeregisterRequest.newBuilder().setService("orders").build())));
    assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> registry.setHealth(SetHealthRequest.newBuilder()
        .setService("orders").setInstanceId("orders-1").build())));
    assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> registry.getService(
        GetServiceRequest.newBuilder().setService("").build())));
    assertEquals(1, cp.controlPlane.registry().instanceCount());
  }

  @Test
  void listServicesCountsServingInstances() {
    registry.register(valid(b -> b.setInstanceId("orders-2").setHealth(HealthStatus.HEALTH_STATUS_NOT_SERVING))
        .build());
    var list = registry.listServices(ListServicesRequest.getDefaultInstance());
    assertEquals(1, list.getServicesCount());
    assertEquals(2, list.getServices(0).getInstanceCount());
    assertEquals(1, list.getServices(0).getServingCount());
  }

  private static Status.Code code(Runnable call) {
    return assertThrows(StatusRuntimeException.class, call::run).getStatus().getCode();
  }

  private static List<BadRequest.FieldViolation> violations(StatusRuntimeException e) {
    com.google.rpc.Status status = StatusProto.fromThrowable(e);
    try {
      return status.getDetails(0).unpack(BadRequest.class).getFieldViolationsList();
    } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
      throw new AssertionError(ex);
    }
  }
}
