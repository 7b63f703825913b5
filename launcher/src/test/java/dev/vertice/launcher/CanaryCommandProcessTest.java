package dev.vertice.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.Durations;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.RegisterRequest;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.ControlPlaneServer;
import dev.vertice.launcher.LauncherProcess.Result;
import dev.vertice.testkit.TestDeadlines;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code vertice canary} subcommand run as a child process through the launcher's main class
 * (which ends with {@code System.exit}) against a real control plane, reading its stdout: each
 * prints what its help says it prints. In-process runs ({@link CanaryCommandControlPlaneTest}) could
 * not see output left unflushed at exit, which is how {@code canary status} came to print nothing.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class CanaryCommandProcessTest {

  private static final Pattern STARTED = Pattern.compile("(?m)^started (\\S+)$");

  @TempDir
  Path dir;

  private ControlPlaneServer server;
  private ManagedChannel channel;
  private String address;
  private LauncherProcess cli;

  @BeforeEach
  void setUp() throws Exception {
    server = new ControlPlaneServer(ControlPlane.builder().build(), "127.0.0.1", 0, 1 << 20);
    address = "127.0.0.1:" + server.port();
    channel = NettyChannelBuilder.forTarget(address).usePlaintext().build();
    var registry = RegistryServiceGrpc.newBlockingStub(channel).withInterceptors(TestDeadlines.grpc());
    for (String version : new String[] {"v1", "v2"}) {
      registry.withDeadlineAfter(10, TimeUnit.SECONDS).register(RegisterRequest.newBuilder()
          .setTtl(Durations.fromSeconds(600)).setInstance(Instance.newBuilder().setService("shop")
              .setInstanceId("shop-" + version).setAddress("127.0.0.1").setPort(9000).setVersion(version)
              .setHealth(HealthStatus.HEALTH_STATUS_SERVING)).build());
    }
    cli = new LauncherProcess(dir);
  }

  @AfterEach
  void tearDown() throws Exception {
    cli.close();
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.stop(Duration.ofSeconds(1));
  }

  private Result canary(String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of("canary"));
    all.addAll(List.of(args));
    all.addAll(List.of("--control-plane", address));
    Result r = cli.run(all.toArray(String[]::new));
    assertEquals(0, r.code(), String.join(" ", args) + ": " + r.out() + r.err());
    return r;
  }

  private String start() throws Exception {
    Result r = canary("start", "--service", "shop", "--stable", "v1", "--candidate", "v2", "--stage-duration", "1m");
    Matcher m = STARTED.matcher(r.out());
    assertTrue(m.find(), r.out());
    // The whole rollout block follows the "started" line, not only the line itself.
    assertTrue(r.out().contains("rollout   " + m.group(1) + "   shop: v1 -> v2 (canary)"), r.out());
    assertTrue(r.out().contains("weights   v1 95 %   v2 5 %"), r.out());
    assertTrue(r.out().contains("next      "), r.out());
    return m.group(1);
  }

  @Test
  void everySubcommandPrintsTheRollout() throws Exception {
    String id = start();

    Result status = canary("status", id);
    assertTrue(status.out().startsWith("rollout   " + id), status.out());
    assertTrue(status.out().contains("weights   v1 95 %   v2 5 %"), status.out());
    assertTrue(status.out().contains("\nnext      "), status.out());

    Result list = canary("list");
    assertTrue(list.out().contains(id) && list.out().contains("shop"), list.out());

    Result paused = canary("pause", id);
    assertTrue(paused.out().contains("state     PAUSED"), paused.out());
    Result resumed = canary("resume", id);
    assertTrue(resumed.out().startsWith("rollout   " + id) && !resumed.out().contains("PAUSED"), resumed.out());

    Result promoted = canary("promote", id);
    assertTrue(promoted.out().contains("v2 25 %"), "the next stage's weight: " + promoted.out());

    Result rolledBack = canary("rollback", id, "--reason", "by hand");
    assertTrue(rolledBack.out().contains("state     ROLLED_BACK") && rolledBack.out().contains("v2 0 %"),
        rolledBack.out());

    // On a finished rollout, --watch shows its last state and ends.
    Result watched = canary("status", id, "--watch");
    assertTrue(watched.out().startsWith("---") && watched.out().contains("ROLLED_BACK"), watched.out());

    String second = start();
    Result aborted = canary("abort", second);
    assertTrue(aborted.out().contains("state     ABORTED") && aborted.out().contains("v2 0 %"), aborted.out());

    Result both = canary("list", "--service", "shop");
    assertEquals(2, both.lines().size(), both.out());
  }

  @Test
  void emptyListSaysSo() throws Exception {
    assertEquals("no rollouts", canary("list").out().strip());
  }
}
