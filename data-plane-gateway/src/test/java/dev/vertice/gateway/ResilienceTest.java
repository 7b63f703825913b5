package dev.vertice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.gateway.balancer.Endpoint;
import dev.vertice.gateway.resilience.InstanceGuard;
import dev.vertice.gateway.resilience.ResilienceConfig;
import dev.vertice.gateway.resilience.RetryBudget;
import dev.vertice.gateway.routing.RoutingState;
import dev.vertice.gateway.routing.ServiceRoute;
import dev.vertice.testkit.Await;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Breakers, ejection, retries and the retry budget against real upstreams and a real control plane. */
class ResilienceTest {

  private ControlPlaneFixture cp;
  private Gateway gateway;
  private final List<Upstream> upstreams = new ArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeEach
  void setUp() {
    cp = ControlPlaneFixture.start();
  }

  @AfterEach
  void tearDown() {
    if (gateway != null) {
      gateway.close();
    }
    upstreams.forEach(Upstream::close);
    cp.close();
  }

  private void startGateway(ResilienceConfig resilience) throws Exception {
    gateway = Gateway.builder(GatewayConfig.custom().host("127.0.0.1").port(0).grpcPort(-1)
        .resilience(resilience).build()).controlPlane(cp.address()).start();
  }

  private Upstream upstream(String id) throws Exception {
    Upstream u = new Upstream(id);
    upstreams.add(u);
    return u;
  }

  private void awaitInstances(String service, int n) {
    Await.until(service + " has " + n + " instances", () -> {
      ServiceRoute r = gateway.routingState().table().http().get(service);
      return r != null && r.hasInstances() && r.subsets().get(0).picker().endpoints().size() == n;
    });
  }

  private InstanceGuard guard(String service, String id) {
    for (Endpoint e : gateway.routingState().table().http().get(service).subsets().get(0).picker().endpoints()) {
      if (e.instanceId().equals(id)) {
        return RoutingState.instanceGuard(e);
      }
    }
    throw new AssertionError("no instance " + id);
  }

