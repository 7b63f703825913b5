package dev.vertice.sidecar;

import dev.vertice.api.registry.v1.Instance;
import dev.vertice.client.ServiceSnapshot;
import dev.vertice.client.TrafficPolicySnapshot;
import dev.vertice.client.WatchClient;
import dev.vertice.common.ServiceNames;
import dev.vertice.observability.http.HttpHandler;
import dev.vertice.observability.http.Request;
import dev.vertice.observability.http.Response;
import dev.vertice.observability.http.SmallHttpServer;
import dev.vertice.observability.http.SmallHttpServerConfig;
import dev.vertice.security.tls.ReloadingTls;
import dev.vertice.security.tls.TlsSettings;
import dev.vertice.sidecar.internal.Json;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;

/**
 * {@code LocalApi} is the sidecar's HTTP API for the app, on Vertice's small Netty HTTP server
 * (one event-loop thread, {@code sidecar-api-*}, answering from memory without blocking), or HTTPS
 * (client certificates optional or required) when the sidecar is given TLS material. Limits:
 * {@link #SERVER_CONFIG}.
 *
 * <ul>
 *   <li>{@code GET /v1/endpoints/{service}}: the pushed instances of a configured upstream, {@code
 *       {"service","version","synced","staleness_ms","instances":[...]}}; an upstream the control
 *       plane says has no instances answers with an empty list and version ""; 404 for a service
 *       that is not a configured upstream; 503 before the control plane answered for it.
 *   <li>{@code GET /v1/endpoints}: {@code {"upstreams":[...]}}.
 *   <li>{@code GET /v1/status}: the sidecar's own state.
 * </ul>
 * Other methods get 405, other paths 404; every error body is {@code {"error": "..."}}. A body
 * (none is needed) larger than 1 KiB gets 413, a request not complete within 10 s 408, a
 * connection beyond 256 open ones 503.
 */
final class LocalApi {

  /**
   * The local API's limits: {@link SmallHttpServerConfig}'s defaults (256 connections, 10 s to send
   * a request, 60 s idle, one event-loop thread) with bodies of at most 1 KiB: every route is a GET.
   */
  static final SmallHttpServerConfig SERVER_CONFIG = SmallHttpServerConfig.custom().name("sidecar-api")
      .maxBodyBytes(1024).build();

  private static final String PREFIX = "/v1/endpoints/";

  private final SidecarConfig config;
  private final WatchClient watch;
  private final Supplier<String> status;
  private final ReloadingTls tls;
  private volatile SmallHttpServer server;

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
    SmallHttpServer.Builder b = SmallHttpServer.builder(config.apiHost(), config.apiPort(),
        HttpHandler.direct(this::handle)).config(SERVER_CONFIG);
    if (tls != null) {
      TlsSettings.ClientAuth auth = tls.settings().clientAuth();
      b.tlsEngines(() -> {
        // The current context each time: new connections get certificate files reloaded since.
        SSLEngine engine = tls.sslContext().createSSLEngine();
        engine.setUseClientMode(false);
        if (auth == TlsSettings.ClientAuth.REQUIRE) {
          engine.setNeedClientAuth(true);
        } else if (auth == TlsSettings.ClientAuth.OPTIONAL) {
          engine.setWantClientAuth(true);
        }
        return engine;
      });
    }
    server = b.bind().start();
  }

  int port() {
    SmallHttpServer s = server;
    return s == null ? -1 : s.port();
  }

  void close() {
    SmallHttpServer s = server;
    if (s != null) {
      s.close();
    }
  }

  /** Runs on the event loop: every answer is read from memory. */
  private Response handle(Request r) {
    String path = r.path();
    if (!r.method().equals("GET")) {
      return send(405, error("only GET is supported")).withHeader("Allow", "GET");
    } else if (path.equals("/v1/endpoints") || path.equals("/v1/endpoints/")) {
      StringBuilder b = new StringBuilder("{\"upstreams\":[");
      List<String> ups = config.upstreams();
      for (int i = 0; i < ups.size(); i++) {
        b.append(i == 0 ? "" : ",").append(Json.quote(ups.get(i)));
      }
      return send(200, b.append("]}").toString());
    } else if (path.startsWith(PREFIX)) {
      return endpoints(path.substring(PREFIX.length()));
    } else if (path.equals("/v1/status")) {
      return send(200, status.get());
    }
    return send(404, error("no such resource: " + path + " (try /v1/endpoints/{service} or /v1/status)"));
  }

  private Response endpoints(String requested) {
    Optional<String> name = ServiceNames.normalize(requested);
    if (name.isEmpty() || !config.upstreams().contains(name.get())) {
      return send(404, error("'" + requested + "' is not an upstream of this sidecar; upstreams: "
          + config.upstreams()));
    }
    Optional<ServiceSnapshot> snapshot;
    try {
      // Returns at once: the held snapshot, or empty when the control plane said there is none.
      snapshot = watch.awaitService(name.get(), Duration.ZERO);
    } catch (TimeoutException e) {
      return send(503, error("the control plane has not answered for '" + name.get() + "' yet"
          + (watch.isConnected() ? "" : " (not connected)")));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return send(503, error("interrupted"));
    } catch (IllegalStateException e) {
      return send(503, error("the sidecar is stopping"));
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
    return send(200, b.append('}').toString());
  }

  private static String error(String message) {
    return "{\"error\":" + Json.quote(message) + "}";
  }

  private static Response send(int status, String json) {
    return Response.json(status, json);
  }
}
