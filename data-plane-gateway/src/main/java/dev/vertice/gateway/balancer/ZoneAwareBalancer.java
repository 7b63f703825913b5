package dev.vertice.gateway.balancer;

import dev.vertice.common.ZoneConfig;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * {@code ZoneAwareBalancer} prefers the endpoints in the gateway's own zone and spills over to the
 * other zones only as the local zone's capacity requires ({@link ZoneConfig#localProbability}),
 * then lets the {@code delegate} policy pick within the zone group drawn.
 *
 * <p>Per endpoint list (one version subset of one service: canary weights were applied before, so
 * zones come second): with fewer endpoints than {@link ZoneConfig#minClusterSize()}, or when every
 * endpoint is local or none is, the delegate picks over the whole list (as without zones). Otherwise
 * the picker holds a local and a remote delegate picker and the probability {@code p} of staying
 * local; each pick draws local with probability {@code p}, and falls back to the other group when
 * the drawn one admits no endpoint (breakers open, ejected).
 *
 * <p>Every pick of a zone-split list is reported to the {@link ZoneObserver} (per-zone counts).
 * Picks allocate nothing.
 */
public final class ZoneAwareBalancer implements Balancer {

  /** {@code ZoneObserver} hears of each pick made by a zone-aware picker. */
  @FunctionalInterface
  public interface ZoneObserver {
    /**
     * {@code picked} is called with the picked endpoint's zone (empty when none) and whether it is
     * the local zone; on the request path, so it must be cheap and must not allocate.
     */
    void picked(String zone, boolean local);

    /** {@code NONE} ignores picks. */
    ZoneObserver NONE = (zone, local) -> { };
  }

  private static final DoubleSupplier THREAD_LOCAL = () -> ThreadLocalRandom.current().nextDouble();

  private final Balancer delegate;
  private final ZoneConfig config;
  private final DoubleSupplier random;
  private final ZoneObserver observer;

  /**
   * {@code ZoneAwareBalancer} applies {@code config} in front of {@code delegate}, drawing with
   * {@link ThreadLocalRandom}.
   */
  public ZoneAwareBalancer(Balancer delegate, ZoneConfig config, ZoneObserver observer) {
    this(delegate, config, observer, THREAD_LOCAL);
  }

  /**
   * {@code ZoneAwareBalancer} applies {@code config} in front of {@code delegate}, drawing zone
   * groups with {@code random} (values in [0, 1), called from any thread: thread-safe, e.g. a seeded
   * {@link java.util.Random}'s {@code nextDouble} in tests).
   */
  public ZoneAwareBalancer(Balancer delegate, ZoneConfig config, ZoneObserver observer, DoubleSupplier random) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
    this.config = Objects.requireNonNull(config, "config");
    this.observer = Objects.requireNonNull(observer, "observer");
    this.random = Objects.requireNonNull(random, "random");
  }

  /**
   * {@code wrap} returns {@code delegate} itself when {@code config} sets no zone (zone-aware
   * routing off: the gateway behaves exactly as without this feature), else a zone-aware balancer.
   */
  public static Balancer wrap(Balancer delegate, ZoneConfig config, ZoneObserver observer) {
    return config.enabled() ? new ZoneAwareBalancer(delegate, config, observer) : delegate;
  }

  /** {@code name} returns the delegate's name: zones are a setting beside the policy, not a policy. */
  @Override
  public String name() {
    return delegate.name();
  }

  /** {@code config} returns the zone settings. */
  public ZoneConfig config() {
    return config;
  }

  @Override
  public Picker picker(List<Endpoint> endpoints) {
    if (endpoints.isEmpty()) {
      throw new IllegalArgumentException("no endpoints to pick from");
    }
    if (!config.enabled() || endpoints.size() < config.minClusterSize()) {
      return delegate.picker(endpoints);
    }
    List<Endpoint> local = new ArrayList<>();
    List<Endpoint> remote = new ArrayList<>();
    Set<String> zones = new HashSet<>();
    long localWeight = 0;
    long totalWeight = 0;
    for (Endpoint e : endpoints) {
      zones.add(e.zone());
      totalWeight += e.weight();
      if (e.zone().equals(config.zone())) {
        local.add(e);
        localWeight += e.weight();
      } else {
        remote.add(e);
      }
    }
    if (local.isEmpty() || remote.isEmpty()) {
      return delegate.picker(endpoints);
    }
    double p = config.localProbability(localWeight, totalWeight, zones.size());
    return new ZonePicker(endpoints, delegate.picker(List.copyOf(local)), delegate.picker(List.copyOf(remote)), p);
  }

  /** {@code ZonePicker} draws the local group with probability {@code p}, else the remote one. */
  final class ZonePicker implements Picker {
    private final List<Endpoint> endpoints;
    private final Picker local;
    private final Picker remote;
    private final double localProbability;

    ZonePicker(List<Endpoint> endpoints, Picker local, Picker remote, double localProbability) {
      this.endpoints = endpoints;
      this.local = local;
      this.remote = remote;
      this.localProbability = localProbability;
    }

    /** {@code localProbability} returns the probability that a pick stays in the local zone. */
    double localProbability() {
      return localProbability;
    }

    @Override
    public List<Endpoint> endpoints() {
      return endpoints;
    }

    @Override
    public Endpoint pick(Admission admit) {
      boolean stay = localProbability >= 1.0 || random.getAsDouble() < localProbability;
      Endpoint e = (stay ? local : remote).pick(admit);
      if (e == null) {
        stay = !stay;
        e = (stay ? local : remote).pick(admit);
      }
      if (e != null) {
        observer.picked(e.zone(), stay);
      }
      return e;
    }
  }
}
