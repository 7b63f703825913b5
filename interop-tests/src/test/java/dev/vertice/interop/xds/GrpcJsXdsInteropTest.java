package dev.vertice.interop.xds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.testkit.Await;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * grpc-js's xDS client (@grpc/grpc-js-xds from npm) against the control plane: {@code
 * xds-node/who.js} makes calls to {@code xds:///service} with a bootstrap file naming the control
 * plane, and reports which instance answered each.
 *
 * <p>Needs {@code node} and {@code npm ci --prefix interop-tests/xds-node} (scripts/test runs it);
 * fails, rather than skips, without them.
 */
class GrpcJsXdsInteropTest {

  private static final Path SCRIPT_DIR = Path.of("xds-node").toAbsolutePath();
  private static final Pattern COUNT = Pattern.compile("\"([^\"]+)\":(\\d+)");

  @TempDir
  Path dir;

  private XdsFixture fixture;
  private Process node;
  private Writer toNode;
  private BufferedReader fromNode;

  @BeforeEach
  void startControlPlane() throws Exception {
    assertTrue(Files.isDirectory(SCRIPT_DIR.resolve("node_modules/@grpc/grpc-js-xds")),
        "@grpc/grpc-js-xds is not installed: run npm ci --prefix interop-tests/xds-node (./vertice test does)");
    fixture = new XdsFixture();
  }

  @AfterEach
  void stop() throws Exception {
    if (node != null) {
      node.destroy();
      if (!node.waitFor(5, TimeUnit.SECONDS)) {
        node.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    }
    fixture.close();
  }

  private void startNode(String service) throws IOException {
    Path bootstrap = dir.resolve("bootstrap.json");
    Files.writeString(bootstrap, fixture.bootstrapJson("grpc-js-interop"));
    ProcessBuilder pb = new ProcessBuilder("node", SCRIPT_DIR.resolve("who.js").toString(), service)
        .redirectError(dir.resolve("node.err").toFile());
    pb.environment().put("GRPC_XDS_BOOTSTRAP", bootstrap.toString());
    node = pb.start();
    toNode = new java.io.OutputStreamWriter(node.getOutputStream(), StandardCharsets.UTF_8);
    fromNode = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8));
  }

  /** Makes {@code n} calls from Node; returns instance id (or "error:<code>") to count. */
  private Map<String, Integer> calls(int n) throws IOException {
    toNode.write("call " + n + "\n");
    toNode.flush();
    String line = fromNode.readLine();
    if (line == null) {
      throw new AssertionError("who.js exited: " + Files.readString(dir.resolve("node.err")));
    }
    assertTrue(line.startsWith("{\"counts\""), line);
    Map<String, Integer> counts = new HashMap<>();
    Matcher m = COUNT.matcher(line.substring("{\"counts\":".length()));
    while (m.find()) {
      counts.put(m.group(1), Integer.parseInt(m.group(2)));
    }
    return counts;
  }

  private Map<String, Integer> callsUnchecked(int n) {
    try {
      return calls(n);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void callsReachEveryRegisteredInstanceAndStopReachingARemovedOne() throws Exception {
    String service = "xds-node-follow";
    fixture.start(service, "a", "v1");
    WhoUpstream b = fixture.start(service, "b", "v1");
    fixture.start(service, "c", "v1");
    startNode(service);

    Await.until("calls from Node reach a, b and c", Duration.ofSeconds(30),
        () -> callsUnchecked(30).keySet().equals(Set.of("a", "b", "c")));

    long removedAt = fixture.deregister(service, b);
    var converged = fixture.controlPlane().engine()
        .whenConverged(dev.vertice.controlplane.xds.XdsTypes.ENDPOINT, service, removedAt).get(10, TimeUnit.SECONDS);
    assertTrue(converged.complete() && converged.subscribers() >= 1 && converged.nacks() == 0, converged.toString());
    System.out.printf("grpc-js xDS: removal converged (ACKed) in %.1f ms by %d subscriber(s)%n",
        converged.nanos() / 1e6, converged.subscribers());

    Await.until("100 calls in a row avoid the removed instance", () -> !callsUnchecked(100).containsKey("b"));
    long bCalls = b.calls.get();
    Map<String, Integer> after = calls(300);
    assertEquals(Set.of("a", "c"), after.keySet(), after.toString());
    assertEquals(bCalls, b.calls.get(), "the removed instance received calls");
  }

  @Test
  void canaryWeightsAreHonouredWithinThreePointsOver5000Calls() throws Exception {
    String service = "xds-node-canary";
    fixture.start(service, "stable", "v1");
    fixture.start(service, "canary", "v2");
    startNode(service);
    Await.until("calls from Node reach both instances", Duration.ofSeconds(30),
        () -> callsUnchecked(30).keySet().equals(Set.of("stable", "canary")));

    // All to v1 first: once 100 calls in a row reach stable, the client routes by policy.
    fixture.split(service, "v1", 100, "v2", 0);
    Await.until("100 calls in a row reach v1", () -> callsUnchecked(100).keySet().equals(Set.of("stable")));
    fixture.split(service, "v1", 80, "v2", 20);
    // The first canary answer shows the new split is in use (v2 had no traffic before).
    Await.until("a call reaches the canary", () -> callsUnchecked(20).containsKey("canary"));

    Map<String, Integer> counts = calls(5000);
    double canaryShare = 100.0 * counts.getOrDefault("canary", 0) / 5000;
    System.out.printf("grpc-js xDS canary 80/20 over 5000 calls: %s, canary %.2f%%%n", counts, canaryShare);
    assertEquals(Set.of("stable", "canary"), counts.keySet(), counts.toString());
    assertTrue(Math.abs(canaryShare - 20.0) <= 3.0, "canary share " + canaryShare + "% is not 20% +- 3 points");
  }
}
