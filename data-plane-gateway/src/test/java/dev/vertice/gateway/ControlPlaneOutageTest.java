package dev.vertice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.client.BackoffConfig;
import dev.vertice.client.WatchClient;
import dev.vertice.testkit.Await;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.store.redis.RedisStoreConfig;
import dev.vertice.testkit.RedisServer;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Stale beats empty: without its control plane the gateway routes from the last snapshot and says how stale. */
class ControlPlaneOutageTest {

  private ControlPlaneFixture cp;
  private WatchClient watch;
  private Gateway gateway;
  private Upstream a;
  private Upstream b;
  private RedisServer redis;
  @TempDir
  Path dir;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @AfterEach
  void tearDown() {
    if (gateway != null) {
      gateway.close();
    }
    if (watch != null) {
      watch.close();
    }
    if (a != null) {
      a.close();
    }
    if (b != null) {
      b.close();
    }
    if (cp != null) {
      cp.close();
    }
    if (redis != null) {
      redis.close();
    }
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + path))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private double staleness() throws Exception {
    Matcher m = Pattern.compile("\"staleness_seconds\":([0-9.E-]+)").matcher(get("/gateway/status").body());
    assertTrue(m.find());
    return Double.parseDouble(m.group(1));
  }

  @Test
  void routingContinuesStalenessGrowsAndTheGatewayResumesOnRestart() throws Exception {
    cp = ControlPlaneFixture.start();
    int port = cp.port();
    a = new Upstream("a");
    b = new Upstream("b");
    watch = WatchClient.builder().controlPlane(cp.address()).nodeKind("gateway").watchTrafficPolicies(true)
        .backoff(BackoffConfig.custom().initialDelay(Duration.ofMillis(50)).maxDelay(Duration.ofMillis(200)).build())
        .build();
    gateway = Gateway.builder(GatewayConfig.custom().host("127.0.0.1").port(0).grpcPort(-1).build())
        .watchClient(watch).exposeStatusPages(true).start();
    cp.register("echo", "a", a.port());
    Await.until("routable", () -> gateway.routingState().table().http().containsKey("echo"));
    assertEquals(0.0, staleness());

    cp.stop();
    Await.until("gateway sees the loss", () -> !watch.isSynced());
    for (int i = 0; i < 20; i++) {
      assertEquals(200, get("/echo/x").statusCode(), "routing continues from the snapshot");
    }
    double s1 = staleness();
    Await.until("staleness grows", () -> {
      try {
        return staleness() > s1 && s1 > 0;
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    assertTrue(get("/gateway/status").body().contains("\"synced\":false"));

    // A new control plane on the same address (its state starts empty: the instance registers again, b too).
    cp = ControlPlaneFixture.start(port);
    cp.register("echo", "a", a.port());
    cp.register("echo", "b", b.port());
    Await.until("resynced", watch::isSynced);
    Await.until("b routable", () -> gateway.routingState().table().http().get("echo").subsets().get(0)
        .picker().endpoints().size() == 2);
    assertEquals(0.0, staleness());
    Await.until("b receives traffic", () -> {
      try {
        return get("/echo/x").statusCode() == 200 && b.hits.get() > 0;
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
  }

  @Test
  void replicaRestartOnTheSharedStoreIsResumedByDeltaWithNothingResent() throws Exception {
    redis = new RedisServer(dir);
    RedisStoreConfig store = RedisStoreConfig.parse(redis.url());
    cp = ControlPlaneFixture.start(ControlPlane.builder().redis(store), 0);
    int port = cp.port();
    a = new Upstream("a");
    b = new Upstream("b");
    watch = WatchClient.builder().controlPlane(cp.address()).nodeKind("gateway").watchTrafficPolicies(true)
        .backoff(BackoffConfig.custom().initialDelay(Duration.ofMillis(50)).maxDelay(Duration.ofMillis(200)).build())
        .build();
    gateway = Gateway.builder(GatewayConfig.custom().host("127.0.0.1").port(0).grpcPort(-1).build())
        .watchClient(watch).exposeStatusPages(true).start();
    cp.register("echo", "a", a.port());
    Await.until("routable", () -> gateway.routingState().table().http().containsKey("echo"));
    long generation = gateway.routingState().table().generation();

    cp.stop();
    Await.until("gateway sees the loss", () -> !watch.isSynced());
    assertEquals(200, get("/echo/x").statusCode());

    cp = ControlPlaneFixture.start(ControlPlane.builder().redis(store), port);
    Await.until("resynced", watch::isSynced);
    // The gateway sent the versions it holds; the replica found them current and sent nothing.
    assertEquals(0, cp.controlPlane.engine().stats().resourcesSent());
    assertEquals(generation, gateway.routingState().table().generation(), "nothing to rebuild");
    cp.register("echo", "b", b.port());
    Await.until("b routable", () -> gateway.routingState().table().http().get("echo").subsets().get(0)
        .picker().endpoints().size() == 2);
    assertEquals(1, cp.controlPlane.engine().stats().resourcesSent(), "only the change was sent");
  }
}
