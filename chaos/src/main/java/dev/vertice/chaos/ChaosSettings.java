package dev.vertice.chaos;

import java.time.Duration;

/**
 * {@code ChaosSettings} are a chaos run's rates and durations (one config style: builder, checks at once).
 * The defaults are the full run's; {@link #shortProfile()} is the short profile's (the test suite's).
 */
public final class ChaosSettings {

  /** Requests per second sent to each gateway (open loop). */
  public static final int DEFAULT_RATE_PER_GATEWAY = 500;
  /** How long a fault lasts when the scenario does not say otherwise (kills: until the restart). */
  public static final Duration DEFAULT_FAULT_DURATION = Duration.ofSeconds(10);
  /** SIGSTOP of a control-plane replica (the gray failure). */
  public static final Duration DEFAULT_REPLICA_STOP = Duration.ofSeconds(15);
  /** Quiet time after each heal before the next scenario, and load before the first fault. */
  public static final Duration DEFAULT_SETTLE = Duration.ofSeconds(5);
  /** Registrations, renewals and deregistrations per second of the churn writer. */
  public static final int DEFAULT_CHURN_RATE = 20;

  /** The short profile's rate: a shared test machine cannot take the full run's next to the cluster. */
  public static final int SHORT_RATE_PER_GATEWAY = 100;
  /** The short profile's churn. */
  public static final int SHORT_CHURN_RATE = 10;

  private final int ratePerGateway;
  private final Duration faultDuration;
  private final Duration replicaStop;
  private final Duration settle;
  private final int churnRate;

  private ChaosSettings(Builder b) {
    this.ratePerGateway = b.ratePerGateway;
    this.faultDuration = b.faultDuration;
    this.replicaStop = b.replicaStop;
    this.settle = b.settle;
    this.churnRate = b.churnRate;
  }

  public static ChaosSettings ofDefaults() {
    return custom().build();
  }

  /** The short profile: the same targets, shorter faults and a lower rate (the test suite's). */
  public static ChaosSettings shortProfile() {
    return custom().ratePerGateway(SHORT_RATE_PER_GATEWAY).churnRate(SHORT_CHURN_RATE)
        .faultDuration(Duration.ofSeconds(3)).replicaStop(Duration.ofSeconds(4)).settle(Duration.ofSeconds(2)).build();
  }

  public static Builder custom() {
    return new Builder();
  }

  public static Builder from(ChaosSettings base) {
    return new Builder(base);
  }

  public int ratePerGateway() {
    return ratePerGateway;
  }

  public Duration faultDuration() {
    return faultDuration;
  }

  public Duration replicaStop() {
    return replicaStop;
  }

  public Duration settle() {
    return settle;
  }

  public int churnRate() {
    return churnRate;
  }

  /** Builds settings; every setter checks its value at once. */
  public static final class Builder {
    private int ratePerGateway = DEFAULT_RATE_PER_GATEWAY;
    private Duration faultDuration = DEFAULT_FAULT_DURATION;
    private Duration replicaStop = DEFAULT_REPLICA_STOP;
    private Duration settle = DEFAULT_SETTLE;
    private int churnRate = DEFAULT_CHURN_RATE;

    private Builder() {}

    private Builder(ChaosSettings base) {
      this.ratePerGateway = base.ratePerGateway;
      this.faultDuration = base.faultDuration;
      this.replicaStop = base.replicaStop;
      this.settle = base.settle;
      this.churnRate = base.churnRate;
    }

    public Builder ratePerGateway(int v) {
      if (v < 1 || v > 20_000) {
        throw new IllegalArgumentException("rate must be 1..20000 requests/s per gateway: " + v);
      }
      this.ratePerGateway = v;
      return this;
    }

    public Builder faultDuration(Duration v) {
      this.faultDuration = positive("fault duration", v);
      return this;
    }

    public Builder replicaStop(Duration v) {
      this.replicaStop = positive("replica stop", v);
      return this;
    }

    public Builder settle(Duration v) {
      this.settle = positive("settle", v);
      return this;
    }

    public Builder churnRate(int v) {
      if (v < 0 || v > 1_000) {
        throw new IllegalArgumentException("churn rate must be 0..1000 writes/s: " + v);
      }
      this.churnRate = v;
      return this;
    }

    public ChaosSettings build() {
      return new ChaosSettings(this);
    }

    private static Duration positive(String name, Duration v) {
      if (v == null || v.isNegative() || v.isZero()) {
        throw new IllegalArgumentException(name + " must be positive: " + v);
      }
      return v;
    }
  }
}
