package dev.vertice.client;

import dev.vertice.client.internal.VerticeNameResolver;
import dev.vertice.common.ServiceNames;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import java.net.URI;
import java.util.Objects;

/**
 * {@code VerticeNameResolverProvider} lets grpc-java channels resolve {@code vertice:///service}
 * targets from the Vertice registry, by push: {@code
 * ManagedChannelBuilder.forTarget("vertice:///echo")} balances round-robin over the SERVING
 * instances of {@code echo} and follows every change without polling.
 *
 * <p>The resolvers read a {@link WatchClient}, chosen per channel in this order:
 *
 * <ol>
 *   <li>the channel's name resolver argument {@link #WATCH_CLIENT}, set with {@code
 *       ManagedChannelBuilder.setNameResolverArg(WATCH_CLIENT, watchClient)};
 *   <li>the watch client given to {@link #VerticeNameResolverProvider(WatchClient)}, for a provider
 *       the application registers with {@code NameResolverRegistry.getDefaultRegistry().register};
 *       such a provider has priority {@value #EXPLICIT_PRIORITY}, above the default one;
 *   <li>for the default provider (found through {@code META-INF/services}, priority {@value
 *       #DEFAULT_PRIORITY}): one process-wide watch client created on first use from {@link
 *       ControlPlaneAddresses#fromEnvironment()} (system property {@code vertice.controlPlane},
 *       else environment variable {@code VERTICE_CONTROL_PLANE}, else {@code localhost:7700}),
 *       watching traffic policies. It lives as long as the process.
 * </ol>
 *
 * <p>The resolver subscribes to the service and reports one address per SERVING instance; a
 * service without SERVING instances is an UNAVAILABLE resolution error. Each result carries a
 * service config selecting the {@link VerticeRoundRobinLoadBalancerProvider vertice_round_robin}
 * policy: when the last SERVING instance turns DRAINING or NOT_SERVING (or leaves), new calls fail
 * at once with UNAVAILABLE instead of reaching it, and succeed again on the same channel once an
 * instance serves. A channel built with {@code disableServiceConfigLookUp()} ignores that config;
 * with grpc-java's {@code round_robin}, which treats a resolution error as transient, it would keep
 * calling the last addresses.
 *
 * <p><b>Canary weights.</b> When the watch client watches traffic policies (the default one does;
 * build your own with {@link WatchClient.Builder#watchTrafficPolicies watchTrafficPolicies(true)}),
 * the service's TrafficPolicy is pushed to the channel with the addresses and {@code
 * vertice_round_robin} splits calls by its subset weights: first a version subset by weight, among
 * those with a SERVING instance, then an instance of it round-robin; instances of a version in no
 * subset get no calls. A new policy applies to the next calls on the same channel, without polling
 * or a new channel. A watch client built without {@code watchTrafficPolicies(true)} never receives
 * policies: its channels balance over every SERVING instance whatever the weights (logged at level
 * CONFIG when the resolver starts).
 *
 * <p>Thread-safe.
 */
public final class VerticeNameResolverProvider extends NameResolverProvider {

  /** The URI scheme resolved: {@code vertice:///service-name}. */
  public static final String SCHEME = "vertice";
  /** Priority of the provider found through {@code META-INF/services}: grpc's default. */
  public static final int DEFAULT_PRIORITY = 5;
  /** Priority of a provider built around an explicit watch client: wins over the default one. */
  public static final int EXPLICIT_PRIORITY = 6;

  /** Name resolver argument selecting the {@link WatchClient} of one channel. */
  public static final NameResolver.Args.Key<WatchClient> WATCH_CLIENT =
      NameResolver.Args.Key.create("dev.vertice.client.WatchClient");

  private final WatchClient watchClient;

  /**
   * {@code VerticeNameResolverProvider} creates the default provider (the one {@code
   * ServiceLoader} instantiates): without a {@link #WATCH_CLIENT} argument its resolvers use a
   * process-wide watch client configured from the environment, created on first use.
   */
  public VerticeNameResolverProvider() {
    this.watchClient = null;
  }

  /**
   * {@code VerticeNameResolverProvider} creates a provider whose resolvers read {@code
   * watchClient} (unless a channel sets {@link #WATCH_CLIENT}). Register it with {@code
   * NameResolverRegistry.getDefaultRegistry().register(provider)}; the caller keeps owning and
   * closing the watch client.
   */
  public VerticeNameResolverProvider(WatchClient watchClient) {
    this.watchClient = Objects.requireNonNull(watchClient, "watchClient");
  }

  /**
   * {@code newNameResolver} returns a resolver for {@code vertice:///service}, or null for another
   * scheme. The service name may use any accepted spelling; it is normalised.
   *
   * @throws IllegalArgumentException when the target has an authority, no path, or a service
   *     name without canonical form
   */
  @Override
  public NameResolver newNameResolver(URI targetUri, NameResolver.Args args) {
    if (!SCHEME.equals(targetUri.getScheme())) {
      return null;
    }
    String service = serviceName(targetUri);
    WatchClient chosen = args.getArg(WATCH_CLIENT);
    if (chosen == null) {
      chosen = watchClient != null ? watchClient : DefaultWatchClient.get();
    }
    return new VerticeNameResolver(service, chosen, args);
  }

  /** {@code getDefaultScheme} returns {@value #SCHEME}. */
  @Override
  public String getDefaultScheme() {
    return SCHEME;
  }

  /** {@code isAvailable} returns true: the provider needs nothing beyond its classpath. */
  @Override
  protected boolean isAvailable() {
    return true;
  }

  /** {@code priority} returns {@value #DEFAULT_PRIORITY}, or {@value #EXPLICIT_PRIORITY} with an explicit watch client. */
  @Override
  protected int priority() {
    return watchClient == null ? DEFAULT_PRIORITY : EXPLICIT_PRIORITY;
  }

  static String serviceName(URI target) {
    if (target.getRawAuthority() != null && !target.getRawAuthority().isEmpty()) {
      throw new IllegalArgumentException("target '" + target + "' has an authority; use " + SCHEME
          + ":///service-name (the control plane is configured on the watch client)");
    }
    String path = target.getPath();
    if (path == null || !path.startsWith("/") || path.length() < 2 || path.indexOf('/', 1) >= 0) {
      throw new IllegalArgumentException("target '" + target + "' must look like " + SCHEME + ":///service-name");
    }
    String raw = path.substring(1);
    return ServiceNames.normalize(raw).orElseThrow(() -> new IllegalArgumentException(
        "target '" + target + "' names an invalid service: " + ServiceNames.describeRule()));
  }

  /** Builds the default provider's watch client for {@code controlPlane}: it watches policies. */
  static WatchClient newDefault(ControlPlaneAddresses controlPlane) {
    return WatchClient.builder().controlPlane(controlPlane).watchTrafficPolicies(true).build();
  }

  /** The process-wide watch client of the default provider, created on first use. */
  private static final class DefaultWatchClient {
    private static WatchClient instance; // guarded by DefaultWatchClient.class

    static synchronized WatchClient get() {
      if (instance == null) {
        instance = newDefault(ControlPlaneAddresses.fromEnvironment());
      }
      return instance;
    }
  }
}
