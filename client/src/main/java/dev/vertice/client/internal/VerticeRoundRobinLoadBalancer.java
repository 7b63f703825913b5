package dev.vertice.client.internal;

import io.grpc.ConnectivityState;
import io.grpc.LoadBalancer;
import io.grpc.LoadBalancerProvider;
import io.grpc.NameResolver;
import io.grpc.Status;
import io.grpc.util.ForwardingLoadBalancerHelper;
import java.util.Map;

/**
 * {@code VerticeRoundRobinLoadBalancer} is grpc-java's {@code round_robin} made drain-aware: it
 * delegates to a {@code round_robin} balancer while the name resolver reports addresses, and when
 * it reports an error or no addresses (the last SERVING instance turned DRAINING, NOT_SERVING or
 * left), it shuts that balancer down, closing its subchannels, and fails new calls at once with
 * UNAVAILABLE ({@code "no SERVING instance of <service>: <reason>"}). Plain {@code round_robin}
 * takes such a result for a transient resolver problem and keeps sending new calls to the last
 * addresses.
 *
 * <p>Calls already in flight on a closed subchannel finish (its transports shut down gracefully).
 * Wait-for-ready calls are not failed: they wait for the next address. When addresses come back, a
 * fresh {@code round_robin} balancer connects to them.
 *
 * <p>Not thread-safe: grpc calls it on the channel's synchronization context only.
 */
public final class VerticeRoundRobinLoadBalancer extends LoadBalancer {

  /** The policy delegated to while addresses exist. */
  public static final String DELEGATE_POLICY = "round_robin";

  /**
   * {@code Config} is the parsed policy configuration.
   *
   * @param service the service named in errors; null to use the channel's authority
   */
  public record Config(String service) {}

  private final Helper helper;
  private final LoadBalancerProvider roundRobin;
  private final Object roundRobinConfig;
  private String service;
  private LoadBalancer delegate;
  private DelegateHelper delegateHelper;

  /**
   * {@code VerticeRoundRobinLoadBalancer} balances for the channel behind {@code helper}.
   *
   * @throws IllegalStateException when no {@value #DELEGATE_POLICY} policy is registered
   */
  public VerticeRoundRobinLoadBalancer(Helper helper, LoadBalancerProvider roundRobin) {
    this.helper = helper;
    this.roundRobin = roundRobin;
    NameResolver.ConfigOrError parsed = roundRobin.parseLoadBalancingPolicyConfig(Map.of());
    this.roundRobinConfig = parsed.getError() == null ? parsed.getConfig() : null;
  }

  /**
   * {@code acceptResolvedAddresses} hands non-empty address lists to the {@code round_robin}
   * delegate (a new one when none is running) and returns its verdict. An empty list is treated
   * like a resolver error; the UNAVAILABLE returned asks a polling resolver to try again.
   */
  @Override
  public Status acceptResolvedAddresses(ResolvedAddresses resolvedAddresses) {
    if (resolvedAddresses.getLoadBalancingPolicyConfig() instanceof Config c && c.service() != null) {
      service = c.service();
    }
    if (resolvedAddresses.getAddresses().isEmpty()) {
      Status empty = Status.UNAVAILABLE.withDescription("the name resolver returned no addresses");
      failAll(empty);
      return empty;
    }
    if (delegate == null) {
      delegateHelper = new DelegateHelper();
      delegate = roundRobin.newLoadBalancer(delegateHelper);
    }
    return delegate.acceptResolvedAddresses(resolvedAddresses.toBuilder()
        .setLoadBalancingPolicyConfig(roundRobinConfig)
        .build());
  }

  /**
   * {@code handleNameResolutionError} closes the delegate's subchannels and fails new calls with
   * UNAVAILABLE naming the service and the resolver's reason.
   */
  @Override
  public void handleNameResolutionError(Status error) {
    failAll(error);
  }

  /** {@code requestConnection} asks the delegate, if any, to connect. */
  @Override
  public void requestConnection() {
    if (delegate != null) {
      delegate.requestConnection();
    }
  }

  /** {@code shutdown} shuts the delegate, if any, down. */
  @Override
  public void shutdown() {
    shutdownDelegate();
  }

  private void failAll(Status cause) {
    shutdownDelegate();
    String name = service != null ? service : helper.getAuthority();
    String reason = cause.getDescription() == null ? cause.getCode().toString() : cause.getDescription();
    Status failure = Status.UNAVAILABLE.withDescription("no SERVING instance of " + name + ": " + reason)
        .withCause(cause.getCause());
    helper.updateBalancingState(ConnectivityState.TRANSIENT_FAILURE,
        new FixedResultPicker(PickResult.withError(failure)));
  }

  private void shutdownDelegate() {
    if (delegate != null) {
      // Detached first: whatever the old delegate reports while shutting down is not ours to publish.
      delegateHelper.detached = true;
      delegate.shutdown();
      delegate = null;
      delegateHelper = null;
    }
  }

  /** The channel's helper as seen by one delegate: silenced once that delegate is shut down. */
  private final class DelegateHelper extends ForwardingLoadBalancerHelper {
    boolean detached;

    @Override
    protected Helper delegate() {
      return helper;
    }

    @Override
    public void updateBalancingState(ConnectivityState state, SubchannelPicker picker) {
      if (!detached) {
        helper.updateBalancingState(state, picker);
      }
    }

    @Override
    public void refreshNameResolution() {
      if (!detached) {
        helper.refreshNameResolution();
      }
    }
  }
}
