package dev.vertice.controlplane.server;

import com.google.protobuf.util.Durations;
import com.google.rpc.BadRequest;
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
import dev.vertice.api.registry.v1.RegisterBatchRequest;
import dev.vertice.api.registry.v1.RegisterBatchResponse;
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
import dev.vertice.controlplane.store.RegistrationRequest;
import dev.vertice.controlplane.store.RegistryStore;
import dev.vertice.controlplane.store.StoreUnavailableException;
import dev.vertice.security.auth.Authorizer;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code RegistryGrpcService} translates RegistryService calls into store writes and registry-view reads:
 * validation and normalisation here, state there.
 */
public final class RegistryGrpcService extends RegistryServiceGrpc.RegistryServiceImplBase {

  /** Most distinct leases one KeepAlive stream may carry. */
  public static final int MAX_LEASES_PER_STREAM = 1024;

  /** Most pings one KeepAlive stream has requested and not yet answered (its inbound window). */
  static final int KEEPALIVE_WINDOW = 256;

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
    if (refusedLocalAddress(instance)) {
      Validation local = new Validation();
      local.violation("instance.address", LOCAL_ADDRESS);
      response.onError(GrpcErrors.invalidArgument(local.violations()));
      return;
    }
    store.registerBatch(List.of(new RegistrationRequest(instance, ttl, keepalive))).whenComplete((done, e) -> {
      if (e != null) {
        response.onError(storeError(e));
        return;
      }
      response.onNext(answer(done.get(0)));
      response.onCompleted();
    });
  }

  /**
   * Validates every entry as {@link #register} does (violations named {@code entries[i].<field>}),
   * authorizes each, then writes the batch all or none without holding a thread while the store works.
   */
  @Override
  public void registerBatch(RegisterBatchRequest request, StreamObserver<RegisterBatchResponse> response) {
    int limit = store.config().maxBatchSize();
    Validation v = new Validation();
    if (request.getEntriesCount() == 0) {
      v.violation("entries", "is empty");
    } else if (request.getEntriesCount() > limit) {
      v.violation("entries", request.getEntriesCount() + " entries exceed the limit of " + limit
          + " per call (the server's --max-batch-size)");
    }
    if (!v.ok()) {
      response.onError(GrpcErrors.invalidArgument(v.violations()));
      return;
    }
    List<RegistrationRequest> entries = new ArrayList<>(request.getEntriesCount());
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < request.getEntriesCount(); i++) {
      RegisterRequest entry = request.getEntries(i);
      Validation one = new Validation();
      Instance instance = one.instance(entry);
      Duration ttl = one.ttl(entry, store.config());
      Duration keepalive = one.keepalive(entry, store.config(), ttl);
      String prefix = "entries[" + i + "].";
      for (BadRequest.FieldViolation f : one.violations()) {
        v.violation(prefix + f.getField(), f.getDescription());
      }
      if (!one.ok()) {
        continue;
      }
      if (!instance.getInstanceId().isEmpty()) {
        Integer first = seen.putIfAbsent(instance.getService() + "/" + instance.getInstanceId(), i);
        if (first != null) {
          v.violation(prefix + "instance.instance_id", "'" + instance.getInstanceId() + "' of service "
              + instance.getService() + " repeats entries[" + first + "]; a batch names each instance once");
          continue;
        }
      }
      entries.add(new RegistrationRequest(instance, ttl, keepalive));
    }
    if (!v.ok()) {
      response.onError(GrpcErrors.invalidArgument(v.violations()));
      return;
    }
    for (int i = 0; i < entries.size(); i++) {
      String service = entries.get(i).instance().getService();
      try {
        // Per entry, as Register: each counts against the caller's registration rate limit too.
        authorizer.checkWrite(Authorizer.Write.REGISTER, service);
      } catch (StatusRuntimeException denied) {
        // The same status, naming the entry: the caller learns which one it may not write.
        response.onError(denied.getStatus().withDescription("entries[" + i + "]: "
            + denied.getStatus().getDescription()).asRuntimeException(denied.getTrailers()));
        return;
      }
      if (refusedLocalAddress(entries.get(i).instance())) {
        v.violation("entries[" + i + "].instance.address", LOCAL_ADDRESS);
      }
    }
    if (!v.ok()) {
      response.onError(GrpcErrors.invalidArgument(v.violations()));
      return;
    }
    store.registerBatch(entries).whenComplete((done, e) -> {
      if (e != null) {
        response.onError(storeError(e));
        return;
      }
      RegisterBatchResponse.Builder out = RegisterBatchResponse.newBuilder();
      for (Registration r : done) {
        out.addResults(answer(r));
      }
      response.onNext(out.build());
      response.onCompleted();
    });
  }

  private static final String LOCAL_ADDRESS = "is a loopback, link-local or unspecified address; with auth on only an"
      + " admin may register one";

  /**
   * With auth on, a workload must not point its service at the gateways' own loopback ports or at a
   * cloud metadata endpoint (169.254.169.254): every gateway would send that traffic there.
   */
  private boolean refusedLocalAddress(Instance instance) {
    return authorizer.enabled() && Validation.isHostLocal(instance.getAddress()) && !callerIsAdmin();
  }

  /** The status of a failed store write. */
  private static StatusRuntimeException storeError(Throwable e) {
    Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    if (cause instanceof CapacityExceededException) {
      return GrpcErrors.resourceExhausted(cause.getMessage());
    }
    if (cause instanceof StoreUnavailableException) {
      return GrpcErrors.unavailable(cause.getMessage());
    }
    return io.grpc.Status.INTERNAL.withDescription("registration failed").withCause(cause).asRuntimeException();
  }

  private RegisterResponse answer(Registration r) {
    return RegisterResponse.newBuilder()
        .setInstanceId(r.instance().getInstanceId())
        .setService(r.instance().getService())
        .setLease(Lease.newBuilder()
            .setLeaseId(r.leaseId())
            .setTtl(Durations.fromNanos(r.ttl().toNanos()))
            .setKeepaliveInterval(Durations.fromNanos(r.keepaliveInterval().toNanos())))
        .setResourceVersion(versions.format(r.resourceVersion()))
        .build();
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
   * One KeepAlive stream. Inbound flow control is manual: at most {@link #KEEPALIVE_WINDOW} pings
   * are requested and not yet answered, and more are requested only while answers can be sent, so a
   * client that stops reading cannot make the server buffer answers. Pings that arrive while the
   * store renews earlier ones are renewed together in the next store call (one Redis script per
   * batch, not per ping); answers go out one per ping, in order.
   */
  private final class KeepAliveCall implements StreamObserver<KeepAliveRequest> {
    private final ServerCallStreamObserver<KeepAliveResponse> out;
    /** Leases this stream's caller was found allowed to keep alive (auth on only). */
    private final Set<String> authorized = new HashSet<>(); // guarded by this
    private final String id = streamPrefix + streams.incrementAndGet();
    private final Set<String> leases = new HashSet<>(); // guarded by this
    /** Pings received and not yet handed to the store. */
    private final List<String> queued = new ArrayList<>(); // guarded by this
    /** Whether a store call for this stream is out. */
    private boolean renewing; // guarded by this
    /** Pings requested from the client and not yet answered. */
    private int unanswered; // guarded by this
    private boolean done; // guarded by this
    private boolean wantMore; // guarded by this

    KeepAliveCall(ServerCallStreamObserver<KeepAliveResponse> out) {
      this.out = out;
      out.disableAutoRequest();
      out.setOnReadyHandler(this::onReady);
      out.setOnCancelHandler(this::ended);
      unanswered = KEEPALIVE_WINDOW;
      out.request(KEEPALIVE_WINDOW);
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
        // Counted at once, so that a window of pings for new leases cannot pass the limit above.
        leases.add(leaseId);
        queued.add(leaseId);
        if (!renewing) {
          renewLocked();
        }
      }
    }

    /** Caller holds this: hands every queued ping to the store in one call. */
    private void renewLocked() {
      List<String> batch = List.copyOf(queued);
      queued.clear();
      renewing = true;
      store.keepAliveBatch(batch, id).whenComplete((remaining, e) -> renewed(batch, remaining, e));
    }

    private void renewed(List<String> batch, long[] remaining, Throwable e) {
      synchronized (this) {
        renewing = false;
        if (done) {
          return;
        }
        if (e != null) {
          Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
          failLocked(GrpcErrors.unavailable(cause.getMessage()), false);
          return;
        }
        for (int i = 0; i < batch.size(); i++) {
          String leaseId = batch.get(i);
          KeepAliveResponse.Builder answer = KeepAliveResponse.newBuilder().setLeaseId(leaseId);
          if (remaining[i] < 0) {
            // Answered per ping so that the other leases on this stream are not disturbed.
            leases.remove(leaseId);
            answer.setExpired(true);
          } else {
            answer.setRemainingTtl(Durations.fromNanos(remaining[i]));
          }
          out.onNext(answer.build());
        }
        unanswered -= batch.size();
        if (out.isReady()) {
          requestMoreLocked();
        } else {
          wantMore = true;
        }
        if (!queued.isEmpty()) {
          renewLocked();
        }
      }
    }

    /** Caller holds this: tops the requested pings up to the window. */
    private void requestMoreLocked() {
      int more = KEEPALIVE_WINDOW - unanswered;
      if (more > 0) {
        unanswered += more;
        out.request(more);
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
          requestMoreLocked();
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
