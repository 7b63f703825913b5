package dev.vertice.controlplane.server;

import com.google.protobuf.util.Durations;
import dev.vertice.api.registry.v1.DeregisterRequest;
import dev.vertice.api.registry.v1.DeregisterResponse;
import dev.vertice.api.registry.v1.GetServiceRequest;
import dev.vertice.api.registry.v1.GetServiceResponse;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.KeepAliveRequest;
import dev.vertice.api.registry.v1.KeepAliveResponse;
import dev.vertice.api.registry.v1.Lease;
import dev.vertice.api.registry.v1.ListServicesRequest;
import dev.vertice.api.registry.v1.ListServicesResponse;
import dev.vertice.api.registry.v1.RegisterRequest;
import dev.vertice.api.registry.v1.RegisterResponse;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.api.registry.v1.SetHealthRequest;
import dev.vertice.api.registry.v1.SetHealthResponse;
import dev.vertice.controlplane.push.Versions;
import dev.vertice.controlplane.registry.RegistryView;
import dev.vertice.controlplane.registry.ServiceSummary;
import dev.vertice.controlplane.registry.ServiceView;
import dev.vertice.controlplane.store.CapacityExceededException;
import dev.vertice.controlplane.store.NotFoundException;
import dev.vertice.controlplane.store.Registration;
import dev.vertice.controlplane.store.RegistryStore;
import dev.vertice.controlplane.store.StoreUnavailableException;
import dev.vertice.security.auth.Authorizer;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.HashSet;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code RegistryGrpcService} translates RegistryService calls into store writes and registry-view reads:
 * validation and normalisation here, state there.
 */
public final class RegistryGrpcService extends RegistryServiceGrpc.RegistryServiceImplBase {

  /** Most distinct leases one KeepAlive stream may carry. */
  public static final int MAX_LEASES_PER_STREAM = 1024;

  private final RegistryStore store;
  private final RegistryView registry;
  private final Versions versions;
  private final Authorizer authorizer;
  private final Set<KeepAliveCall> keepAliveCalls = ConcurrentHashMap.newKeySet();
  /** Names this server's KeepAlive streams uniquely, also among replicas sharing a store. */
  private final String streamPrefix = Long.toHexString(new java.security.SecureRandom().nextLong()) + "-";
  private final java.util.concurrent.atomic.AtomicLong streams = new java.util.concurrent.atomic.AtomicLong();
  private volatile boolean shuttingDown;

  /**
   * Creates the service: writes go to {@code store}, reads come from {@code view} (the one the store writes), and resource
   * versions are rendered with {@code versions}.
   */
  public RegistryGrpcService(RegistryStore store, RegistryView view, Versions versions) {
    this(store, view, versions, Authorizer.ALLOW_ALL);
  }

  /**
   * Creates the service like {@link #RegistryGrpcService(RegistryStore, RegistryView, Versions)}, with {@code authorizer}
   * deciding per request: writes (Register, KeepAlive, SetHealth, Deregister) only to the caller's
   * own service's instances, reads (GetService, ListServices) only of services it may watch.
   * A denied call changes nothing.
   */
  public RegistryGrpcService(RegistryStore store, RegistryView view, Versions versions, Authorizer authorizer) {
    this.store = store;
    this.registry = view;
    this.versions = versions;
    this.authorizer = authorizer;
  }

  private static boolean callerIsAdmin() {
    return dev.vertice.security.auth.AuthContext.identity()
        .map(i -> i.kind() == dev.vertice.security.auth.Identity.Kind.ADMIN).orElse(false);
  }

  @Override
  public void register(RegisterRequest request, StreamObserver<RegisterResponse> response) {
    Validation v = new Validation();
    Instance instance = v.instance(request);
    Duration ttl = v.ttl(request, store.config());
    Duration keepalive = v.keepalive(request, store.config(), ttl);
    if (!v.ok()) {
      response.onError(GrpcErrors.invalidArgument(v.violations()));
      return;
    }
    try {
      authorizer.checkWrite(Authorizer.Write.REGISTER, instance.getService());
    } catch (StatusRuntimeException denied) {
      response.onError(denied);
      return;
    }
    if (authorizer.enabled() && Validation.isHostLocal(instance.getAddress()) && !callerIsAdmin()) {
      // With auth on, a workload must not point its service at the gateways' own loopback ports or at
      // a cloud metadata endpoint (169.254.169.254): every gateway would send that traffic there.
      Validation local = new Validation();
      local.violation("instance.address", "is a loopback, link-local or unspecified address; with auth on only an"
          + " admin may register one");
      response.onError(GrpcErrors.invalidArgument(local.violations()));
      return;
    }
    Registration r;
    try {
      r = store.register(instance, ttl, keepalive);
    } catch (CapacityExceededException e) {
      response.onError(GrpcErrors.resourceExhausted(e.getMessage()));
      return;
    } catch (StoreUnavailableException e) {
      response.onError(GrpcErrors.unavailable(e.getMessage()));
      return;
    }
    response.onNext(RegisterResponse.newBuilder()
        .setInstanceId(r.instance().getInstanceId())
        .setService(r.instance().getService())
        .setLease(Lease.newBuilder()
            .setLeaseId(r.leaseId())
            .setTtl(Durations.fromNanos(r.ttl().toNanos()))
            .setKeepaliveInterval(Durations.fromNanos(r.keepaliveInterval().toNanos())))
        .setResourceVersion(versions.format(r.resourceVersion()))
        .build());
    response.onCompleted();
  }

