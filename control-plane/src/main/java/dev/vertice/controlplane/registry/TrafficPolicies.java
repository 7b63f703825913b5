package dev.vertice.controlplane.registry;

import dev.vertice.api.discovery.v1.Subset;
import dev.vertice.api.discovery.v1.TrafficPolicy;
import dev.vertice.common.ResourceTypes;
import dev.vertice.common.ServiceNames;
import dev.vertice.controlplane.push.Convergence;
import dev.vertice.controlplane.push.PushEngine;
import dev.vertice.controlplane.store.CapacityExceededException;
import dev.vertice.controlplane.store.RegistryStore;
import dev.vertice.controlplane.store.StoreUnavailableException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;

/**
 * {@code TrafficPolicies} is the Java API through which the canary controller writes the
 * TrafficPolicy resources that the push engine serves on the Watch stream.
 *
 * <p>Writes are validated here and go to the {@link RegistryStore} (the one writer): in memory, or Redis
 * shared by every replica. A write returns once this replica's view holds it, so {@link
 * #whenConverged} can be asked at once for the returned revision. Convergence is tracked by this
 * replica's push engine, so it covers the watchers connected to this replica.
 *
 * <p>Thread-safe.
 */
public final class TrafficPolicies {

  /** Most subsets in one policy. */
  public static final int MAX_SUBSETS = 16;
  /** Largest subset weight: weights are percentages. */
  public static final int MAX_WEIGHT = 100;
  /** Most services with a policy at once. */
  public static final int MAX_POLICIES = 10_000;
  /** Longest rollout id. */
  public static final int MAX_ROLLOUT_ID_LENGTH = 128;
  /** Longest version label (as for an instance's version). */
  public static final int MAX_VERSION_LENGTH = 63;

  private static final Pattern VERSION = Pattern.compile("[A-Za-z0-9._-]{1," + MAX_VERSION_LENGTH + "}");
  private static final Pattern ROLLOUT_ID = Pattern.compile("[A-Za-z0-9._:-]{0," + MAX_ROLLOUT_ID_LENGTH + "}");

  private final RegistryStore store;
  private final RegistryView view;
  private final PushEngine engine;

  /** Creates the API over {@code store}, which writes {@code view}, which feeds {@code engine}. */
  public TrafficPolicies(RegistryStore store, RegistryView view, PushEngine engine) {
    this.store = store;
    this.view = view;
    this.engine = engine;
  }

  /**
   * Validates and sets the TrafficPolicy of {@code policy.service}.
   *
   * @return the policy as stored (service name normalised) and its revision; a policy equal to the
   *     one held changes nothing and returns the held revision
   * @throws InvalidTrafficPolicyException when a field is bad; nothing changed
   * @throws CapacityExceededException when {@link #MAX_POLICIES} services already have a policy
   * @throws StoreUnavailableException when the shared store cannot be reached; nothing changed
   */
  public StoredTrafficPolicy put(TrafficPolicy policy) throws CapacityExceededException, StoreUnavailableException {
    TrafficPolicy valid = validate(policy);
    long revision = store.putTrafficPolicy(valid);
    return new StoredTrafficPolicy(valid.getService(), valid, revision);
  }

  /**
   * Removes the TrafficPolicy of {@code service} (any spelling that normalises): its watchers
   * receive it as removed, and route by instance weight again.
   *
   * @return the revision of the removal, or empty when the service had no policy
   * @throws InvalidTrafficPolicyException when {@code service} is not a valid name
   */
  public OptionalLong remove(String service) throws StoreUnavailableException {
    return store.removeTrafficPolicy(canonical(service));
  }

  /** Returns the TrafficPolicy of {@code service} as this replica's view holds it. */
  public Optional<StoredTrafficPolicy> get(String service) {
    return Optional.ofNullable(view.trafficPolicy(canonical(service)));
  }

  /** Returns every TrafficPolicy this replica's view holds, sorted by service. */
  public List<StoredTrafficPolicy> list() {
    return view.trafficPolicies();
  }

  /** Returns the resource version watchers see for {@code revision}: {@code <epoch>-<revision>}. */
  public String version(long revision) {
    return engine.versions().format(revision);
  }

