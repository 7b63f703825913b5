package dev.vertice.api.discovery.v1;

import static io.grpc.MethodDescriptor.generateFullMethodName;

/**
 * <pre>
 * DiscoveryService pushes resources derived from the registry.
 * Watch is modelled on xDS incremental ("delta") discovery, simplified:
 * 1. The client opens the stream and sends, per resource type, a WatchRequest
 *    with the names it subscribes to ("*" for every resource of the type) and,
 *    after a reconnect, the versions it already holds (initial_resource_versions).
 * 2. The server answers with WatchResponses holding only resources the client
 *    lacks or holds at another version, and the names of resources that were
 *    removed (or do not exist) among those it subscribed to. Each response has a
 *    nonce.
 * 3. The client applies a response and ACKs it: a WatchRequest with
 *    response_nonce set and error_detail unset. If it cannot apply it, it NACKs:
 *    response_nonce and error_detail set; it keeps what it had, and the server
 *    sends that resource again only when its version changes.
 * 4. Subscribe and unsubscribe at any time with further WatchRequests (they may
 *    carry an ACK at the same time).
 * The server does not wait for ACKs before sending newer versions; it sends as
 * fast as the stream's flow control allows and coalesces: a resource that
 * changes several times while the client is not reading is sent once, at its
 * newest version. Versions are opaque strings; compare them only for equality.
 * Errors end the stream: INVALID_ARGUMENT (unknown type_url, a bad resource
 * name) with a google.rpc.BadRequest detail; RESOURCE_EXHAUSTED when a limit is
 * exceeded (subscriptions per stream, message size); UNAVAILABLE when the server
 * shuts down (reconnect, possibly to another replica, and resume with versions).
 * </pre>
 */
@io.grpc.stub.annotations.GrpcGenerated
public final class DiscoveryServiceGrpc {

  private DiscoveryServiceGrpc() {}

  public static final java.lang.String SERVICE_NAME = "vertice.discovery.v1.DiscoveryService";