  @Override
  public void deregister(DeregisterRequest request, StreamObserver<DeregisterResponse> response) {
    Validation v = new Validation();
    String service = v.service("service", request.getService());
    v.instanceId("instance_id", request.getInstanceId());
    write(v, Authorizer.Write.DEREGISTER, service, response, () -> store.deregister(service, request.getInstanceId()),
        version -> DeregisterResponse.newBuilder().setResourceVersion(version).build());
  }

  @Override
  public void setHealth(SetHealthRequest request, StreamObserver<SetHealthResponse> response) {
    Validation v = new Validation();
    String service = v.service("service", request.getService());
    v.instanceId("instance_id", request.getInstanceId());
    v.health("health", request.getHealth());
    write(v, Authorizer.Write.SET_HEALTH, service, response, () -> store.setHealth(service, request.getInstanceId(), request.getHealth()),
        version -> SetHealthResponse.newBuilder().setResourceVersion(version).build());
  }

  /** A write to one existing instance: it returns the service's new version. */
  @FunctionalInterface
  private interface InstanceWrite {
    long run() throws NotFoundException, StoreUnavailableException;
  }

  /** Answers an instance write: its violations, its result, or the store's error, as a status. */
  private <T> void write(Validation v, Authorizer.Write op, String service, StreamObserver<T> response,
      InstanceWrite write, java.util.function.Function<String, T> answer) {
    if (!v.ok()) {
      response.onError(GrpcErrors.invalidArgument(v.violations()));
      return;
    }
    try {
      // The store finds the instance only under the service named, so checking that service suffices.
      authorizer.checkWrite(op, service);
    } catch (StatusRuntimeException denied) {
      response.onError(denied);
      return;
    }
    try {
      response.onNext(answer.apply(versions.format(write.run())));
      response.onCompleted();
    } catch (NotFoundException e) {
      response.onError(GrpcErrors.notFound(e.getMessage()));
    } catch (StoreUnavailableException e) {
      response.onError(GrpcErrors.unavailable(e.getMessage()));
    }
  }

  @Override
  public void listServices(ListServicesRequest request, StreamObserver<ListServicesResponse> response) {
    java.util.function.Predicate<String> visible;
    try {
      visible = authorizer.visibleServices();
    } catch (StatusRuntimeException denied) {
      response.onError(denied);
      return;
    }
    ListServicesResponse.Builder out = ListServicesResponse.newBuilder()
        .setSystemVersion(versions.format(registry.revision()));
    for (ServiceSummary s : registry.services()) {
      if (!visible.test(s.service())) {
        // Not even the name of a service the caller may not see.
        continue;
      }
      out.addServices(dev.vertice.api.registry.v1.ServiceSummary.newBuilder()
          .setService(s.service())
          .setInstanceCount(s.instances())
          .setServingCount(s.serving())
          .setResourceVersion(versions.format(s.version())));
    }
    response.onNext(out.build());
    response.onCompleted();
  }

  @Override
  public void getService(GetServiceRequest request, StreamObserver<GetServiceResponse> response) {
    Validation v = new Validation();
    String service = v.service("service", request.getService());
    if (!v.ok()) {
      response.onError(GrpcErrors.invalidArgument(v.violations()));
      return;
    }
    try {
      authorizer.checkWatch(java.util.List.of(service));
    } catch (StatusRuntimeException denied) {
      response.onError(denied);
      return;
    }
    ServiceView view = registry.service(service);
    if (view == null) {
      response.onError(GrpcErrors.notFound("service '" + service + "' has no instances"));
      return;
    }
    response.onNext(GetServiceResponse.newBuilder()
        .setService(view.service())
        .setResourceVersion(versions.format(view.version()))
        .addAllInstances(view.instances())
        .build());
    response.onCompleted();
  }

  @Override
  public StreamObserver<KeepAliveRequest> keepAlive(StreamObserver<KeepAliveResponse> response) {
    KeepAliveCall call = new KeepAliveCall((ServerCallStreamObserver<KeepAliveResponse>) response);
    keepAliveCalls.add(call);
    if (shuttingDown) {
      call.fail(GrpcErrors.shuttingDown());
    }
    return call;
  }

  /** Ends every KeepAlive stream with UNAVAILABLE so that clients reconnect elsewhere; leases keep their TTL. */
  public void shutdown() {
    shuttingDown = true;
    for (KeepAliveCall call : keepAliveCalls) {
      call.fail(GrpcErrors.shuttingDown());
    }
  }

