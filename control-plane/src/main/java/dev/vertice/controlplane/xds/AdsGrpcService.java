package dev.vertice.controlplane.xds;

import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import dev.vertice.common.ResourceTypes;
import dev.vertice.controlplane.push.PushBatch;
import dev.vertice.controlplane.push.PushEngine;
import dev.vertice.controlplane.push.Resource;
import dev.vertice.controlplane.push.Subscriber;
import dev.vertice.controlplane.server.EncodedMessage;
import dev.vertice.controlplane.server.GrpcErrors;
import dev.vertice.controlplane.server.PreEncodedResponses;
import dev.vertice.controlplane.server.PushStream;
import dev.vertice.security.auth.Authorizer;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code AdsGrpcService} serves Envoy's Aggregated Discovery Service (xDS v3, state of the world)
 * from the push engine: gRPC xDS clients and Envoy receive the {@link XdsResources} projection of
 * the registry with the same coalescing, flow control and convergence accounting as Vertice's own
 * Watch.
 *
 * <p>Each ADS stream is one push-engine {@link Subscriber}. A request's {@code resource_names}
 * (the full set the client wants, per the state-of-the-world protocol) is diffed against the
 * previous one into subscribes and unsubscribes; an empty list on the first LDS or CDS request is
 * the legacy wildcard. A request's {@code response_nonce} answers that response: an ACK, or a
 * NACK when {@code error_detail} is set; both feed the convergence tracker as a Watch ACK or NACK
 * does. Each pushed batch becomes a DiscoveryResponse whose {@code version_info} is the engine's
 * revision and whose nonce is the batch's; for LDS and CDS the response lists every subscribed
 * resource the client holds (a missing one would be deleted), for RDS and EDS only the changed
 * ones.
 *
 * <p>The stream handling shared with Watch (opening the subscriber, flow control, authorization,
 * ending the stream once) is {@link PushStream}; this class holds only the xDS translation.
 *
 * <p>Incremental (delta) xDS is not served (UNIMPLEMENTED): grpc-java, grpc-js and Envoy use
 * state of the world unless told otherwise. Errors end the stream: INVALID_ARGUMENT with a
 * {@code google.rpc.BadRequest} for a type not served or a bad resource name, RESOURCE_EXHAUSTED
 * beyond the subscriptions-per-stream limit, UNAVAILABLE when the server shuts down.
 */
public final class AdsGrpcService implements AggregatedDiscoveryServiceGrpc.AsyncService, BindableService {

  /** Longest resource name accepted in a request. */
  public static final int MAX_NAME_LENGTH = 256;

  private final PushEngine engine;
  private final Authorizer authorizer;
  private final Runnable beforeStream;

  /** Creates the service over {@code engine}, which must serve the {@link XdsTypes}, with auth off. */
  public AdsGrpcService(PushEngine engine) {
    this(engine, Authorizer.ALLOW_ALL);
  }

  /**
   * Creates the service over {@code engine}: a stream receives only the resources of services
   * {@code authorizer} lets its caller see (the service of a resource is its name up to the first
   * {@code /}); naming a resource of another service ends the stream with PERMISSION_DENIED; requests
   * that subscribe are rate limited per identity (RESOURCE_EXHAUSTED).
   */
  public AdsGrpcService(PushEngine engine, Authorizer authorizer) {
    this(engine, authorizer, () -> { });
  }

  /**
   * Creates the service like {@link #AdsGrpcService(PushEngine, Authorizer)}, running {@code
   * beforeStream} as each stream opens, before its first request is read: {@link
   * XdsResources#activate()}, so that the projection is built only once an xDS client connects.
   */
  public AdsGrpcService(PushEngine engine, Authorizer authorizer, Runnable beforeStream) {
    this.engine = engine;
    this.authorizer = authorizer;
    this.beforeStream = java.util.Objects.requireNonNull(beforeStream, "beforeStream");
  }

  /** Returns the service a resource name belongs to: the name up to the first {@code /} (subset clusters). */
  static String serviceOf(String resourceName) {
    int slash = resourceName.indexOf(XdsMapping.SUBSET_SEPARATOR);
    return slash < 0 ? resourceName : resourceName.substring(0, slash);
  }

  @Override
  public StreamObserver<DiscoveryRequest> streamAggregatedResources(StreamObserver<DiscoveryResponse> response) {
    beforeStream.run();
    return new AdsCall((ServerCallStreamObserver<DiscoveryResponse>) response);
  }

  /** Returns the subscriber's kind for metrics: "xds-" and the client's user agent, such as "xds-envoy". */
  static String nodeKind(Node node) {
    String agent = node.getUserAgentName().replaceAll("[^A-Za-z0-9._-]", "");
    return agent.isEmpty() ? "xds" : "xds-" + clip(agent, 32);
  }

  private static String clip(String s, int max) {
    return dev.vertice.common.LogText.safe(s.length() <= max ? s : s.substring(0, max) + "...");
  }

  /** What one stream subscribes to, for one type. */
  private static final class TypeState {
    /** The names subscribed, "*" included when the client asked for every resource. */
    final Set<String> names = new LinkedHashSet<>();
    /** The first request for the type asked for no name: the legacy wildcard (LDS and CDS). */
    boolean legacyWildcard;
    /** LDS and CDS: what the client holds, name to value; every response repeats it. */
    final Map<String, Resource> held = new LinkedHashMap<>();
  }

