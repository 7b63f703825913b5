package dev.vertice.common;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * {@code ZoneConfig} holds the zone-aware routing settings of a data-plane component (gateway,
 * {@code vertice:///} channel) and the rule that turns them into a local-zone share (Envoy's
 * zone-aware routing, simplified to "my zone" versus "the others"):
 *
 * <ul>
 *   <li>{@link #zone()}: the component's own zone; empty turns zone-aware routing off (every
 *       instance alike, as without this feature).
 *   <li>{@link #minClusterSize()}: with fewer SERVING instances than this in the set being balanced
 *       (one version subset of one service), zones are ignored (Envoy's {@code min_cluster_size},
 *       default 6): a small set spread over zones would leave too little capacity in each.
 *   <li>{@link #localShare()}: the share of the callers that sit in this zone (Envoy's "local
 *       percentage"); 0 means "even": one over the number of zones the set's instances are in.
 * </ul>
 *
 * <p>Let {@code capacity} be the local zone's share of the set's SERVING weight (Envoy's "upstream
 * percentage"). When {@code capacity ≥ localShare} every request stays in the zone; below it a
 * request stays local with probability {@code capacity / localShare} and spills over to the other
 * zones otherwise ({@link #localProbability}). So callers spread like the instances keep everything
 * local, and a zone that lost instances sends out just the excess it can no longer carry.
 * Immutable and thread-safe.
 */
public final class ZoneConfig {

  /** Default zone: none (zone-aware routing off). */
  public static final String DEFAULT_ZONE = "";
  /** Default minimum number of instances for zone-aware routing: 6, as Envoy. */
  public static final int DEFAULT_MIN_CLUSTER_SIZE = 6;
  /** Default local share: 0, meaning one over the number of zones. */
  public static final double DEFAULT_LOCAL_SHARE = 0;

  private static final Pattern ZONE = Pattern.compile("[A-Za-z0-9._-]{1,63}");
  private static final ZoneConfig DEFAULTS = custom().build();

  private final String zone;
  private final int minClusterSize;
  private final double localShare;

  private ZoneConfig(Builder b) {
    this.zone = b.zone;
    this.minClusterSize = b.minClusterSize;
    this.localShare = b.localShare;
  }

  /** {@code ofDefaults} returns the defaults: no zone, so zone-aware routing is off. */
  public static ZoneConfig ofDefaults() {
    return DEFAULTS;
  }

  /** {@code custom} returns a builder starting from the defaults. */
  public static Builder custom() {
    return new Builder();
  }

  /** {@code from} returns a builder starting from {@code base}. */
  public static Builder from(ZoneConfig base) {
    return new Builder(Objects.requireNonNull(base, "base"));
  }

  /** {@code zone} is this component's zone; empty when none. */
  public String zone() {
    return zone;
  }

  /** {@code enabled} is whether a zone is set (zone-aware routing on). */
  public boolean enabled() {
    return !zone.isEmpty();
  }

  /** {@code minClusterSize} is the fewest SERVING instances a set needs for zones to matter. */
  public int minClusterSize() {
    return minClusterSize;
  }

  /** {@code localShare} is the share of callers in this zone, in (0, 1]; 0 for one over the zone count. */
  public double localShare() {
    return localShare;
  }

  /**
   * {@code localProbability} returns the probability that a request stays in the local zone.
   *
   * @param localWeight the SERVING weight in this zone
   * @param totalWeight the SERVING weight in every zone (including this one)
   * @param zones the number of distinct zones holding that weight (instances without a zone form one)
   * @return 1 when the local capacity suffices, {@code capacity / share} below it, 0 without local weight
   */
  public double localProbability(long localWeight, long totalWeight, int zones) {
    if (localWeight <= 0 || totalWeight <= 0) {
      return 0;
    }
    double capacity = Math.min(1.0, (double) localWeight / totalWeight);
    double share = localShare > 0 ? localShare : 1.0 / Math.max(1, zones);
    return capacity >= share ? 1.0 : capacity / share;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ZoneConfig z && z.zone.equals(zone) && z.minClusterSize == minClusterSize
        && Double.compare(z.localShare, localShare) == 0;
  }

  @Override
  public int hashCode() {
    return Objects.hash(zone, minClusterSize, localShare);
  }

  @Override
  public String toString() {
    return "ZoneConfig{zone=" + zone + ", minClusterSize=" + minClusterSize + ", localShare=" + localShare + "}";
  }

  /** {@code Builder} builds a {@link ZoneConfig}; every setter checks its value at once. */
  public static final class Builder {
    private String zone = DEFAULT_ZONE;
    private int minClusterSize = DEFAULT_MIN_CLUSTER_SIZE;
    private double localShare = DEFAULT_LOCAL_SHARE;

    private Builder() {}

    private Builder(ZoneConfig c) {
      zone = c.zone;
      minClusterSize = c.minClusterSize;
      localShare = c.localShare;
    }

    /**
     * {@code zone} sets this component's zone: empty (off) or, as an instance's zone, up to 63
     * letters, digits, {@code .}, {@code _} and {@code -}.
     */
    public Builder zone(String v) {
      Objects.requireNonNull(v, "zone");
      if (!v.isEmpty() && !ZONE.matcher(v).matches()) {
        throw new IllegalArgumentException("invalid zone: '" + v
            + "' is not valid: up to 63 characters of A-Z, a-z, 0-9, '.', '_' and '-'");
      }
      zone = v;
      return this;
    }

    /** {@code minClusterSize} sets the fewest SERVING instances for zone-aware routing (at least 1). */
    public Builder minClusterSize(int v) {
      if (v < 1) {
        throw new IllegalArgumentException("invalid zone-min-cluster-size: " + v + " is below 1");
      }
      minClusterSize = v;
      return this;
    }

    /** {@code localShare} sets the share of callers in this zone: 0 (one over the zone count) or in (0, 1]. */
    public Builder localShare(double v) {
      if (!(v >= 0 && v <= 1)) {
        throw new IllegalArgumentException("invalid zone-local-share: " + v + " is outside 0..1");
      }
      localShare = v;
      return this;
    }

    /** {@code build} returns the config. */
    public ZoneConfig build() {
      return new ZoneConfig(this);
    }
  }
}
