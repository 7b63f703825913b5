package dev.vertice.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.RegisterRequest;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.ControlPlaneServer;
import dev.vertice.testkit.TestDeadlines;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code vertice canary} against a real control plane (its CanaryService) on a loopback port. */
class CanaryCommandControlPlaneTest {

  private ControlPlaneServer server;
  private ManagedChannel channel;
  private String address;

  @BeforeEach
  void setUp() throws Exception {
    server = new ControlPlaneServer(ControlPlane.builder().build(), "127.0.0.1", 0, 1 << 20);
    address = "127.0.0.1:" + server.port();
    channel = NettyChannelBuilder.forTarget(address).usePlaintext().build();
    var registry = RegistryServiceGrpc.newBlockingStub(channel).withInterceptors(TestDeadlines.grpc());
    for (String version : new String[] {"v1", "v2"}) {
      registry.register(RegisterRequest.newBuilder().setInstance(Instance.newBuilder().setService("shop")
          .setInstanceId("shop-" + version).setAddress("127.0.0.1").setPort(9000).setVersion(version)
          .setHealth(HealthStatus.HEALTH_STATUS_SERVING)).build());
    }
  }

  @AfterEach
  void tearDown() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.stop(Duration.ofSeconds(1));
  }

  private record Result(int code, String out, String err) {}

  private Result canary(String... args) {
    String[] all = new String[args.length + 3];
    all[0] = "canary";
    System.arraycopy(args, 0, all, 1, args.length);
    all[args.length + 1] = "--control-plane";
    all[args.length + 2] = address;
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), all);
    return new Result(code, out.toString(), err.toString());
  }

  @Test
  void startStatusPauseResumeAbortAndListAgainstTheRealService() {
    Result started = canary("start", "--service", "shop", "--stable", "v1", "--candidate", "v2",
        "--stage-duration", "1m");
    assertEquals(0, started.code(), started.err());
    Matcher m = Pattern.compile("started (\\S+)").matcher(started.out());
    assertTrue(m.find(), started.out());
    String id = m.group(1);
    assertTrue(started.out().contains("shop: v1 -> v2 (canary)"), started.out());

    Result status = canary("status", id);
    assertEquals(0, status.code(), status.err());
    assertTrue(status.out().contains("v2 5 %"), "the first stage's weight: " + status.out());

    Result paused = canary("pause", id);
    assertEquals(0, paused.code(), paused.err());
    assertTrue(paused.out().contains("PAUSED"), paused.out());
    Result again = canary("resume", id);
    assertEquals(0, again.code(), again.err());
    assertTrue(!again.out().contains("state     PAUSED"), again.out());
    Result aborted = canary("abort", id);
    assertEquals(0, aborted.code(), aborted.err());
    assertTrue(aborted.out().contains("ABORTED") && aborted.out().contains("v2 0 %"), aborted.out());
    Result list = canary("list", "--service", "shop");
    assertEquals(0, list.code(), list.err());
    assertTrue(list.out().contains(id) && list.out().contains("ABORTED"), list.out());
  }

  @Test
  void theServersRefusalsBecomeExitCodesNamingTheSetting() {
    Result same = canary("start", "--service", "shop", "--stable", "v1", "--candidate", "v1");
    assertEquals(2, same.code(), same.out() + same.err());
    assertTrue(same.err().contains("invalid --candidate"), same.err());
    Result noInstances = canary("start", "--service", "shop", "--stable", "v1", "--candidate", "v3");
    assertEquals(1, noInstances.code(), noInstances.out() + noInstances.err());
    assertTrue(noInstances.err().contains("FAILED_PRECONDITION"), noInstances.err());
    Result unknown = canary("status", "shop-404");
    assertEquals(1, unknown.code());
    assertTrue(unknown.err().contains("NOT_FOUND"), unknown.err());
  }
}