  /**
   * Returns a future completed when every watcher of this replica that needed the change of {@code
   * service}'s policy at {@code revision} has ACKed or NACKed it ({@link Convergence#nacks()}
   * counts the NACKs; {@link Convergence#complete()} is false when watchers left before
   * answering, or a newer change replaced it while the tracker's per-resource bound was full). It
   * completes at once, with zero subscribers, when no watcher needed the change or it converged
   * already.
   */
  public CompletableFuture<Convergence> whenConverged(String service, long revision) {
    return engine.whenConverged(ResourceTypes.TRAFFIC_POLICY, canonical(service), revision);
  }

  /**
   * Returns {@code policy} with its service name normalised, or throws naming every bad field:
   * the service must normalise to a canonical name; at most {@link #MAX_SUBSETS} subsets, each
   * with a version label of 1-63 characters of {@code A-Za-z0-9._-}, versions distinct, weights
   * 0-{@value #MAX_WEIGHT}, and at least one positive weight when there are subsets; a rollout id
   * of at most {@value #MAX_ROLLOUT_ID_LENGTH} characters of {@code A-Za-z0-9._:-}.
   *
   * @throws InvalidTrafficPolicyException when a field is bad
   */
  public static TrafficPolicy validate(TrafficPolicy policy) {
    List<InvalidTrafficPolicyException.Violation> bad = new ArrayList<>();
    Optional<String> service = ServiceNames.normalize(policy.getService());
    if (service.isEmpty()) {
      bad.add(new InvalidTrafficPolicyException.Violation("service",
          (policy.getService().isBlank() ? "is empty; " : "'" + clip(policy.getService()) + "' is not valid; ")
              + ServiceNames.describeRule()));
    }
    if (policy.getSubsetsCount() > MAX_SUBSETS) {
      bad.add(new InvalidTrafficPolicyException.Violation("subsets",
          policy.getSubsetsCount() + " subsets; at most " + MAX_SUBSETS + " are allowed"));
    }
    Set<String> seen = new HashSet<>();
    long total = 0;
    for (int i = 0; i < policy.getSubsetsCount() && i < MAX_SUBSETS; i++) {
      Subset s = policy.getSubsets(i);
      String field = "subsets[" + i + "]";
      if (!VERSION.matcher(s.getVersion()).matches()) {
        bad.add(new InvalidTrafficPolicyException.Violation(field + ".version", s.getVersion().isEmpty()
            ? "is empty"
            : "'" + clip(s.getVersion()) + "' is not valid: 1-" + MAX_VERSION_LENGTH
                + " characters of A-Z, a-z, 0-9, '.', '_' and '-'"));
      } else if (!seen.add(s.getVersion())) {
        bad.add(new InvalidTrafficPolicyException.Violation(field + ".version",
            "'" + s.getVersion() + "' appears in more than one subset"));
      }
      // uint32 on the wire: a Java int below 0 is above 2^31.
      if (s.getWeight() < 0 || s.getWeight() > MAX_WEIGHT) {
        bad.add(new InvalidTrafficPolicyException.Violation(field + ".weight",
            Integer.toUnsignedString(s.getWeight()) + " is outside 0-" + MAX_WEIGHT));
      } else {
        total += s.getWeight();
      }
    }
    if (policy.getSubsetsCount() > 0 && policy.getSubsetsCount() <= MAX_SUBSETS && total == 0
        && bad.stream().noneMatch(v -> v.field().endsWith(".weight"))) {
      bad.add(new InvalidTrafficPolicyException.Violation("subsets",
          "every weight is 0: at least one subset must receive traffic (remove the policy to route by"
              + " instance weight)"));
    }
    if (!ROLLOUT_ID.matcher(policy.getRolloutId()).matches()) {
      bad.add(new InvalidTrafficPolicyException.Violation("rollout_id", "'" + clip(policy.getRolloutId())
          + "' is not valid: at most " + MAX_ROLLOUT_ID_LENGTH + " characters of A-Z, a-z, 0-9, '.', '_', ':' and '-'"));
    }
    if (!bad.isEmpty()) {
      throw new InvalidTrafficPolicyException(bad);
    }
    return policy.getService().equals(service.get()) ? policy : policy.toBuilder().setService(service.get()).build();
  }

  private static String canonical(String service) {
    return ServiceNames.normalize(service).orElseThrow(() -> new InvalidTrafficPolicyException(
        List.of(new InvalidTrafficPolicyException.Violation("service",
            "'" + clip(String.valueOf(service)) + "' is not valid; " + ServiceNames.describeRule()))));
  }

  private static String clip(String s) {
    return s.length() <= 80 ? s : s.substring(0, 77) + "...";
  }
}
