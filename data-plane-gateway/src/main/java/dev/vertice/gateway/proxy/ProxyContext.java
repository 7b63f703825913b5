package dev.vertice.gateway.proxy;

import dev.vertice.gateway.GatewayConfig;
import dev.vertice.gateway.admin.AdminRoutes;
import dev.vertice.gateway.routing.RouteResolver;
import dev.vertice.gateway.routing.Router;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/** {@code ProxyContext} is what every connection handler of one proxy shares. */
final class ProxyContext {

  final GatewayConfig config;
  final Router router;
  final RouteResolver resolver;
  final UpstreamPools pools;
  final AdminRoutes admin;
  final StatsSink stats;
  final ProxyObserver observer;
  final RequestTracing tracing;
  /** What {@code X-Forwarded-Proto} says upstream: {@code https} on a TLS listener. */
  final String scheme;
  final AtomicInteger connections = new AtomicInteger();
  // Counted on every event loop per request and read only now and then: striped, not one shared atomic.
  final LongAdder inFlight = new LongAdder();
  final LongAdder requests = new LongAdder();
  final LongAdder retries = new LongAdder();
  volatile boolean draining;

  ProxyContext(GatewayConfig config, Router router, RouteResolver resolver, UpstreamPools pools, AdminRoutes admin,
      StatsSink stats, ProxyObserver observer) {
    this(config, router, resolver, pools, admin, stats, observer, RequestTracing.OFF, "http");
  }

  ProxyContext(GatewayConfig config, Router router, RouteResolver resolver, UpstreamPools pools, AdminRoutes admin,
      StatsSink stats, ProxyObserver observer, RequestTracing tracing, String scheme) {
    this.config = config;
    this.router = router;
    this.resolver = resolver;
    this.pools = pools;
    this.admin = admin;
    this.stats = stats;
    this.observer = observer;
    this.tracing = tracing;
    this.scheme = scheme;
  }
}
