package dev.vertice.gateway.resilience;

import dev.vertice.common.Ticker;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * {@code Guards} creates the resilience state of instances and services from one {@link
 * ResilienceConfig} and one {@link Ticker}: resilience4j circuit breakers (count-based windows)
 * driven by the ticker, outlier detectors and retry budgets.
 */
public final class Guards {

  private final ResilienceConfig config;
  private final Ticker ticker;
  private final CircuitBreakerConfig instanceBreaker;
  private final CircuitBreakerConfig serviceBreaker;
  private final BiConsumer<String, CircuitBreaker> onServiceBreaker;

  /** {@code Guards} prepares breaker configurations for {@code config}, timed by {@code ticker}. */
  public Guards(ResilienceConfig config, Ticker ticker) {
    this(config, ticker, (s, b) -> { });
  }

  /**
   * {@code Guards} is {@link #Guards(ResilienceConfig, Ticker)} that also hands every new
   * per-service breaker to {@code onServiceBreaker} (for metrics), once, before its first use.
   */
  public Guards(ResilienceConfig config, Ticker ticker, BiConsumer<String, CircuitBreaker> onServiceBreaker) {
    this.onServiceBreaker = Objects.requireNonNull(onServiceBreaker, "onServiceBreaker");
    this.config = Objects.requireNonNull(config, "config");
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    Clock clock = new TickerClock(ticker);
    this.instanceBreaker = breaker(clock, config.instanceFailureRate(), config.instanceWindow(),
        config.instanceMinCalls());
    this.serviceBreaker = breaker(clock, config.serviceFailureRate(), config.serviceWindow(),
        config.serviceMinCalls());
  }

  private CircuitBreakerConfig breaker(Clock clock, float rate, int window, int minCalls) {
    return CircuitBreakerConfig.custom()
        .failureRateThreshold(rate)
        .slidingWindow(window, Math.min(minCalls, window), CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
        .waitDurationInOpenState(config.openWait())
        .permittedNumberOfCallsInHalfOpenState(config.halfOpenCalls())
        .writableStackTraceEnabled(false)
        .clock(clock)
        .currentTimestampFunction(c -> ticker.nanoTime(), TimeUnit.NANOSECONDS)
        .build();
  }

  /** {@code config} returns the configuration. */
  public ResilienceConfig config() {
    return config;
  }

  /** {@code ticker} returns the time source. */
  public Ticker ticker() {
    return ticker;
  }

  /** {@code newInstanceGuard} returns fresh state (breaker, outlier detector) for one instance. */
  public InstanceGuard newInstanceGuard(String name) {
    return new InstanceGuard(CircuitBreaker.of(name, instanceBreaker),
        new OutlierDetector(config.outlierConsecutiveFailures(), config.baseEjection(), config.maxEjection(), ticker));
  }

  /** {@code newServiceGuard} returns fresh state (breaker, retry budget) for one service. */
  public ServiceGuard newServiceGuard(String service) {
    CircuitBreaker breaker = CircuitBreaker.of(service, serviceBreaker);
    onServiceBreaker.accept(service, breaker);
    return new ServiceGuard(breaker,
        new RetryBudget(config.retryBudgetRatio(), config.minRetriesPerSecond(), ticker));
  }
}