  // Static method descriptors that strictly reflect the proto.
  private static volatile io.grpc.MethodDescriptor<dev.vertice.api.discovery.v1.WatchRequest,
      dev.vertice.api.discovery.v1.WatchResponse> getWatchMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "Watch",
      requestType = dev.vertice.api.discovery.v1.WatchRequest.class,
      responseType = dev.vertice.api.discovery.v1.WatchResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.BIDI_STREAMING)
  public static io.grpc.MethodDescriptor<dev.vertice.api.discovery.v1.WatchRequest,
      dev.vertice.api.discovery.v1.WatchResponse> getWatchMethod() {
    io.grpc.MethodDescriptor<dev.vertice.api.discovery.v1.WatchRequest, dev.vertice.api.discovery.v1.WatchResponse> getWatchMethod;
    if ((getWatchMethod = DiscoveryServiceGrpc.getWatchMethod) == null) {
      synchronized (DiscoveryServiceGrpc.class) {
        if ((getWatchMethod = DiscoveryServiceGrpc.getWatchMethod) == null) {
          DiscoveryServiceGrpc.getWatchMethod = getWatchMethod =
              io.grpc.MethodDescriptor.<dev.vertice.api.discovery.v1.WatchRequest, dev.vertice.api.discovery.v1.WatchResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.BIDI_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "Watch"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.vertice.api.discovery.v1.WatchRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.vertice.api.discovery.v1.WatchResponse.getDefaultInstance()))
              .setSchemaDescriptor(new DiscoveryServiceMethodDescriptorSupplier("Watch"))
              .build();
        }
      }
    }
    return getWatchMethod;
  }

  /**
   * Creates a new async stub that supports all call types for the service
   */
  public static DiscoveryServiceStub newStub(io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<DiscoveryServiceStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<DiscoveryServiceStub>() {
        @java.lang.Override
        public DiscoveryServiceStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new DiscoveryServiceStub(channel, callOptions);
        }
      };
    return DiscoveryServiceStub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports all types of calls on the service
   */
  public static DiscoveryServiceBlockingV2Stub newBlockingV2Stub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<DiscoveryServiceBlockingV2Stub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<DiscoveryServiceBlockingV2Stub>() {
        @java.lang.Override
        public DiscoveryServiceBlockingV2Stub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new DiscoveryServiceBlockingV2Stub(channel, callOptions);
        }
      };
    return DiscoveryServiceBlockingV2Stub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports unary and streaming output calls on the service
   */
  public static DiscoveryServiceBlockingStub newBlockingStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<DiscoveryServiceBlockingStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<DiscoveryServiceBlockingStub>() {
        @java.lang.Override
        public DiscoveryServiceBlockingStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new DiscoveryServiceBlockingStub(channel, callOptions);
        }
      };
    return DiscoveryServiceBlockingStub.newStub(factory, channel);
  }

  /**
   * Creates a new ListenableFuture-style stub that supports unary calls on the service
   */
  public static DiscoveryServiceFutureStub newFutureStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<DiscoveryServiceFutureStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<DiscoveryServiceFutureStub>() {
        @java.lang.Override
        public DiscoveryServiceFutureStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new DiscoveryServiceFutureStub(channel, callOptions);
        }
      };
    return DiscoveryServiceFutureStub.newStub(factory, channel);
  }

  /**
   * <pre>
   * DiscoveryService pushes resources derived from the registry.
   * Watch is modelled on xDS incremental ("delta") discovery, simplified:
   * 1. The client opens the stream and sends, per resource type, a WatchRequest
   *    with the names it subscribes to ("*" for every resource of the type) and,
   *    after a reconnect, the versions it already holds (initial_resource_versions).
   * 2. The server answers with WatchResponses holding only resources the client
   *    lacks or holds at another version, and the names of resources that were
   *    removed (or do not exist) among those it subscribed to. Each response has a
   *    nonce.
   * 3. The client applies a response and ACKs it: a WatchRequest with
   *    response_nonce set and error_detail unset. If it cannot apply it, it NACKs:
   *    response_nonce and error_detail set; it keeps what it had, and the server
   *    sends that resource again only when its version changes.
   * 4. Subscribe and unsubscribe at any time with further WatchRequests (they may
   *    carry an ACK at the same time).
   * The server does not wait for ACKs before sending newer versions; it sends as
   * fast as the stream's flow control allows and coalesces: a resource that
   * changes several times while the client is not reading is sent once, at its
   * newest version. Versions are opaque strings; compare them only for equality.
   * Errors end the stream: INVALID_ARGUMENT (unknown type_url, a bad resource
   * name) with a google.rpc.BadRequest detail; RESOURCE_EXHAUSTED when a limit is
   * exceeded (subscriptions per stream, message size); UNAVAILABLE when the server
   * shuts down (reconnect, possibly to another replica, and resume with versions).
   * </pre>
   */
  public interface AsyncService {

    /**
     * <pre>
     * Watch subscribes to resources and receives their changes.
     * </pre>
     */
    default io.grpc.stub.StreamObserver<dev.vertice.api.discovery.v1.WatchRequest> watch(
        io.grpc.stub.StreamObserver<dev.vertice.api.discovery.v1.WatchResponse> responseObserver) {
      return io.grpc.stub.ServerCalls.asyncUnimplementedStreamingCall(getWatchMethod(), responseObserver);
    }
  }

  /**
   * Base class for the server implementation of the service DiscoveryService.
   * <pre>
   * DiscoveryService pushes resources derived from the registry.
   * Watch is modelled on xDS incremental ("delta") discovery, simplified:
   * 1. The client opens the stream and sends, per resource type, a WatchRequest
   *    with the names it subscribes to ("*" for every resource of the type) and,
   *    after a reconnect, the versions it already holds (initial_resource_versions).
   * 2. The server answers with WatchResponses holding only resources the client
   *    lacks or holds at another version, and the names of resources that were
   *    removed (or do not exist) among those it subscribed to. Each response has a
   *    nonce.
   * 3. The client applies a response and ACKs it: a WatchRequest with
   *    response_nonce set and error_detail unset. If it cannot apply it, it NACKs:
   *    response_nonce and error_detail set; it keeps what it had, and the server
   *    sends that resource again only when its version changes.
   * 4. Subscribe and unsubscribe at any time with further WatchRequests (they may
   *    carry an ACK at the same time).
   * The server does not wait for ACKs before sending newer versions; it sends as
   * fast as the stream's flow control allows and coalesces: a resource that
   * changes several times while the client is not reading is sent once, at its
   * newest version. Versions are opaque strings; compare them only for equality.
   * Errors end the stream: INVALID_ARGUMENT (unknown type_url, a bad resource
   * name) with a google.rpc.BadRequest detail; RESOURCE_EXHAUSTED when a limit is
   * exceeded (subscriptions per stream, message size); UNAVAILABLE when the server
   * shuts down (reconnect, possibly to another replica, and resume with versions).
   * </pre>
   */
  public static abstract class DiscoveryServiceImplBase
      implements io.grpc.BindableService, AsyncService {

    @java.lang.Override public final io.grpc.ServerServiceDefinition bindService() {
      return DiscoveryServiceGrpc.bindService(this);
    }
  }

  /**
   * A stub to allow clients to do asynchronous rpc calls to service DiscoveryService.
   * <pre>
   * DiscoveryService pushes resources derived from the registry.
   * Watch is modelled on xDS incremental ("delta") discovery, simplified:
   * 1. The client opens the stream and sends, per resource type, a WatchRequest
   *    with the names it subscribes to ("*" for every resource of the type) and,
   *    after a reconnect, the versions it already holds (initial_resource_versions).
   * 2. The server answers with WatchResponses holding only resources the client
   *    lacks or holds at another version, and the names of resources that were
   *    removed (or do not exist) among those it subscribed to. Each response has a
   *    nonce.
   * 3. The client applies a response and ACKs it: a WatchRequest with
   *    response_nonce set and error_detail unset. If it cannot apply it, it NACKs:
   *    response_nonce and error_detail set; it keeps what it had, and the server
   *    sends that resource again only when its version changes.
   * 4. Subscribe and unsubscribe at any time with further WatchRequests (they may
   *    carry an ACK at the same time).
   * The server does not wait for ACKs before sending newer versions; it sends as
   * fast as the stream's flow control allows and coalesces: a resource that
   * changes several times while the client is not reading is sent once, at its
   * newest version. Versions are opaque strings; compare them only for equality.
   * Errors end the stream: INVALID_ARGUMENT (unknown type_url, a bad resource
   * name) with a google.rpc.BadRequest detail; RESOURCE_EXHAUSTED when a limit is
   * exceeded (subscriptions per stream, message size); UNAVAILABLE when the server
   * shuts down (reconnect, possibly to another replica, and resume with versions).
   * </pre>
   */
  public static final class DiscoveryServiceStub
      extends io.grpc.stub.AbstractAsyncStub<DiscoveryServiceStub> {
    private DiscoveryServiceStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected DiscoveryServiceStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new DiscoveryServiceStub(channel, callOptions);
    }

    /**
     * <pre>
     * Watch subscribes to resources and receives their changes.
     * </pre>
     */
    public io.grpc.stub.StreamObserver<dev.vertice.api.discovery.v1.WatchRequest> watch(
        io.grpc.stub.StreamObserver<dev.vertice.api.discovery.v1.WatchResponse> responseObserver) {
      return io.grpc.stub.ClientCalls.asyncBidiStreamingCall(
          getChannel().newCall(getWatchMethod(), getCallOptions()), responseObserver);
    }
  }

  /**
   * A stub to allow clients to do synchronous rpc calls to service DiscoveryService.
   * <pre>
   * DiscoveryService pushes resources derived from the registry.
   * Watch is modelled on xDS incremental ("delta") discovery, simplified:
   * 1. The client opens the stream and sends, per resource type, a WatchRequest
   *    with the names it subscribes to ("*" for every resource of the type) and,
   *    after a reconnect, the versions it already holds (initial_resource_versions).
   * 2. The server answers with WatchResponses holding only resources the client
   *    lacks or holds at another version, and the names of resources that were
   *    removed (or do not exist) among those it subscribed to. Each response has a
   *    nonce.
   * 3. The client applies a response and ACKs it: a WatchRequest with
   *    response_nonce set and error_detail unset. If it cannot apply it, it NACKs:
   *    response_nonce and error_detail set; it keeps what it had, and the server
   *    sends that resource again only when its version changes.
   * 4. Subscribe and unsubscribe at any time with further WatchRequests (they may
   *    carry an ACK at the same time).
   * The server does not wait for ACKs before sending newer versions; it sends as
   * fast as the stream's flow control allows and coalesces: a resource that
   * changes several times while the client is not reading is sent once, at its
   * newest version. Versions are opaque strings; compare them only for equality.
   * Errors end the stream: INVALID_ARGUMENT (unknown type_url, a bad resource
   * name) with a google.rpc.BadRequest detail; RESOURCE_EXHAUSTED when a limit is
   * exceeded (subscriptions per stream, message size); UNAVAILABLE when the server
   * shuts down (reconnect, possibly to another replica, and resume with versions).
   * </pre>
   */
  public static final class DiscoveryServiceBlockingV2Stub
      extends io.grpc.stub.AbstractBlockingStub<DiscoveryServiceBlockingV2Stub> {
    private DiscoveryServiceBlockingV2Stub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected DiscoveryServiceBlockingV2Stub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new DiscoveryServiceBlockingV2Stub(channel, callOptions);
    }

    /**
     * <pre>
     * Watch subscribes to resources and receives their changes.
     * </pre>
     */
    @io.grpc.ExperimentalApi("https://github.com/grpc/grpc-java/issues/10918")
    public io.grpc.stub.BlockingClientCall<dev.vertice.api.discovery.v1.WatchRequest, dev.vertice.api.discovery.v1.WatchResponse>
        watch() {
      return io.grpc.stub.ClientCalls.blockingBidiStreamingCall(
          getChannel(), getWatchMethod(), getCallOptions());
    }
  }

  /**
   * A stub to allow clients to do limited synchronous rpc calls to service DiscoveryService.
   * <pre>
   * DiscoveryService pushes resources derived from the registry.
   * Watch is modelled on xDS incremental ("delta") discovery, simplified:
   * 1. The client opens the stream and sends, per resource type, a WatchRequest
   *    with the names it subscribes to ("*" for every resource of the type) and,
   *    after a reconnect, the versions it already holds (initial_resource_versions).
   * 2. The server answers with WatchResponses holding only resources the client
   *    lacks or holds at another version, and the names of resources that were
   *    removed (or do not exist) among those it subscribed to. Each response has a
   *    nonce.
   * 3. The client applies a response and ACKs it: a WatchRequest with
   *    response_nonce set and error_detail unset. If it cannot apply it, it NACKs:
   *    response_nonce and error_detail set; it keeps what it had, and the server
   *    sends that resource again only when its version changes.
   * 4. Subscribe and unsubscribe at any time with further WatchRequests (they may
   *    carry an ACK at the same time).
   * The server does not wait for ACKs before sending newer versions; it sends as
   * fast as the stream's flow control allows and coalesces: a resource that
   * changes several times while the client is not reading is sent once, at its
   * newest version. Versions are opaque strings; compare them only for equality.
   * Errors end the stream: INVALID_ARGUMENT (unknown type_url, a bad resource
   * name) with a google.rpc.BadRequest detail; RESOURCE_EXHAUSTED when a limit is
   * exceeded (subscriptions per stream, message size); UNAVAILABLE when the server
   * shuts down (reconnect, possibly to another replica, and resume with versions).
   * </pre>
   */
  public static final class DiscoveryServiceBlockingStub
      extends io.grpc.stub.AbstractBlockingStub<DiscoveryServiceBlockingStub> {
    private DiscoveryServiceBlockingStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected DiscoveryServiceBlockingStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new DiscoveryServiceBlockingStub(channel, callOptions);
    }
  }

  /**
   * A stub to allow clients to do ListenableFuture-style rpc calls to service DiscoveryService.
   * <pre>
   * DiscoveryService pushes resources derived from the registry.
   * Watch is modelled on xDS incremental ("delta") discovery, simplified:
   * 1. The client opens the stream and sends, per resource type, a WatchRequest
   *    with the names it subscribes to ("*" for every resource of the type) and,
   *    after a reconnect, the versions it already holds (initial_resource_versions).
   * 2. The server answers with WatchResponses holding only resources the client
   *    lacks or holds at another version, and the names of resources that were
   *    removed (or do not exist) among those it subscribed to. Each response has a
   *    nonce.
   * 3. The client applies a response and ACKs it: a WatchRequest with
   *    response_nonce set and error_detail unset. If it cannot apply it, it NACKs:
   *    response_nonce and error_detail set; it keeps what it had, and the server
   *    sends that resource again only when its version changes.
   * 4. Subscribe and unsubscribe at any time with further WatchRequests (they may
   *    carry an ACK at the same time).
   * The server does not wait for ACKs before sending newer versions; it sends as
   * fast as the stream's flow control allows and coalesces: a resource that
   * changes several times while the client is not reading is sent once, at its
   * newest version. Versions are opaque strings; compare them only for equality.
   * Errors end the stream: INVALID_ARGUMENT (unknown type_url, a bad resource
   * name) with a google.rpc.BadRequest detail; RESOURCE_EXHAUSTED when a limit is
   * exceeded (subscriptions per stream, message size); UNAVAILABLE when the server
   * shuts down (reconnect, possibly to another replica, and resume with versions).
   * </pre>
   */
  public static final class DiscoveryServiceFutureStub
      extends io.grpc.stub.AbstractFutureStub<DiscoveryServiceFutureStub> {
    private DiscoveryServiceFutureStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected DiscoveryServiceFutureStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new DiscoveryServiceFutureStub(channel, callOptions);
    }
  }

  private static final int METHODID_WATCH = 0;

  private static final class MethodHandlers<Req, Resp> implements
      io.grpc.stub.ServerCalls.UnaryMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ServerStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ClientStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.BidiStreamingMethod<Req, Resp> {
    private final AsyncService serviceImpl;
    private final int methodId;

    MethodHandlers(AsyncService serviceImpl, int methodId) {
      this.serviceImpl = serviceImpl;
      this.methodId = methodId;
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public void invoke(Req request, io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        default:
          throw new AssertionError();
      }
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public io.grpc.stub.StreamObserver<Req> invoke(
        io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        case METHODID_WATCH:
          return (io.grpc.stub.StreamObserver<Req>) serviceImpl.watch(
              (io.grpc.stub.StreamObserver<dev.vertice.api.discovery.v1.WatchResponse>) responseObserver);
        default:
          throw new AssertionError();
      }
    }
  }

  public static final io.grpc.ServerServiceDefinition bindService(AsyncService service) {
    return io.grpc.ServerServiceDefinition.builder(getServiceDescriptor())
        .addMethod(
          getWatchMethod(),
          io.grpc.stub.ServerCalls.asyncBidiStreamingCall(
            new MethodHandlers<
              dev.vertice.api.discovery.v1.WatchRequest,
              dev.vertice.api.discovery.v1.WatchResponse>(
                service, METHODID_WATCH)))
        .build();
  }

  private static abstract class DiscoveryServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoFileDescriptorSupplier, io.grpc.protobuf.ProtoServiceDescriptorSupplier {
    DiscoveryServiceBaseDescriptorSupplier() {}

    @java.lang.Override
    public com.google.protobuf.Descriptors.FileDescriptor getFileDescriptor() {
      return dev.vertice.api.discovery.v1.DiscoveryProto.getDescriptor();
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.ServiceDescriptor getServiceDescriptor() {
      return getFileDescriptor().findServiceByName("DiscoveryService");
    }
  }

  private static final class DiscoveryServiceFileDescriptorSupplier
      extends DiscoveryServiceBaseDescriptorSupplier {
    DiscoveryServiceFileDescriptorSupplier() {}
  }

  private static final class DiscoveryServiceMethodDescriptorSupplier
      extends DiscoveryServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoMethodDescriptorSupplier {
    private final java.lang.String methodName;

    DiscoveryServiceMethodDescriptorSupplier(java.lang.String methodName) {
      this.methodName = methodName;
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.MethodDescriptor getMethodDescriptor() {
      return getServiceDescriptor().findMethodByName(methodName);
    }
  }

  private static volatile io.grpc.ServiceDescriptor serviceDescriptor;

  public static io.grpc.ServiceDescriptor getServiceDescriptor() {
    io.grpc.ServiceDescriptor result = serviceDescriptor;
    if (result == null) {
      synchronized (DiscoveryServiceGrpc.class) {
        result = serviceDescriptor;
        if (result == null) {
          serviceDescriptor = result = io.grpc.ServiceDescriptor.newBuilder(SERVICE_NAME)
              .setSchemaDescriptor(new DiscoveryServiceFileDescriptorSupplier())
              .addMethod(getWatchMethod())
              .build();
        }
      }
    }
    return result;
  }
}
