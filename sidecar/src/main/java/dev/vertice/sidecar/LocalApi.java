package dev.vertice.sidecar;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.client.ServiceSnapshot;
import dev.vertice.client.TrafficPolicySnapshot;
import dev.vertice.client.WatchClient;
import dev.vertice.common.ServiceNames;
import dev.vertice.security.tls.ReloadingTls;
import dev.vertice.security.tls.TlsSettings;
import dev.vertice.sidecar.internal.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import javax.net.ssl.SSLParameters;

/**
 * {@code LocalApi} is the sidecar's HTTP API for the app, on the JDK's HTTP server (one thread:
 * every answer is read from memory), or HTTPS (client certificates optional or required) when the
 * sidecar is given TLS material.
 *
 * <ul>
 *   <li>{@code GET /v1/endpoints/{service}}: the pushed instances of a configured upstream, {@code
 *       {"service","version","synced","staleness_ms","instances":[...]}}; an upstream the control
 *       plane says has no instances answers with an empty list and version ""; 404 for a service
 *       that is not a configured upstream; 503 before the control plane answered for it.
 *   <li>{@code GET /v1/endpoints}: {@code {"upstreams":[...]}}.
 *   <li>{@code GET /v1/status}: the sidecar's own state.
 * </ul>
 * Other methods get 405, other paths 404; every error body is {@code {"error": "..."}}.
 */
final class LocalApi {

  private static final String PREFIX = "/v1/endpoints/";

  private final SidecarConfig config;
  private final WatchClient watch;
  private final Supplier<String> status;
  private final ReloadingTls tls;
  private HttpServer server;

  /**
   * {@code LocalApi} serves {@code watch}'s upstreams (null when there are none) and the JSON
   * {@code status} gives, over TLS when {@code tls} is not null.
   */
  LocalApi(SidecarConfig config, WatchClient watch, Supplier<String> status, ReloadingTls tls) {
    this.config = config;
    this.watch = watch;
    this.status = status;
    this.tls = tls;
  }

  void start() throws IOException {
    SidecarConfig c = config;
    InetSocketAddress address = new InetSocketAddress(c.apiHost(), c.apiPort());
    HttpServer s;
    if (tls == null) {
      s = HttpServer.create(address, 64);
    } else {
      HttpsServer https = HttpsServer.create(address, 64);
      TlsSettings.ClientAuth auth = tls.settings().clientAuth();
      https.setHttpsConfigurator(new HttpsConfigurator(tls.sslContext()) {
        @Override
        public void configure(HttpsParameters params) {
          SSLParameters p = getSSLContext().getDefaultSSLParameters();
          if (auth == TlsSettings.ClientAuth.REQUIRE) {
            p.setNeedClientAuth(true);
          } else if (auth == TlsSettings.ClientAuth.OPTIONAL) {
            p.setWantClientAuth(true);
          }
          params.setSSLParameters(p);
        }
      });
      s = https;
    }
    s.createContext("/", this::handle);
    s.start();
    server = s;
  }

  int port() {
    HttpServer s = server;
    return s == null ? -1 : s.getAddress().getPort();
  }

  void close() {
    HttpServer s = server;
    if (s != null) {
      s.stop(0);
    }
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      ex.getRequestBody().transferTo(OutputStream.nullOutputStream());
      String path = ex.getRequestURI().getPath();
      if (!ex.getRequestMethod().equals("GET")) {
        ex.getResponseHeaders().set("Allow", "GET");
        send(ex, 405, error("only GET is supported"));
      } else if (path.equals("/v1/endpoints") || path.equals("/v1/endpoints/")) {
        StringBuilder b = new StringBuilder("{\"upstreams\":[");
        List<String> ups = config.upstreams();
        for (int i = 0; i < ups.size(); i++) {
          b.append(i == 0 ? "" : ",").append(Json.quote(ups.get(i)));
        }
        send(ex, 200, b.append("]}").toString());
      } else if (path.startsWith(PREFIX)) {
        endpoints(ex, path.substring(PREFIX.length()));
      } else if (path.equals("/v1/status")) {
        send(ex, 200, status.get());
      } else {
        send(ex, 404, error("no such resource: " + path + " (try /v1/endpoints/{service} or /v1/status)"));
      }
    }
  }

  private void endpoints(HttpExchange ex, String requested) throws IOException {
    Optional<String> name = ServiceNames.normalize(requested);
    if (name.isEmpty() || !config.upstreams().contains(name.get())) {
      send(ex, 404, error("'" + requested + "' is not an upstream of this sidecar; upstreams: "
          + config.upstreams()));
      return;
    }
    Optional<ServiceSnapshot> snapshot;
    try {
      // Returns at once: the held snapshot, or empty when the control plane said there is none.
      snapshot = watch.awaitService(name.get(), Duration.ZERO);
    } catch (TimeoutException e) {
      send(ex, 503, error("the control plane has not answered for '" + name.get() + "' yet"
          + (watch.isConnected() ? "" : " (not connected)")));
      return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      send(ex, 503, error("interrupted"));
      return;
    } catch (IllegalStateException e) {
      send(ex, 503, error("the sidecar is stopping"));
      return;
    }
    StringBuilder b = new StringBuilder(256);
    b.append("{\"service\":").append(Json.quote(name.get()));
    b.append(",\"version\":").append(Json.quote(snapshot.map(ServiceSnapshot::version).orElse("")));
    b.append(",\"synced\":").append(watch.isSynced());
    b.append(",\"staleness_ms\":").append(watch.staleness().toMillis());
    b.append(",\"instances\":[");
    List<Instance> instances = snapshot.map(ServiceSnapshot::instances).orElse(List.of());
    for (int i = 0; i < instances.size(); i++) {
      if (i > 0) {
        b.append(',');
      }
      Json.instance(b, instances.get(i));
    }
    b.append("],\"traffic_policy\":");
    Optional<TrafficPolicySnapshot> policy = watch.policy(name.get());
    if (policy.isEmpty()) {
      b.append("null");
    } else {
      TrafficPolicySnapshot p = policy.get();
      b.append("{\"version\":").append(Json.quote(p.version()))
          .append(",\"rollout_id\":").append(Json.quote(p.rolloutId())).append(",\"subsets\":[");
      for (int i = 0; i < p.subsets().size(); i++) {
        TrafficPolicySnapshot.Subset subset = p.subsets().get(i);
        b.append(i > 0 ? "," : "").append("{\"version\":").append(Json.quote(subset.version()))
            .append(",\"weight\":").append(subset.weight()).append('}');
      }
      b.append("]}");
    }
    send(ex, 200, b.append('}').toString());
  }

  private static String error(String message) {
    return "{\"error\":" + Json.quote(message) + "}";
  }

  private static void send(HttpExchange ex, int status, String json) throws IOException {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }
}
