package dev.vertice.client;

import dev.vertice.client.internal.VerticeNameResolver;
import dev.vertice.client.internal.VerticeRoundRobinLoadBalancer;
import dev.vertice.common.ZoneConfig;
import dev.vertice.common.ServiceNames;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.TlsChannelCredentials;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.util.Objects;
import java.util.function.UnaryOperator;

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
 *       watching traffic policies, secured as {@link #credentialsFromEnvironment()} says (plaintext
 *       unless {@code VERTICE_CA} is set). It lives as long as the process.
 * </ol>
 *
 * <p><b>TLS.</b> A control plane serving TLS is reached over TLS by giving the watch client channel
 * credentials: {@code WatchClient.builder().controlPlane("cp:7700").channelCredentials(
 * ReloadingTls.forClient(TlsSettings.client(ca).withIdentity(cert, key)).channelCredentials())}
 * (files re-read when they change), then either {@link #WATCH_CLIENT} per channel or a provider
 * registered around it. The default provider reads the PEM files named by {@value #CA_ENV}, {@value
 * #CERT_ENV} and {@value #KEY_ENV} (system properties {@value #CA_PROPERTY}, {@value
 * #CERT_PROPERTY}, {@value #KEY_PROPERTY} win) once, at first use: a rotated file needs a restart
 * there. Only the resolver's own connection to the control plane is secured this way; the
 * channel's calls to the service's instances use the channel's own credentials.
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
 * <p><b>Zones and latency.</b> A channel that knows its zone prefers instances in it, spilling over
 * to other zones only as the local zone's SERVING capacity requires (canary weights first, zones
 * second; see {@link dev.vertice.common.ZoneConfig}); and its calls can be balanced by latency
 * (peak EWMA, power of two choices) instead of round robin. Per channel: the name resolver
 * arguments {@link #ZONE} and {@link #LB_POLICY}; by default, system properties {@code
 * vertice.zone}, {@code vertice.zoneMinClusterSize}, {@code vertice.zoneLocalShare}, {@code
 * vertice.lbPolicy}, else environment variables {@value #ZONE_ENV}, {@code
 * VERTICE_ZONE_MIN_CLUSTER_SIZE}, {@code VERTICE_ZONE_LOCAL_SHARE}, {@value #LB_POLICY_ENV} ({@code
 * round_robin}, the default, or {@code peak_ewma}). No zone: every instance alike, as before.
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

  /** Name resolver argument setting one channel's zone-aware routing (overrides the environment). */
  public static final NameResolver.Args.Key<ZoneConfig> ZONE = NameResolver.Args.Key.create("dev.vertice.common.ZoneConfig");

  /**
   * Name resolver argument choosing one channel's balancing within a subset: {@code round_robin} or
   * {@code peak_ewma} (overrides the environment).
   */
  public static final NameResolver.Args.Key<String> LB_POLICY = NameResolver.Args.Key.create("dev.vertice.lbPolicy");

  /** Environment variable giving the default zone of {@code vertice:///} channels. */
  public static final String ZONE_ENV = "VERTICE_ZONE";
  /** Environment variable giving the default balancing within a subset: {@code round_robin} or {@code peak_ewma}. */
  public static final String LB_POLICY_ENV = "VERTICE_LB_POLICY";

  /** Environment variable naming the CA bundle (PEM) the default provider trusts; set, it turns TLS on. */
  public static final String CA_ENV = "VERTICE_CA";
  /** Environment variable naming the default provider's client certificate (PEM), for mutual TLS. */
  public static final String CERT_ENV = "VERTICE_CERT";
  /** Environment variable naming the private key (PEM, PKCS#8) of {@value #CERT_ENV}. */
  public static final String KEY_ENV = "VERTICE_KEY";
  /** System property that wins over {@value #CA_ENV}. */
  public static final String CA_PROPERTY = "vertice.ca";
  /** System property that wins over {@value #CERT_ENV}. */
  public static final String CERT_PROPERTY = "vertice.cert";
  /** System property that wins over {@value #KEY_ENV}. */
  public static final String KEY_PROPERTY = "vertice.key";

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
    ZoneConfig zone = args.getArg(ZONE);
    if (zone == null) {
      zone = zoneFromEnvironment(VerticeNameResolverProvider::setting);
    }
    String lbPolicy = args.getArg(LB_POLICY);
    if (lbPolicy == null) {
      lbPolicy = lbPolicy(setting(LB_POLICY_ENV));
    }
    return new VerticeNameResolver(service, chosen, args, zone, lbPolicy);
  }

  /** Reads a setting by environment variable name, the matching {@code vertice.*} system property winning. */
  private static String setting(String env) {
    String property = switch (env) {
      case ZONE_ENV -> "vertice.zone";
      case LB_POLICY_ENV -> "vertice.lbPolicy";
      case "VERTICE_ZONE_MIN_CLUSTER_SIZE" -> "vertice.zoneMinClusterSize";
      default -> "vertice.zoneLocalShare";
    };
    String v = System.getProperty(property);
    return v == null || v.isBlank() ? System.getenv(env) : v;
  }

  /**
   * {@code zoneFromEnvironment} builds the zone settings from {@code setting} (by environment
   * variable name).
   *
   * @throws IllegalArgumentException naming the variable when a value is not valid
   */
  static ZoneConfig zoneFromEnvironment(UnaryOperator<String> setting) {
    ZoneConfig.Builder b = ZoneConfig.custom();
    String zone = blankToNull(setting.apply(ZONE_ENV));
    String min = blankToNull(setting.apply("VERTICE_ZONE_MIN_CLUSTER_SIZE"));
    String share = blankToNull(setting.apply("VERTICE_ZONE_LOCAL_SHARE"));
    try {
      if (zone != null) {
        b.zone(zone);
      }
      if (min != null) {
        b.minClusterSize(Integer.parseInt(min));
      }
      if (share != null) {
        b.localShare(Double.parseDouble(share));
      }
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("VERTICE_ZONE, VERTICE_ZONE_MIN_CLUSTER_SIZE or VERTICE_ZONE_LOCAL_SHARE: "
          + e.getMessage(), e);
    }
    return b.build();
  }

  /**
   * {@code lbPolicy} returns the child policy named by {@code v} ({@code round_robin} when blank;
   * {@code round-robin} and {@code peak-ewma} are accepted too).
   *
   * @throws IllegalArgumentException naming {@value #LB_POLICY_ENV} for any other value
   */
  static String lbPolicy(String v) {
    String p = blankToNull(v);
    if (p == null) {
      return VerticeRoundRobinLoadBalancer.DELEGATE_POLICY;
    }
    p = p.replace('-', '_');
    if (!p.equals(VerticeRoundRobinLoadBalancer.DELEGATE_POLICY) && !p.equals(VerticeRoundRobinLoadBalancer.PEAK_EWMA)) {
      throw new IllegalArgumentException(LB_POLICY_ENV + ": '" + v + "' is neither round_robin nor peak_ewma");
    }
    return p;
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

  /** Builds the default provider's watch client for {@code controlPlane} over plaintext: it watches policies. */
  static WatchClient newDefault(ControlPlaneAddresses controlPlane) {
    return newDefault(controlPlane, InsecureChannelCredentials.create());
  }

  /** Builds the default provider's watch client for {@code controlPlane}: it watches policies. */
  static WatchClient newDefault(ControlPlaneAddresses controlPlane, ChannelCredentials credentials) {
    return WatchClient.builder().controlPlane(controlPlane).channelCredentials(credentials)
        .watchTrafficPolicies(true).build();
  }

  /**
   * {@code credentialsFromEnvironment} returns the credentials of the default provider's watch
   * client: TLS trusting the CA bundle named by {@value #CA_PROPERTY} or {@value #CA_ENV}, presenting
   * the certificate and key named by {@value #CERT_PROPERTY}/{@value #CERT_ENV} and {@value
   * #KEY_PROPERTY}/{@value #KEY_ENV} when both are set; plaintext when no CA is named. The files are
   * read now, once (their PEM is parsed at the first connection, which fails if it is invalid).
   *
   * @throws IllegalArgumentException naming the setting when only one of certificate and key is set,
   *     a certificate is set without a CA, or a file cannot be read
   */
  public static ChannelCredentials credentialsFromEnvironment() {
    return credentials(name -> {
      String property = switch (name) {
        case CA_ENV -> CA_PROPERTY;
        case CERT_ENV -> CERT_PROPERTY;
        default -> KEY_PROPERTY;
      };
      String v = System.getProperty(property);
      return v == null || v.isBlank() ? System.getenv(name) : v;
    });
  }

  /** {@link #credentialsFromEnvironment()} reading settings (by environment variable name) from {@code setting}. */
  static ChannelCredentials credentials(UnaryOperator<String> setting) {
    String ca = blankToNull(setting.apply(CA_ENV));
    String cert = blankToNull(setting.apply(CERT_ENV));
    String key = blankToNull(setting.apply(KEY_ENV));
    if ((cert == null) != (key == null)) {
      throw new IllegalArgumentException((cert == null ? CERT_ENV : KEY_ENV) + " is not set but "
          + (cert == null ? KEY_ENV : CERT_ENV) + " is; set both");
    }
    if (ca == null) {
      if (cert != null) {
        throw new IllegalArgumentException(CA_ENV + " is needed with " + CERT_ENV + " (certificates are sent over TLS"
            + " only)");
      }
      return InsecureChannelCredentials.create();
    }
    TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder();
    try {
      b.trustManager(new File(ca));
    } catch (IOException e) {
      throw new IllegalArgumentException(CA_ENV + ": cannot use " + ca + ": " + e.getMessage(), e);
    }
    if (cert != null) {
      try {
        b.keyManager(new File(cert), new File(key));
      } catch (IOException e) {
        throw new IllegalArgumentException(CERT_ENV + "/" + KEY_ENV + ": cannot use " + cert + " and " + key + " ("
            + e.getClass().getSimpleName() + ")", e);
      }
    }
    return b.build();
  }

  private static String blankToNull(String v) {
    return v == null || v.isBlank() ? null : v.strip();
  }

  /** The process-wide watch client of the default provider, created on first use. */
  private static final class DefaultWatchClient {
    private static WatchClient instance; // guarded by DefaultWatchClient.class

    static synchronized WatchClient get() {
      if (instance == null) {
        instance = newDefault(ControlPlaneAddresses.fromEnvironment(), credentialsFromEnvironment());
      }
      return instance;
    }
  }
}
