package dev.vertice.controlplane.server;

import com.google.protobuf.Any;
import dev.vertice.api.discovery.v1.DiscoveryServiceGrpc;
import dev.vertice.api.discovery.v1.WatchRequest;
import dev.vertice.api.discovery.v1.WatchResponse;
import dev.vertice.common.ResourceTypes;
import dev.vertice.controlplane.push.PushBatch;
import dev.vertice.controlplane.push.PushEngine;
import dev.vertice.controlplane.push.PushLimitExceededException;
import dev.vertice.controlplane.push.PushSink;
import dev.vertice.controlplane.push.Resource;
import dev.vertice.controlplane.push.Subscriber;
import dev.vertice.controlplane.push.SubscriberCloseReason;
import dev.vertice.controlplane.push.Versions;
import dev.vertice.security.auth.Authorizer;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * {@code DiscoveryGrpcService} adapts Watch streams to {@link PushEngine} subscribers: it
 * validates requests, normalises names, and turns batches into WatchResponses. All protocol state
 * lives in the engine's {@link Subscriber}.
 */
public final class DiscoveryGrpcService extends DiscoveryServiceGrpc.DiscoveryServiceImplBase {

  private static final Logger log = Logger.getLogger(DiscoveryGrpcService.class.getName());

  private final PushEngine engine;
  private final Authorizer authorizer;

  /** Creates the service with auth off. */
  public DiscoveryGrpcService(PushEngine engine) {
    this(engine, Authorizer.ALLOW_ALL);
  }

  /**
   * Creates the service: a stream receives only the services {@code authorizer} lets its caller see
   * (a wildcard subscription delivers nothing about the others); a request naming a service not
   * granted ends the stream with PERMISSION_DENIED, and requests that subscribe are rate limited per
   * identity (RESOURCE_EXHAUSTED).
   */
  public DiscoveryGrpcService(PushEngine engine, Authorizer authorizer) {
    this.engine = engine;
    this.authorizer = authorizer;
  }

  @Override
  public StreamObserver<WatchRequest> watch(StreamObserver<WatchResponse> response) {
    return new WatchCall((ServerCallStreamObserver<WatchResponse>) response);
  }

  /** One Watch stream: the transport side of a subscriber. */
  private final class WatchCall implements StreamObserver<WatchRequest>, PushSink {
    private final ServerCallStreamObserver<WatchResponse> out;
    private volatile Subscriber subscriber;
    private boolean closed; // guarded by this: no call on `out` after it ended

    WatchCall(ServerCallStreamObserver<WatchResponse> out) {
      this.out = out;
      out.setOnReadyHandler(() -> {
        Subscriber s = subscriber;
        if (s != null) {
          s.onReady();
        }
      });
      out.setOnCancelHandler(this::clientGone);
    }

