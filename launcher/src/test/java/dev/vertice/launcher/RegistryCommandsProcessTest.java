package dev.vertice.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import com.google.protobuf.util.Durations;
import com.google.protobuf.util.JsonFormat;
import dev.vertice.api.registry.v1.DeregisterRequest;
import dev.vertice.api.registry.v1.GetServiceRequest;
import dev.vertice.api.registry.v1.GetServiceResponse;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.ListServicesResponse;
import dev.vertice.api.registry.v1.RegisterRequest;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.api.registry.v1.SetHealthRequest;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.ControlPlaneServer;
import dev.vertice.testkit.Await;
import dev.vertice.launcher.LauncherProcess.Result;
import dev.vertice.launcher.LauncherProcess.Running;
import dev.vertice.testkit.TestDeadlines;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code vertice services}, {@code instances}, {@code watch}, {@code deregister} and {@code
 * set-health}, each run as a child process through the launcher's main class against a real control
 * plane on a loopback port, reading what they print.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RegistryCommandsProcessTest {

  @TempDir
  Path dir;

  private ControlPlaneServer server;
  private ManagedChannel channel;
  private RegistryServiceGrpc.RegistryServiceBlockingStub registry;
  private String address;
  private LauncherProcess cli;

  @BeforeEach
  void setUp() throws Exception {
    server = new ControlPlaneServer(ControlPlane.builder().build(), "127.0.0.1", 0, 1 << 20);
    address = "127.0.0.1:" + server.port();
    channel = NettyChannelBuilder.forTarget(address).usePlaintext().build();
    registry = RegistryServiceGrpc.newBlockingStub(channel).withInterceptors(TestDeadlines.grpc());
    cli = new LauncherProcess(dir);
  }

  @AfterEach
  void tearDown() throws Exception {
    cli.close();
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.stop(Duration.ofSeconds(1));
  }

  private void register(String service, String id, int port, String version, HealthStatus health) {
    // A lease long enough to outlive the test: nothing here pings it.
    stub().register(RegisterRequest.newBuilder().setTtl(Durations.fromSeconds(600)).setInstance(Instance.newBuilder()
        .setService(service).setInstanceId(id).setAddress("127.0.0.1").setPort(port).setVersion(version)
        .setZone("eu-1").setHealth(health).putMetadata("team", "blue")).build());
  }

  private RegistryServiceGrpc.RegistryServiceBlockingStub stub() {
    return registry.withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private Result vertice(String... args) throws Exception {
    return cli.run(withAddress(args));
  }

  private String[] withAddress(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--control-plane", address));
    return all.toArray(String[]::new);
  }

  @Test
  void servicesPrintsATableAndJson() throws Exception {
    register("shop", "shop-1", 9001, "v1", HealthStatus.HEALTH_STATUS_SERVING);
    register("shop", "shop-2", 9002, "v2", HealthStatus.HEALTH_STATUS_NOT_SERVING);
    register("cart", "cart-1", 9100, "v1", HealthStatus.HEALTH_STATUS_SERVING);

    Result table = vertice("services");
    assertEquals(0, table.code(), table.err());
    assertEquals(List.of("SERVICE INSTANCES SERVING", "cart 1 1", "shop 2 1"),
        table.lines().stream().map(l -> l.replaceAll("\\s+", " ")).toList(), table.out());

    Result json = vertice("services", "--json");
    assertEquals(0, json.code(), json.err());
    ListServicesResponse.Builder parsed = ListServicesResponse.newBuilder();
    JsonFormat.parser().merge(json.out(), parsed);
    assertEquals(List.of("cart", "shop"), parsed.getServicesList().stream().map(s -> s.getService()).toList());
    assertEquals(2, parsed.getServices(1).getInstanceCount());
    assertEquals(1, parsed.getServices(1).getServingCount());
  }

  @Test
  void servicesReadsTheControlPlaneFromTheEnvironment() throws Exception {
    register("shop", "shop-1", 9001, "v1", HealthStatus.HEALTH_STATUS_SERVING);

    Result r = cli.start(Map.of("VERTICE_CONTROL_PLANE", address), "services").await(LauncherProcess.COMMAND_TIMEOUT);

    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("shop"), r.out());
  }

  @Test
  void instancesPrintsEachInstanceAsATableAndJson() throws Exception {
    register("shop", "shop-1", 9001, "v1", HealthStatus.HEALTH_STATUS_SERVING);
    register("shop", "shop-2", 9002, "v2", HealthStatus.HEALTH_STATUS_NOT_SERVING);

    Result table = vertice("instances", "shop");
    assertEquals(0, table.code(), table.err());
    assertEquals(List.of("INSTANCE ADDRESS PORT PROTOCOL VERSION ZONE WEIGHT HEALTH METADATA",
        "shop-1 127.0.0.1 9001 http v1 eu-1 100 SERVING team=blue",
        "shop-2 127.0.0.1 9002 http v2 eu-1 100 NOT_SERVING team=blue"),
        table.lines().stream().map(l -> l.replaceAll("\\s+", " ")).toList(), table.out());

    Result json = vertice("instances", "SHOP", "--json");
    assertEquals(0, json.code(), json.err());
    GetServiceResponse.Builder parsed = GetServiceResponse.newBuilder();
    JsonFormat.parser().merge(json.out(), parsed);
    assertEquals("shop", parsed.getService());
    assertEquals(List.of("shop-1", "shop-2"), parsed.getInstancesList().stream().map(Instance::getInstanceId).toList());
    assertEquals(HealthStatus.HEALTH_STATUS_NOT_SERVING, parsed.getInstances(1).getHealth());
  }

  @Test
  void deregisterAndSetHealthChangeTheRegistry() throws Exception {
    register("shop", "shop-1", 9001, "v1", HealthStatus.HEALTH_STATUS_SERVING);
    register("shop", "shop-2", 9002, "v1", HealthStatus.HEALTH_STATUS_SERVING);

    Result health = vertice("set-health", "shop", "shop-1", "not-serving");
    assertEquals(0, health.code(), health.err());
    assertEquals("shop shop-1 is NOT_SERVING", health.out().strip());
    assertEquals(HealthStatus.HEALTH_STATUS_NOT_SERVING, instances("shop").get(0).getHealth());

    Result back = vertice("set-health", "shop", "shop-1", "serving", "--json");
    assertEquals(0, back.code(), back.err());
    Struct json = struct(back.out());
    assertEquals("HEALTH_STATUS_SERVING", json.getFieldsOrThrow("health").getStringValue());
    assertEquals(HealthStatus.HEALTH_STATUS_SERVING, instances("shop").get(0).getHealth());

    Result gone = vertice("deregister", "shop", "shop-2");
    assertEquals(0, gone.code(), gone.err());
    assertEquals("deregistered shop shop-2", gone.out().strip());
    assertEquals(List.of("shop-1"), instances("shop").stream().map(Instance::getInstanceId).toList());

    Result goneJson = vertice("deregister", "shop", "shop-1", "--json");
    assertEquals(0, goneJson.code(), goneJson.err());
    assertEquals("shop-1", struct(goneJson.out()).getFieldsOrThrow("instanceId").getStringValue());
    StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
        () -> instances("shop"));
    assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
  }

  @Test
  void watchPrintsALinePerChange() throws Exception {
    Running watch = cli.start(withAddress("watch", "shop", "--count", "3"));
    awaitWatching(watch);

    register("shop", "shop-1", 9001, "v1", HealthStatus.HEALTH_STATUS_SERVING);
    assertTrue(watch.awaitLines(1).get(0).matches("\\S+ ADDED +shop shop-1 address=127\\.0\\.0\\.1:9001 .*"
        + "health=SERVING.*"), watch.stdout());
    stub().setHealth(SetHealthRequest.newBuilder().setService("shop").setInstanceId("shop-1")
        .setHealth(HealthStatus.HEALTH_STATUS_NOT_SERVING).build());
    assertTrue(watch.awaitLines(2).get(1).matches("\\S+ UPDATED shop shop-1 health=NOT_SERVING \\(was SERVING\\)"),
        watch.stdout());
    stub().deregister(DeregisterRequest.newBuilder().setService("shop").setInstanceId("shop-1").build());

    Result r = watch.await(LauncherProcess.COMMAND_TIMEOUT);
    assertEquals(0, r.code(), r.err());
    assertEquals(3, r.lines().size(), r.out());
    assertTrue(r.lines().get(2).matches("\\S+ REMOVED shop shop-1 address=127\\.0\\.0\\.1:9001"), r.out());
  }

  @Test
  void watchJsonPrintsOneObjectPerChangeForEveryService() throws Exception {
    register("cart", "cart-1", 9100, "v1", HealthStatus.HEALTH_STATUS_SERVING);
    Running watch = cli.start(withAddress("watch", "*", "--json", "--count", "3"));
    awaitWatching(watch);
    assertTrue(watch.stderr().contains("1 services, 1 instances now"), watch.stderr());

    register("shop", "shop-1", 9001, "v1", HealthStatus.HEALTH_STATUS_SERVING);
    watch.awaitLines(1);
    vertice("set-health", "shop", "shop-1", "draining");
    watch.awaitLines(2);
    vertice("deregister", "cart", "cart-1");

    Result r = watch.await(LauncherProcess.COMMAND_TIMEOUT);
    assertEquals(0, r.code(), r.err());
    List<Struct> events = r.lines().stream().map(RegistryCommandsProcessTest::struct).toList();
    assertEquals(List.of("ADDED", "UPDATED", "REMOVED"),
        events.stream().map(e -> e.getFieldsOrThrow("event").getStringValue()).toList());
    assertEquals(List.of("shop", "shop", "cart"),
        events.stream().map(e -> e.getFieldsOrThrow("service").getStringValue()).toList());
    assertEquals("health", events.get(1).getFieldsOrThrow("changed").getListValue().getValues(0).getStringValue());
    assertEquals("HEALTH_STATUS_DRAINING", events.get(1).getFieldsOrThrow("instance").getStructValue()
        .getFieldsOrThrow("health").getStringValue());
    assertEquals("HEALTH_STATUS_SERVING", events.get(1).getFieldsOrThrow("previous").getStructValue()
        .getFieldsOrThrow("health").getStringValue());
    assertTrue(events.get(2).getFieldsOrThrow("instance").hasNullValue(), r.out());
  }

  @Test
  void watchWithTimeoutEndsAndSaysWhenTheCountDidNotCome() throws Exception {
    // Long enough for a cold JVM's first answer, which the same --timeout bounds.
    Result quiet = vertice("watch", "shop", "--timeout", "8s");
    assertEquals(0, quiet.code(), quiet.err());
    assertEquals("", quiet.out());

    Result missing = vertice("watch", "shop", "--timeout", "8s", "--count", "1");
    assertEquals(1, missing.code(), missing.err());
    assertTrue(missing.err().contains("0 of 1 changes within 8s"), missing.err());
  }

  @Test
  void unknownServiceOrInstanceExits1NamingNotFound() throws Exception {
    register("shop", "shop-1", 9001, "v1", HealthStatus.HEALTH_STATUS_SERVING);
    for (String[] args : List.of(new String[] {"instances", "nope"}, new String[] {"deregister", "nope", "x"},
        new String[] {"set-health", "shop", "shop-404", "serving"})) {
      Result r = vertice(args);
      assertEquals(1, r.code(), String.join(" ", args) + ": " + r.out() + r.err());
      assertEquals("", r.out());
      assertTrue(r.err().startsWith("NOT_FOUND: ") && r.err().contains(args[args.length == 2 ? 1 : 2]),
          String.join(" ", args) + ": " + r.err());
    }
  }

  @Test
  void unreachableControlPlaneExits1NamingUnavailable() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    for (String command : List.of("services", "watch")) {
      List<String> args = new ArrayList<>(List.of(command));
      if (command.equals("watch")) {
        args.add("*");
      }
      args.addAll(List.of("--control-plane", "127.0.0.1:" + closed, "--timeout", "5s"));
      Result r = cli.run(args.toArray(String[]::new));
      assertEquals(1, r.code(), command + ": " + r.out() + r.err());
      assertTrue(r.err().contains("cannot reach the control plane at 127.0.0.1:" + closed), r.err());
      assertTrue(r.err().contains("UNAVAILABLE") || r.err().contains("no answer within 5s"), r.err());
    }
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "services --timeout soon|--timeout",
    "services --bogus|--bogus",
    "instances|SERVICE",
    "instances Bad!Name|SERVICE",
    "set-health shop shop-1 sick|HEALTH",
    "deregister shop|INSTANCE",
    "watch shop --count 0|--count",
    "watch shop --control-plane a:1,b:2|--control-plane",
    "services --token-file /nonexistent|--token-file",
  })
  void badUsageExits2NamingIt(String args, String named) throws Exception {
    List<String> all = new ArrayList<>(List.of(args.split(" ")));
    if (!args.contains("--control-plane")) {
      all.addAll(List.of("--control-plane", address));
    }
    Result r = cli.run(all.toArray(String[]::new));
    assertEquals(2, r.code(), args + ": " + r.out() + r.err());
    assertTrue(r.err().contains(named), args + ": " + r.err());
  }

  private void awaitWatching(Running watch) {
    Await.until("the watch is in place", LauncherProcess.COMMAND_TIMEOUT,
        () -> watch.stderr().contains("watching ") || !watch.process().isAlive());
    assertTrue(watch.process().isAlive(), watch.stderr());
  }

  private List<Instance> instances(String service) {
    return stub().getService(GetServiceRequest.newBuilder().setService(service).build()).getInstancesList();
  }

  private static Struct struct(String json) {
    Struct.Builder b = Struct.newBuilder();
    try {
      JsonFormat.parser().merge(json, b);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError("not JSON: " + json, e);
    }
    return b.build();
  }
}