  /**
   * One KeepAlive stream. Inbound flow control is manual: the next ping is requested only once the
   * answer to the previous one could be sent, so a client that stops reading cannot make the server
   * buffer answers.
   */
  private final class KeepAliveCall implements StreamObserver<KeepAliveRequest> {
    private final ServerCallStreamObserver<KeepAliveResponse> out;
    /** Leases this stream's caller was found allowed to keep alive (auth on only). */
    private final Set<String> authorized = new HashSet<>(); // guarded by this
    private final String id = streamPrefix + streams.incrementAndGet();
    private final Set<String> leases = new HashSet<>(); // guarded by this
    private boolean done; // guarded by this
    private boolean wantMore; // guarded by this

    KeepAliveCall(ServerCallStreamObserver<KeepAliveResponse> out) {
      this.out = out;
      out.disableAutoRequest();
      out.setOnReadyHandler(this::onReady);
      out.setOnCancelHandler(this::ended);
      out.request(1);
    }

    @Override
    public void onNext(KeepAliveRequest ping) {
      synchronized (this) {
        if (done) {
          return;
        }
        String leaseId = ping.getLeaseId();
        if (leaseId.isEmpty()) {
          Validation v = new Validation();
          v.violation("lease_id", "is empty");
          failLocked(GrpcErrors.invalidArgument(v.violations()), true);
          return;
        }
        // A full stream makes room only for a lease that exists: a made-up id must not cost a store
        // call per carried lease (with Redis, a thousand round trips per ping).
        if (!leases.contains(leaseId) && leases.size() >= MAX_LEASES_PER_STREAM && store.hasLease(leaseId)) {
          // Only live leases count: those deregistered or expired since their last ping leave room.
          leases.removeIf(id -> !store.hasLease(id));
          if (leases.size() >= MAX_LEASES_PER_STREAM) {
            failLocked(GrpcErrors.resourceExhausted("a KeepAlive stream carries at most " + MAX_LEASES_PER_STREAM
                + " leases; open another stream"), true);
            return;
          }
        }
        if (authorizer.enabled() && !authorized.contains(leaseId)) {
          try {
            java.util.Optional<String> service = store.leaseService(leaseId);
            if (service.isPresent()) {
              authorizer.checkWrite(Authorizer.Write.KEEP_ALIVE, service.get());
              if (authorized.size() >= MAX_LEASES_PER_STREAM) {
                authorized.clear();
              }
              authorized.add(leaseId);
            }
          } catch (StoreUnavailableException e) {
            failLocked(GrpcErrors.unavailable(e.getMessage()), false);
            return;
          } catch (StatusRuntimeException denied) {
            failLocked(denied, true);
            return;
          }
        }
        OptionalLong remaining;
        try {
          remaining = store.keepAlive(leaseId, id);
        } catch (StoreUnavailableException e) {
          failLocked(GrpcErrors.unavailable(e.getMessage()), false);
          return;
        }
        KeepAliveResponse.Builder answer = KeepAliveResponse.newBuilder().setLeaseId(leaseId);
        if (remaining.isEmpty()) {
          // Answered per ping so that the other leases on this stream are not disturbed.
          leases.remove(leaseId);
          answer.setExpired(true);
        } else {
          leases.add(leaseId);
          answer.setRemainingTtl(Durations.fromNanos(remaining.getAsLong()));
        }
        out.onNext(answer.build());
        if (out.isReady()) {
          out.request(1);
        } else {
          wantMore = true;
        }
      }
    }

    @Override
    public void onError(Throwable t) {
      ended();
    }

    @Override
    public void onCompleted() {
      synchronized (this) {
        if (!done) {
          out.onCompleted();
        }
      }
      ended();
    }

    private void onReady() {
      synchronized (this) {
        if (wantMore && !done) {
          wantMore = false;
          out.request(1);
        }
      }
    }

    /** The client ended the stream (or cancelled it): its leases enter the grace period. */
    private void ended() {
      Set<String> held;
      synchronized (this) {
        boolean serverEnded = done;
        done = true;
        held = serverEnded ? Set.of() : Set.copyOf(leases);
        leases.clear();
      }
      keepAliveCalls.remove(this);
      store.keepAliveStreamEnded(id, held);
    }

    void fail(RuntimeException status) {
      synchronized (this) {
        failLocked(status, false);
      }
    }

    /** Caller holds this. {@code graceForOthers}: the leases still held enter the grace period. */
    private void failLocked(RuntimeException status, boolean graceForOthers) {
      if (done) {
        return;
      }
      done = true;
      Set<String> held = graceForOthers ? Set.copyOf(leases) : Set.of();
      leases.clear();
      keepAliveCalls.remove(this);
      try {
        out.onError(status);
      } catch (IllegalStateException alreadyClosed) {
        // The call was cancelled concurrently; nothing left to tell the client.
      }
      store.keepAliveStreamEnded(id, held);
    }
  }
}