    @Override
    public void onNext(WatchRequest request) {
      if (subscriber == null) {
        String nodeId = request.getNode().getId().isEmpty() ? "anonymous" : request.getNode().getId();
        String kind = request.getNode().getKind().isEmpty() ? "client" : request.getNode().getKind();
        try {
          subscriber = engine.open(Validation.clip(nodeId), Validation.clip(kind), this,
              authorizer.visibleServices());
        } catch (IllegalStateException shuttingDown) {
          fail(GrpcErrors.shuttingDown());
          return;
        } catch (StatusRuntimeException denied) {
          fail(denied);
          return;
        }
      }
      Validation v = new Validation();
      String type = request.getTypeUrl();
      // Watch serves Vertice's own types; the engine's xDS types are served on ADS only.
      if (!ResourceTypes.ENDPOINTS.equals(type) && !ResourceTypes.TRAFFIC_POLICY.equals(type)) {
        v.violation("type_url", "unknown resource type '" + Validation.clip(type) + "'; served: "
            + ResourceTypes.ENDPOINTS + ", " + ResourceTypes.TRAFFIC_POLICY);
        fail(GrpcErrors.invalidArgument(v.violations()));
        return;
      }
      List<String> subscribe = names(v, "subscribe", request.getSubscribeList());
      List<String> unsubscribe = names(v, "unsubscribe", request.getUnsubscribeList());
      Map<String, String> initial = new HashMap<>();
      for (Map.Entry<String, String> e : request.getInitialResourceVersionsMap().entrySet()) {
        String name = v.service("initial_resource_versions[" + Validation.clip(e.getKey()) + "]", e.getKey());
        if (name != null) {
          initial.put(name, e.getValue());
        }
      }
      if (!v.ok()) {
        fail(GrpcErrors.invalidArgument(v.violations()));
        return;
      }
      if (!subscribe.isEmpty()) {
        try {
          List<String> named = new ArrayList<>(subscribe);
          named.removeIf(ResourceTypes.WILDCARD::equals);
          authorizer.checkWatch(named);
          authorizer.checkSubscribe();
        } catch (StatusRuntimeException denied) {
          fail(denied);
          return;
        }
      }
      Subscriber s = subscriber;
      if (!request.getResponseNonce().isEmpty()) {
        String nack = request.hasErrorDetail() ? request.getErrorDetail().getMessage() : null;
        if (nack != null) {
          log.warning(() -> "NACK from " + s.nodeId() + " (" + s.nodeKind() + ") for " + type + " nonce "
              + Validation.clip(request.getResponseNonce()) + ": " + Validation.clip(nack));
        }
        s.answer(request.getResponseNonce(), nack);
      }
      if (!unsubscribe.isEmpty()) {
        s.unsubscribe(type, unsubscribe);
      }
      if (!subscribe.isEmpty() || !initial.isEmpty()) {
        try {
          s.subscribe(type, subscribe, initial);
        } catch (PushLimitExceededException e) {
          fail(GrpcErrors.resourceExhausted(e.getMessage()));
        }
      }
    }

    @Override
    public void onError(Throwable t) {
      clientGone();
    }

    @Override
    public void onCompleted() {
      synchronized (this) {
        if (!closed) {
          closed = true;
          out.onCompleted();
        }
      }
      clientGone();
    }

    // --- PushSink: called from the subscriber's drain loop ---

    @Override
    public boolean isReady() {
      return out.isReady();
    }

    @Override
    public boolean send(PushBatch batch) {
      Versions versions = engine.versions();
      WatchResponse.Builder r = WatchResponse.newBuilder()
          .setTypeUrl(batch.typeUrl())
          .setSystemVersion(versions.format(batch.systemVersion()))
          .setNonce(batch.nonce())
          .addAllRemovedResources(batch.removed());
      for (Resource res : batch.resources()) {
        r.addResourcesBuilder()
            .setName(res.name())
            .setVersion(versions.format(res.version()))
            .setResource((Any) res.value());
      }
      synchronized (this) {
        if (closed) {
          return false;
        }
        out.onNext(r.build());
        return true;
      }
    }

    @Override
    public void close(SubscriberCloseReason reason) {
      fail(GrpcErrors.shuttingDown());
    }

    private List<String> names(Validation v, String field, List<String> raw) {
      List<String> out = new ArrayList<>(raw.size());
      for (int i = 0; i < raw.size(); i++) {
        String n = raw.get(i);
        if (ResourceTypes.WILDCARD.equals(n)) {
          out.add(n);
        } else {
          String canonical = v.service(field + "[" + i + "]", n);
          if (canonical != null) {
            out.add(canonical);
          }
        }
      }
      return out;
    }

    private void fail(StatusRuntimeException status) {
      synchronized (this) {
        if (closed) {
          return;
        }
        closed = true;
        try {
          out.onError(status);
        } catch (IllegalStateException alreadyCancelled) {
          // The client is gone already.
        }
      }
      clientGone();
    }

    private void clientGone() {
      Subscriber s = subscriber;
      if (s != null) {
        s.onStreamClosed();
      }
    }
  }
}