  private int send(String method, String path) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + path))
        .timeout(Duration.ofSeconds(10));
    b.method(method, method.equals("POST") ? HttpRequest.BodyPublishers.ofString("payload")
        : HttpRequest.BodyPublishers.noBody());
    return http.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  /** Breakers and ejection never trip in tests that count retries. */
  private static ResilienceConfig.Builder lenient() {
    return ResilienceConfig.custom().instanceBreaker(100, 1000, 1000).serviceBreaker(100, 1000, 1000)
        .outlier(1000, Duration.ofSeconds(30), Duration.ofMinutes(5));
  }

  @Test
  void failingInstanceOpensItsBreakerOrIsEjectedAndTrafficMovesToTheOthers() throws Exception {
    startGateway(ResilienceConfig.custom().instanceBreaker(50, 10, 5)
        .outlier(5, Duration.ofSeconds(30), Duration.ofMinutes(5)).build());
    Upstream bad = upstream("bad");
    bad.status = 500;
    Upstream b = upstream("b");
    Upstream c = upstream("c");
    cp.register("orders", "bad", bad.port());
    cp.register("orders", "b", b.port());
    cp.register("orders", "c", c.port());
    awaitInstances("orders", 3);
    for (int i = 0; i < 60; i++) {
      send("GET", "/orders/x");
    }
    InstanceGuard g = guard("orders", "bad");
    assertTrue(g.isEjected() || g.breakerState() == CircuitBreaker.State.OPEN,
        "bad instance: breaker " + g.breakerState() + ", ejected " + g.isEjected());
    assertEquals(CircuitBreaker.State.CLOSED, guard("orders", "b").breakerState());
    int badHits = bad.hits.get();
    int ok = 0;
    for (int i = 0; i < 100; i++) {
      ok += send("GET", "/orders/x") == 200 ? 1 : 0;
    }
    assertEquals(100, ok, "every request succeeds once the failing instance is out");
    assertEquals(badHits, bad.hits.get(), "the failing instance receives no traffic while out");
  }

  @Test
  void postThatReachedAnUpstreamIsNeverRetried() throws Exception {
    startGateway(lenient().build());
    Upstream bad = upstream("bad");
    bad.status = 503;
    Upstream good = upstream("good");
    cp.register("orders", "bad", bad.port());
    cp.register("orders", "good", good.port());
    awaitInstances("orders", 2);
    int failed = 0;
    for (int i = 0; i < 60; i++) {
      failed += send("POST", "/orders/x") == 503 ? 1 : 0;
    }
    assertTrue(bad.hits.get() > 0, "the failing instance was picked at times");
    assertEquals(60, bad.hits.get() + good.hits.get(), "each POST reached exactly one upstream");
    assertEquals(bad.hits.get(), failed, "a POST answered 503 by an upstream is passed on, not retried");
    assertEquals(0, gateway.httpProxy().retries());
  }

  @Test
  void postIsRetriedWhenTheConnectionFailedBeforeReachingAnUpstream() throws Exception {
    // A budget that never refuses (see idempotentRequestIsRetriedOnAnotherInstanceAfterA5xx).
    startGateway(lenient().retries(1.0, 1000, 3).build());
    int deadPort;
    try (ServerSocket s = new ServerSocket(0)) {
      deadPort = s.getLocalPort();
    }
    Upstream good = upstream("good");
    cp.register("orders", "dead", deadPort);
    cp.register("orders", "good", good.port());
    awaitInstances("orders", 2);
    for (int i = 0; i < 30; i++) {
      assertEquals(200, send("POST", "/orders/x"));
    }
    assertEquals(30, good.hits.get());
    assertTrue(gateway.httpProxy().retries() > 0, "connection failures were retried");
  }

  @Test
  void idempotentRequestIsRetriedOnAnotherInstanceAfterA5xx() throws Exception {
    // A budget that never refuses: how often the balancer picks the bad instance is random, and this
    // test is about which requests are retried, not about the budget (retryBudgetCaps... is).
    startGateway(lenient().retries(1.0, 1000, 3).build());
    Upstream bad = upstream("bad");
    bad.status = 502;
    Upstream good = upstream("good");
    cp.register("orders", "bad", bad.port());
    cp.register("orders", "good", good.port());
    awaitInstances("orders", 2);
    for (int i = 0; i < 30; i++) {
      assertEquals(200, send("GET", "/orders/x"));
    }
    assertEquals(30, good.hits.get());
    assertEquals(bad.hits.get(), gateway.httpProxy().retries());
  }

  @Test
  void retryBudgetCapsRetriesUnderTotalFailure() throws Exception {
    startGateway(lenient().retries(0.2, 0, 3).build());
    Upstream a = upstream("a");
    Upstream b = upstream("b");
    a.status = 503;
    b.status = 503;
    cp.register("orders", "a", a.port());
    cp.register("orders", "b", b.port());
    awaitInstances("orders", 2);
    int requests = 200;
    for (int i = 0; i < requests; i++) {
      assertEquals(503, send("GET", "/orders/x"));
    }
    int attempts = a.hits.get() + b.hits.get();
    int retries = attempts - requests;
    assertTrue(retries > 0, "some retries were granted");
    assertTrue(retries <= requests * 0.2 + 1e-9, retries + " retries exceed 20 % of " + requests + " requests");
    RetryBudget budget = gateway.routingState().serviceGuard("orders").retryBudget();
    assertEquals(retries, budget.retries());
    assertTrue(budget.refused() > 0, "the budget refused retries");
  }

  @Test
  void instanceKilledMidRunFailsWithinTheBudgetAndNotAfterEjection() throws Exception {
    startGateway(ResilienceConfig.custom().outlier(3, Duration.ofSeconds(60), Duration.ofMinutes(5)).build());
    Upstream victim = upstream("victim");
    Upstream b = upstream("b");
    Upstream c = upstream("c");
    cp.register("orders", "victim", victim.port());
    cp.register("orders", "b", b.port());
    cp.register("orders", "c", c.port());
    awaitInstances("orders", 3);

    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger ok = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    // An error status is the gateway's answer (a retry refused); an I/O error is a response cut
    // mid-way, which no proxy can retry: only requests in flight when the victim died can see it.
    AtomicInteger answeredFailed = new AtomicInteger();
    AtomicInteger cut = new AtomicInteger();
    java.util.Queue<String> failures = new java.util.concurrent.ConcurrentLinkedQueue<>();
    List<Thread> clients = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      Thread th = new Thread(() -> {
        while (!stop.get()) {
          try {
            int status = send("GET", "/orders/x");
            if (status == 200) {
              ok.incrementAndGet();
            } else {
              answeredFailed.incrementAndGet();
              failed.incrementAndGet();
              failures.add("status " + status);
            }
          } catch (Exception e) {
            cut.incrementAndGet();
            failed.incrementAndGet();
            failures.add(e.toString());
          }
        }
      });
      th.start();
      clients.add(th);
    }
    Await.until("traffic flows", () -> ok.get() > 100);
    victim.close();
    InstanceGuard g = guard("orders", "victim");
    Await.until("victim ejected", g::isEjected);
    // Requests already in flight to the victim when it was ejected settle first.
    int okAtEjection = ok.get();
    Await.until("in-flight requests settle", () -> ok.get() > okAtEjection + 40);
    int failedAtEjection = failed.get();
    int answeredFailedAtEjection = answeredFailed.get();
    int cutAtEjection = cut.get();
    int okAfter = ok.get();
    Await.until("traffic continues", () -> ok.get() > okAfter + 300);
    stop.set(true);
    for (Thread th : clients) {
      th.join();
    }
    RetryBudget budget = gateway.routingState().serviceGuard("orders").retryBudget();
    assertTrue(answeredFailedAtEjection <= budget.refused(), answeredFailedAtEjection
        + " error answers while the budget refused " + budget.refused() + " retries: " + failures);
    assertTrue(cutAtEjection <= clients.size(), cutAtEjection + " responses cut, more than the "
        + clients.size() + " requests in flight when the victim died: " + failures);
    assertEquals(failedAtEjection, failed.get(), "no failure after ejection: " + failures);
  }
}
