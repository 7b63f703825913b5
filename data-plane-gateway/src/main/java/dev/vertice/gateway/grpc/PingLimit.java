package dev.vertice.gateway.grpc;

import dev.vertice.common.Ticker;
import java.util.concurrent.TimeUnit;

/**
 * {@code PingLimit} is grpc-java's keepalive enforcement for one client connection, which the gRPC
 * port applied before the relay: a PING is welcome once every {@link #PERMIT_NANOS} (5 minutes)
 * while calls are in flight and every {@link #PERMIT_WITHOUT_CALLS_NANOS} (2 hours) while none is,
 * counted from the last welcome one or from the connection's start; {@link #MAX_STRIKES} early ones
 * are forgiven, and each time the gateway sends the client headers or data ({@link #sent}) the count
 * starts again (so the BDP pings grpc-java and grpc-go clients send after data they receive are
 * fine). One more early PING ends the connection with GOAWAY ENHANCE_YOUR_CALM. Not thread-safe:
 * the connection's event loop owns it.
 */
final class PingLimit {

  static final long PERMIT_NANOS = TimeUnit.MINUTES.toNanos(5);
  static final long PERMIT_WITHOUT_CALLS_NANOS = TimeUnit.HOURS.toNanos(2);
  static final int MAX_STRIKES = 2;

  private final Ticker ticker;
  private final long start;
  private long lastWelcome;
  private int strikes;

  PingLimit(Ticker ticker) {
    this.ticker = ticker;
    this.start = ticker.nanoTime();
    this.lastWelcome = start;
  }

  /** {@code accept} counts a PING; false once the client sent one early PING too many. */
  boolean accept(boolean callsInFlight) {
    long now = ticker.nanoTime();
    long permit = callsInFlight ? PERMIT_NANOS : PERMIT_WITHOUT_CALLS_NANOS;
    if (now - lastWelcome - permit >= 0) {
      lastWelcome = now;
      return true;
    }
    return ++strikes <= MAX_STRIKES;
  }

  /** {@code sent} says the gateway sent the client headers or data: the early PINGs are forgiven. */
  void sent() {
    lastWelcome = start;
    strikes = 0;
  }
}
