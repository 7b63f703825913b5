package dev.vertice.controlplane.server;

import com.google.protobuf.Any;
import dev.vertice.api.discovery.v1.DiscoveryServiceGrpc;
import dev.vertice.api.discovery.v1.WatchRequest;
import dev.vertice.api.discovery.v1.WatchResponse;
import dev.vertice.common.ResourceTypes;
import dev.vertice.controlplane.push.PushBatch;
import dev.vertice.controlplane.push.PushEngine;
import dev.vertice.controlplane.push.Resource;
import dev.vertice.controlplane.push.Subscriber;
import dev.vertice.security.auth.Authorizer;
import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code DiscoveryGrpcService} adapts Watch streams to {@link PushEngine} subscribers: it
 * validates requests, normalises names, and turns batches into WatchResponses. The stream handling
 * shared with ADS is {@link PushStream}; all protocol state lives in the engine's {@link
 * Subscriber}.
 */
public final class DiscoveryGrpcService implements DiscoveryServiceGrpc.AsyncService, BindableService {

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

  /**
   * Returns the service's definition, its responses written from pre-encoded pieces ({@link
   * PreEncodedResponses}): bind this, not the generated one.
   */
  @Override
  public ServerServiceDefinition bindService() {
    return PreEncodedResponses.accepting(DiscoveryServiceGrpc.bindService(this));
  }

  /**
   * Returns {@code batch} as the bytes of a {@link WatchResponse}, identical to protobuf's encoding of
   * the response built field by field: each resource is encoded once per version (as its {@code
   * resources} field) and its bytes shared by every stream that receives it; only the type, the
   * system version, removed names and the nonce are encoded per response.
   */
  EncodedMessage encode(PushBatch batch) {
    EncodedMessage.Builder m = EncodedMessage.builder(4 + batch.resources().size() + batch.removed().size());
    m.add(typeUrlField(batch.typeUrl()));
    m.add(EncodedMessage.stringField(WatchResponse.SYSTEM_VERSION_FIELD_NUMBER,
        engine.versions().format(batch.systemVersion())));
    for (Resource res : batch.resources()) {
      m.add(res.encoded(this, this::resourceField));
    }
    for (String gone : batch.removed()) {
      m.add(EncodedMessage.stringField(WatchResponse.REMOVED_RESOURCES_FIELD_NUMBER, gone));
    }
    m.add(EncodedMessage.stringField(WatchResponse.NONCE_FIELD_NUMBER, batch.nonce()));
    return m.build();
  }

  private byte[] resourceField(Resource res) {
    byte[] message = dev.vertice.api.discovery.v1.Resource.newBuilder()
        .setName(res.name())
        .setVersion(engine.versions().format(res.version()))
        .setResource((Any) res.value())
        .build()
        .toByteArray();
    return EncodedMessage.messageField(WatchResponse.RESOURCES_FIELD_NUMBER, message);
  }

  private static final byte[] ENDPOINTS_TYPE =
      EncodedMessage.stringField(WatchResponse.TYPE_URL_FIELD_NUMBER, ResourceTypes.ENDPOINTS);
  private static final byte[] TRAFFIC_POLICY_TYPE =
      EncodedMessage.stringField(WatchResponse.TYPE_URL_FIELD_NUMBER, ResourceTypes.TRAFFIC_POLICY);

  private static byte[] typeUrlField(String typeUrl) {
    if (ResourceTypes.ENDPOINTS.equals(typeUrl)) {
      return ENDPOINTS_TYPE;
    }
    if (ResourceTypes.TRAFFIC_POLICY.equals(typeUrl)) {
      return TRAFFIC_POLICY_TYPE;
    }
    return EncodedMessage.stringField(WatchResponse.TYPE_URL_FIELD_NUMBER, typeUrl);
  }

  @Override
  public StreamObserver<WatchRequest> watch(StreamObserver<WatchResponse> response) {
    return new WatchCall((ServerCallStreamObserver<WatchResponse>) response);
  }

  /** One Watch stream: Vertice's own request and response messages over a {@link PushStream}. */
  private final class WatchCall extends PushStream<WatchRequest, WatchResponse> {

    WatchCall(ServerCallStreamObserver<WatchResponse> out) {
      super(out, engine, authorizer, "Watch");
    }

    @Override
    protected String nodeId(WatchRequest first) {
      return Validation.clip(first.getNode().getId().isEmpty() ? "anonymous" : first.getNode().getId());
    }

    @Override
    protected String nodeKind(WatchRequest first) {
      return Validation.clip(first.getNode().getKind().isEmpty() ? "client" : first.getNode().getKind());
    }

    @Override
    protected String nodeZone(WatchRequest first) {
      return Validation.clip(first.getNode().getZone());
    }

    @Override
    protected void handle(WatchRequest request, Subscriber s) {
      Validation v = new Validation();
      String type = request.getTypeUrl();
      // Watch serves Vertice's own types; the engine's xDS types are served on ADS only.
      if (!ResourceTypes.ENDPOINTS.equals(type) && !ResourceTypes.TRAFFIC_POLICY.equals(type)) {
        v.violation("type_url", "unknown resource type '" + Validation.clip(type) + "'; served: "
            + ResourceTypes.ENDPOINTS + ", " + ResourceTypes.TRAFFIC_POLICY);
        fail(GrpcErrors.invalidArgument(v.violations()));
        return;
      }
      if (request.getSubscribeCount() == 0 && request.getUnsubscribeCount() == 0
          && request.getInitialResourceVersionsCount() == 0) {
        // A plain ACK or NACK, the most frequent request by far: no name to read or check.
        answer(s, type, request.getResponseNonce(),
            request.hasErrorDetail() ? request.getErrorDetail().getMessage() : null);
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
      if (!subscribe.isEmpty() && !authorize(subscribe)) {
        return;
      }
      answer(s, type, request.getResponseNonce(),
          request.hasErrorDetail() ? request.getErrorDetail().getMessage() : null);
      if (!unsubscribe.isEmpty()) {
        s.unsubscribe(type, unsubscribe);
      }
      if (!subscribe.isEmpty() || !initial.isEmpty()) {
        subscribe(s, type, subscribe, initial);
      }
    }

    @Override
    protected EncodedMessage render(PushBatch batch) {
      return encode(batch);
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
  }
}
