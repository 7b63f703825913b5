package dev.vertice.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.demo.DemoConfig;
import dev.vertice.demo.EchoGrpcServer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gRPC runs of {@code bench gateway} against the real demo gRPC service and the real h2load:
 * calls answered OK count as successes, calls answered HTTP 200 with a failed {@code grpc-status}
 * count as errors although h2load sees only 2xx.
 */
class GrpcUnaryLoadTest {

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void okCallsCountAsSuccessesAndFailedGrpcStatusesAsErrors(@TempDir Path dir) throws Exception {
    H2load.requireInstalled();
    Path body = GrpcUnary.writeBody(dir);
    try (EchoGrpcServer ok = EchoGrpcServer.start(demo(0));
        EchoGrpcServer failing = EchoGrpcServer.start(demo(1))) {
      GrpcUnary.Call call = GrpcUnary.verify("127.0.0.1:" + ok.port(), null, body, Duration.ofSeconds(10));
      assertTrue(call.headers().contains("content-type: application/grpc"), call.toString());
      IOException refused = assertThrows(IOException.class,
          () -> GrpcUnary.verify("127.0.0.1:" + failing.port(), null, body, Duration.ofSeconds(10)));
      assertTrue(refused.getMessage().contains("INTERNAL"), refused.getMessage());

      Wrk.Result good = H2load.grpc(url(ok), call, 2, 2, 0, 1, dir);
      assertTrue(good.requests() > 0, "no call completed");
      assertEquals(0, good.non2xx() + good.socketErrors(), "errors in " + good);

      Wrk.Result bad = H2load.grpc(url(failing), call, 2, 2, 0, 1, dir);
      assertTrue(bad.requests() > 0, "no call completed");
      assertEquals(bad.requests(), bad.non2xx(), "every call failed with INTERNAL: " + bad);

      Wrk.Result paced = H2load.grpc(url(ok), call, 2, 1, 100, 1, dir);
      assertTrue(paced.requests() > 0 && paced.requests() <= 150, "about 100 calls in 1 s: " + paced);
      assertEquals(0, paced.non2xx() + paced.socketErrors(), "errors in " + paced);
    }
  }

  @Test
  void readsTheDataBytesAndTheGatewaysServerErrors() throws IOException {
    assertEquals(2587728, H2load.dataBytes("requests: 1 total\ntraffic: 4.12MB (4317552) total, 212.65KB (217756)"
        + " headers (space savings 95.13%), 2.47MB (2587728) data\nfinished\n"));
    assertThrows(IOException.class, () -> H2load.dataBytes("requests: 1 total\n"));
    assertEquals(5, GrpcUnary.serverErrors(String.join("\n",
        "# TYPE vertice_gateway_requests_total counter",
        "vertice_gateway_requests_total{code_class=\"2xx\",service=\"bench-grpc\",version=\"v1\"} 900.0",
        "vertice_gateway_requests_total{code_class=\"4xx\",service=\"bench-grpc\",version=\"v1\"} 7.0",
        "vertice_gateway_requests_total{code_class=\"5xx\",service=\"bench-grpc\",version=\"v1\"} 2.0",
        "vertice_gateway_requests_total{code_class=\"5xx\",service=\"bench-grpc\",version=\"none\"} 3.0",
        "vertice_gateway_requests_total{code_class=\"5xx\",service=\"bench-upstream\",version=\"none\"} 4.0")));
  }

  private static DemoConfig demo(double errorRate) {
    return DemoConfig.custom().service(GrpcUnary.SERVICE).instanceId("echo-" + errorRate).host("127.0.0.1").port(0)
        .errorRate(errorRate).build();
  }

  private static String url(EchoGrpcServer server) {
    return "http://127.0.0.1:" + server.port() + GrpcUnary.PATH;
  }
}