  /** One ADS stream: Envoy's DiscoveryRequest and DiscoveryResponse over a {@link PushStream}. */
  private final class AdsCall extends PushStream<DiscoveryRequest, DiscoveryResponse> {
    // guarded by this (the stream's monitor)
    private final Map<String, TypeState> types = new HashMap<>();

    AdsCall(ServerCallStreamObserver<DiscoveryResponse> out) {
      super(out, engine, authorizer, "xDS");
    }

    @Override
    protected String nodeId(DiscoveryRequest first) {
      return first.getNode().getId().isEmpty() ? "anonymous" : clip(first.getNode().getId(), 128);
    }

    @Override
    protected String nodeKind(DiscoveryRequest first) {
      return AdsGrpcService.nodeKind(first.getNode());
    }

    @Override
    protected String nodeZone(DiscoveryRequest first) {
      return clip(first.getNode().getLocality().getZone(), 128);
    }

    @Override
    protected String serviceOf(String resourceName) {
      return AdsGrpcService.serviceOf(resourceName);
    }

    @Override
    protected void handle(DiscoveryRequest request, Subscriber s) {
      String type = request.getTypeUrl();
      List<BadRequest.FieldViolation> violations = new ArrayList<>();
      if (!XdsTypes.ALL.contains(type)) {
        violations.add(GrpcErrors.violation("type_url", "type '" + clip(type, 200) + "' is not served; served: "
            + String.join(", ", XdsTypes.ALL)));
      }
      List<String> names = request.getResourceNamesList();
      for (int i = 0; i < names.size(); i++) {
        String n = names.get(i);
        if (n.isEmpty() || n.length() > MAX_NAME_LENGTH) {
          violations.add(GrpcErrors.violation("resource_names[" + i + "]",
              "a resource name must have 1-" + MAX_NAME_LENGTH + " characters (got " + n.length() + ")"));
        }
      }
      if (!violations.isEmpty()) {
        fail(GrpcErrors.invalidArgument(violations));
        return;
      }
      answer(s, type, request.getResponseNonce(),
          request.hasErrorDetail() ? request.getErrorDetail().getMessage() : null);
      List<String> add = new ArrayList<>();
      List<String> remove = new ArrayList<>();
      synchronized (this) {
        if (isClosed()) {
          return;
        }
        TypeState ts = types.get(type);
        if (ts == null) {
          ts = new TypeState();
          types.put(type, ts);
          ts.legacyWildcard = names.isEmpty() && XdsTypes.fullState(type);
        }
        Set<String> wanted = new LinkedHashSet<>(names);
        if (ts.legacyWildcard) {
          if (wanted.isEmpty()) {
            wanted.add(ResourceTypes.WILDCARD);
          } else {
            // Naming resources ends the legacy wildcard (xDS protocol, "how the client specifies...").
            ts.legacyWildcard = false;
          }
        }
        for (String n : wanted) {
          if (!ts.names.contains(n)) {
            add.add(n);
          }
        }
        for (String n : ts.names) {
          if (!wanted.contains(n)) {
            remove.add(n);
          }
        }
        ts.names.clear();
        ts.names.addAll(wanted);
        if (!remove.isEmpty() && XdsTypes.fullState(type)) {
          if (!wanted.contains(ResourceTypes.WILDCARD)) {
            ts.held.keySet().retainAll(wanted);
          }
        }
      }
      if (!remove.isEmpty()) {
        s.unsubscribe(type, remove);
      }
      if (!add.isEmpty() && authorize(add)) {
        subscribe(s, type, add, Map.of());
      }
    }

    @Override
    protected EncodedMessage render(PushBatch batch) {
      TypeState ts = types.get(batch.typeUrl());
      Collection<Resource> resources = batch.resources();
      if (XdsTypes.fullState(batch.typeUrl())) {
        Map<String, Resource> held = ts != null ? ts.held : new LinkedHashMap<>();
        for (Resource res : batch.resources()) {
          held.put(res.name(), res);
        }
        for (String gone : batch.removed()) {
          held.remove(gone);
        }
        resources = held.values();
      }
      return encode(batch, resources);
    }
  }

  /**
   * Returns {@code batch} as the bytes of a {@link DiscoveryResponse} listing {@code resources},
   * identical to protobuf's encoding of the response built field by field: each resource's {@code
   * resources} field is encoded once per version and shared by every stream that receives it.
   */
  EncodedMessage encode(PushBatch batch, Collection<Resource> resources) {
    EncodedMessage.Builder m = EncodedMessage.builder(3 + resources.size());
    m.add(EncodedMessage.stringField(DiscoveryResponse.VERSION_INFO_FIELD_NUMBER,
        engine.versions().format(Math.max(1, batch.systemVersion()))));
    for (Resource res : resources) {
      m.add(res.encoded(this, AdsGrpcService::resourceField));
    }
    m.add(EncodedMessage.stringField(DiscoveryResponse.TYPE_URL_FIELD_NUMBER, batch.typeUrl()));
    m.add(EncodedMessage.stringField(DiscoveryResponse.NONCE_FIELD_NUMBER, batch.nonce()));
    return m.build();
  }

  private static byte[] resourceField(Resource res) {
    return EncodedMessage.messageField(DiscoveryResponse.RESOURCES_FIELD_NUMBER, ((Any) res.value()).toByteArray());
  }

  /**
   * Returns the service's definition, its responses written from pre-encoded pieces ({@link
   * PreEncodedResponses}): bind this, not the generated one.
   */
  @Override
  public ServerServiceDefinition bindService() {
    return PreEncodedResponses.accepting(AggregatedDiscoveryServiceGrpc.bindService(this));
  }
}
