package dev.vertice.gateway.health.internal;

import dev.vertice.api.registry.v1.Instance;
import dev.vertice.common.Ticker;
import dev.vertice.gateway.health.HealthCheckConfig;
import dev.vertice.gateway.health.HealthReport.InstanceReport;
import dev.vertice.gateway.health.HealthReport.InstanceStatus;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;

/**
 * {@code HttpProber} probes an HTTP instance with {@code GET http://address:port<health_path>}
 * (metadata key {@value HealthCheckConfig#HEALTH_PATH_KEY}, default {@value
 * HealthCheckConfig#DEFAULT_HEALTH_PATH}): a 2xx answer is SERVING, anything else NOT_SERVING. The
 * body is discarded. Connect and response are bounded by the probe's timeout.
 */
public final class HttpProber {

  private final HttpClient client;
  private final Ticker ticker;

  /** {@code HttpProber} runs its client's callbacks on {@code executor}. */
  public HttpProber(ExecutorService executor, Duration connectTimeout, Ticker ticker) {
    this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(connectTimeout)
        .followRedirects(HttpClient.Redirect.NEVER).executor(executor).build();
    this.ticker = ticker;
  }

  /** {@code probe} probes {@code i} within {@code timeout}; the future never fails. */
  public CompletableFuture<InstanceReport> probe(Instance i, Duration timeout) {
    String path = i.getMetadataOrDefault(HealthCheckConfig.HEALTH_PATH_KEY, HealthCheckConfig.DEFAULT_HEALTH_PATH);
    URI uri;
    try {
      uri = uri(i.getAddress(), i.getPort(), path);
    } catch (URISyntaxException | IllegalArgumentException e) {
      return CompletableFuture.completedFuture(Probes.notProbed(i,
          "invalid " + HealthCheckConfig.HEALTH_PATH_KEY + " '" + path + "': " + e.getMessage()));
    }
    HttpRequest request = HttpRequest.newBuilder(uri).GET().timeout(timeout)
        .header("User-Agent", "vertice-gateway-health").build();
    long start = ticker.nanoTime();
    return client.sendAsync(request, HttpResponse.BodyHandlers.discarding()).handle((r, e) -> {
      Duration took = Probes.since(ticker, start);
      if (e != null) {
        return Probes.report(i, InstanceStatus.NOT_SERVING, Probes.describe(e, timeout), took);
      }
      int code = r.statusCode();
      return Probes.report(i, code >= 200 && code < 300 ? InstanceStatus.SERVING : InstanceStatus.NOT_SERVING,
          "HTTP " + code, took);
    });
  }

  /** {@code uri} is the probe's target; a path must be absolute and carry no scheme or authority. */
  static URI uri(String address, int port, String path) throws URISyntaxException {
    if (!path.startsWith("/") || path.startsWith("//")) {
      throw new IllegalArgumentException("must start with a single '/'");
    }
    String host = address.indexOf(':') >= 0 && !address.startsWith("[") ? "[" + address + "]" : address;
    // Parsed as a whole so that a query string in the path stays a query string.
    return new URI("http://" + host + ":" + port + path);
  }
}
