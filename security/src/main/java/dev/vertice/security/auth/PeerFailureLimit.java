package dev.vertice.security.auth;

import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import java.net.InetAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code PeerFailureLimit} bounds failed authentications per client IP address: once an address has
 * failed {@code limit} times within a period, its further calls are refused (RESOURCE_EXHAUSTED) before
 * any token is verified, so that a stream of forged tokens cannot keep the server busy checking
 * signatures (an Ed25519 check costs about a millisecond in the JDK). Successful calls cost nothing
 * here. Addresses live in a bounded least-recently-used map. Thread-safe.
 */
public final class PeerFailureLimit {

  /** Default failed authentications per address per second. */
  public static final int DEFAULT_FAILURES_PER_SECOND = 50;
  /** Default addresses tracked at once. */
  public static final int DEFAULT_MAX_PEERS = 10_000;

  private final RateLimits.Limit limit;
  private final RateLimiterConfig config;
  private final int maxPeers;
  private final LinkedHashMap<InetAddress, RateLimiter> peers; // guarded by itself

  /** Allows {@code limit} failures per address, tracking at most {@code maxPeers} addresses. */
  public PeerFailureLimit(RateLimits.Limit limit, int maxPeers) {
    if (maxPeers <= 0) {
      throw new IllegalArgumentException("maxPeers must be positive: " + maxPeers);
    }
    this.limit = limit;
    this.config = RateLimiterConfig.custom().limitForPeriod(limit.permits()).limitRefreshPeriod(limit.period())
        .timeoutDuration(Duration.ZERO).build();
    this.maxPeers = maxPeers;
    this.peers = new LinkedHashMap<>(64, 0.75f, true) {
      private static final long serialVersionUID = 1L;

      @Override
      protected boolean removeEldestEntry(Map.Entry<InetAddress, RateLimiter> eldest) {
        return size() > PeerFailureLimit.this.maxPeers;
      }
    };
  }

  /** Returns the default: 50 failures per address per second, 10,000 addresses. */
  public static PeerFailureLimit ofDefaults() {
    return new PeerFailureLimit(RateLimits.Limit.perSecond(DEFAULT_FAILURES_PER_SECOND), DEFAULT_MAX_PEERS);
  }

  /** Returns the limit. */
  public RateLimits.Limit limit() {
    return limit;
  }

  /** Returns whether {@code peer} may try to authenticate (its failure budget is not spent). */
  public boolean mayAttempt(InetAddress peer) {
    RateLimiter l;
    synchronized (peers) {
      l = peers.get(peer);
    }
    return l == null || l.getMetrics().getAvailablePermissions() > 0;
  }

  /** Records a failed authentication of {@code peer}. */
  public void failed(InetAddress peer) {
    RateLimiter l;
    synchronized (peers) {
      l = peers.computeIfAbsent(peer, p -> RateLimiter.of("auth-failures", config));
    }
    l.acquirePermission();
  }
}
