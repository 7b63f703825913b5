package dev.vertice.gateway.resilience;

import dev.vertice.common.Ticker;
import java.util.Objects;
import java.util.function.BiConsumer;

/**
 * {@code Guards} creates the resilience state of instances and services from one {@link
 * ResilienceConfig} and one {@link Ticker}: count-based circuit breakers ({@link Breaker}) timed
 * by the ticker, outlier detectors and retry budgets.
 */
public final class Guards {

  private final ResilienceConfig config;
  private final Ticker ticker;
  private final BiConsumer<String, Breaker> onServiceBreaker;

  /** {@code Guards} prepares breaker configurations for {@code config}, timed by {@code ticker}. */
  public Guards(ResilienceConfig config, Ticker ticker) {
    this(config, ticker, (s, b) -> { });
  }

  /**
   * {@code Guards} is {@link #Guards(ResilienceConfig, Ticker)} that also hands every new
   * per-service breaker to {@code onServiceBreaker} (for metrics), once, before its first use.
   */
  public Guards(ResilienceConfig config, Ticker ticker, BiConsumer<String, Breaker> onServiceBreaker) {
    this.onServiceBreaker = Objects.requireNonNull(onServiceBreaker, "onServiceBreaker");
    this.config = Objects.requireNonNull(config, "config");
    this.ticker = Objects.requireNonNull(ticker, "ticker");
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
    return new InstanceGuard(new Breaker(name, config.instanceFailureRate(), config.instanceWindow(),
        config.instanceMinCalls(), config.openWait().toNanos(), config.halfOpenCalls(), ticker),
        new OutlierDetector(config.outlierConsecutiveFailures(), config.baseEjection(), config.maxEjection(), ticker));
  }

  /** {@code newServiceGuard} returns fresh state (breaker, retry budget) for one service. */
  public ServiceGuard newServiceGuard(String service) {
    Breaker breaker = new Breaker(service, config.serviceFailureRate(), config.serviceWindow(),
        config.serviceMinCalls(), config.openWait().toNanos(), config.halfOpenCalls(), ticker);
    onServiceBreaker.accept(service, breaker);
    return new ServiceGuard(breaker,
        new RetryBudget(config.retryBudgetRatio(), config.minRetriesPerSecond(), ticker));
  }
}
