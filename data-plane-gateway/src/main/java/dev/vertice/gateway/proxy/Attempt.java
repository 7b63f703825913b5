package dev.vertice.gateway.proxy;

import dev.vertice.gateway.balancer.Endpoint;
import dev.vertice.gateway.resilience.InstanceGuard;
import dev.vertice.gateway.resilience.ServiceGuard;
import dev.vertice.gateway.routing.Router;
import io.netty.channel.Channel;

/**
 * {@code Attempt} is one try of an {@code Exchange} on one instance: its upstream connection, its
 * timer, and the outcome it reports (once) to the instance's and the service's breakers. Used on the
 * client connection's event loop only.
 */
final class Attempt {
  final Endpoint endpoint;
  final long startNanos = System.nanoTime();
  private final ServiceGuard serviceGuard;
  private final ProxyObserver observer;
  private final String service;
  Channel upstream;
  /** The connection's response timer while this attempt has it armed, else null. */
  DeadlineTimer timer;
  private int arming;
  boolean sent;
  boolean settled;
  int status;
  boolean upstreamKeepAlive;
  boolean upstreamClosed;

  Attempt(Endpoint endpoint, ServiceGuard serviceGuard, ProxyObserver observer, String service) {
    this.endpoint = endpoint;
    this.serviceGuard = serviceGuard;
    this.observer = observer;
    this.service = service;
  }

  /** Arms the connection's response timer for this attempt. */
  void startTimer(DeadlineTimer t, long timeoutNanos) {
    timer = t;
    arming = t.arm(timeoutNanos);
  }

  void cancelTimer() {
    if (timer != null) {
      timer.disarm(arming);
      timer = null;
    }
  }

  /** Reports the outcome to the instance and service breakers, once. */
  void settle(boolean success, Throwable cause) {
    if (settled) {
      return;
    }
    settled = true;
    long nanos = System.nanoTime() - startNanos;
    endpoint.end(nanos);
    InstanceGuard g = Router.guard(endpoint);
    if (success) {
      g.onSuccess(nanos);
      serviceGuard.breaker().onSuccess();
    } else {
      if (g.onFailure(nanos, cause)) {
        observer.ejected(service);
      }
      serviceGuard.breaker().onError();
    }
  }

  /** Gives back the breaker permissions without an outcome, once. */
  void release() {
    if (settled) {
      return;
    }
    settled = true;
    endpoint.end();
    Router.guard(endpoint).release();
    serviceGuard.breaker().releasePermission();
  }

  /** Closes the upstream connection: its stream is out of step with any next request. */
  void discardUpstream() {
    Channel up = upstream;
    if (up != null) {
      upstream = null;
      up.attr(UpstreamHandler.LISTENER).set(null);
      up.close();
      UpstreamPools.release(up);
    }
  }

  /** A failed upstream attempt (breakers record it as an error). */
  static final class UpstreamException extends Exception {
    private static final long serialVersionUID = 1L;

    UpstreamException(String message) {
      super(message, null, false, false);
    }
  }
}
