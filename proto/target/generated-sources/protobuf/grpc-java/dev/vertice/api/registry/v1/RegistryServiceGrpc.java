package dev.vertice.api.registry.v1;

import static io.grpc.MethodDescriptor.generateFullMethodName;

/**
 * <pre>
 * RegistryService keeps the set of live service instances.
 * Every instance holds a lease. A lease lives for its TTL and is renewed by
 * pings on the KeepAlive stream; when it expires, the instance is removed and
 * the removal is pushed to every watcher. A KeepAlive stream that ends without
 * Deregister starts a short grace period (default 5 s): a ping on the same lease
 * within it, on any stream, keeps the instance without a flap.
 * Errors: INVALID_ARGUMENT with a google.rpc.BadRequest detail naming each bad
 * field (the registry is then unchanged); NOT_FOUND for an unknown lease,
 * service or instance; RESOURCE_EXHAUSTED for a message larger than the
 * server's limit; UNAVAILABLE while the server shuts down (reconnect elsewhere).
 * </pre>
 */
@io.grpc.stub.annotations.GrpcGenerated
public final class RegistryServiceGrpc {

  private RegistryServiceGrpc() {}

  public static final java.lang.String SERVICE_NAME = "vertice.registry.v1.RegistryService";

  // Static method descriptors that strictly reflect the proto.
  private static volatile io.grpc.MethodDescriptor<dev.vertice.api.registry.v1.RegisterRequest,
      dev.vertice.api.registry.v1.RegisterResponse> getRegisterMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "Register",
      requestType = dev.vertice.api.registry.v1.RegisterRequest.class,
      responseType = dev.vertice.api.registry.v1.RegisterResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.vertice.api.registry.v1.RegisterRequest,
      dev.vertice.api.registry.v1.RegisterResponse> getRegisterMethod() {
    io.grpc.MethodDescriptor<dev.vertice.api.registry.v1.RegisterRequest, dev.vertice.api.registry.v1.RegisterResponse> getRegisterMethod;
    if ((getRegisterMethod = RegistryServiceGrpc.getRegisterMethod) == null) {
      synchronized (RegistryServiceGrpc.class) {
        if ((getRegisterMethod = RegistryServiceGrpc.getRegisterMethod) == null) {
          RegistryServiceGrpc.getRegisterMethod = getRegisterMethod =
              io.grpc.MethodDescriptor.<dev.vertice.api.registry.v1.RegisterRequest, dev.vertice.api.registry.v1.RegisterResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "Register"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.vertice.api.registry.v1.RegisterRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.vertice.api.registry.v1.RegisterResponse.getDefaultInstance()))
              .setSchemaDescriptor(new RegistryServiceMethodDescriptorSupplier("Register"))
              .build();
        }
      }
    }
    return getRegisterMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.vertice.api.registry.v1.KeepAliveRequest,
      dev.vertice.api.registry.v1.KeepAliveResponse> getKeepAliveMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "KeepAlive",
      requestType = dev.vertice.api.registry.v1.KeepAliveRequest.class,
      responseType = dev.vertice.api.registry.v1.KeepAliveResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.BIDI_STREAMING)
  public static io.grpc.MethodDescriptor<dev.vertice.api.registry.v1.KeepAliveRequest,
      dev.vertice.api.registry.v1.KeepAliveResponse> getKeepAliveMethod() {
    io.grpc.MethodDescriptor<dev.vertice.api.registry.v1.KeepAliveRequest, dev.vertice.api.registry.v1.KeepAliveResponse> getKeepAliveMethod;
    if ((getKeepAliveMethod = RegistryServiceGrpc.getKeepAliveMethod) == null) {
      synchronized (RegistryServiceGrpc.class) {
        if ((getKeepAliveMethod = RegistryServiceGrpc.getKeepAliveMethod) == null) {
          RegistryServiceGrpc.getKeepAliveMethod = getKeepAliveMethod =
              io.grpc.MethodDescriptor.<dev.vertice.api.registry.v1.KeepAliveRequest, dev.vertice.api.registry.v1.KeepAliveResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.BIDI_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "KeepAlive"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.vertice.api.registry.v1.KeepAliveRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.vertice.api.registry.v1.KeepAliveResponse.getDefaultInstance()))
              .setSchemaDescriptor(new RegistryServiceMethodDescriptorSupplier("KeepAlive"))
              .build();
        }
      }
    }
    return getKeepAliveMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.vertice.api.registry.v1.DeregisterRequest,
      dev.vertice.api.registry.v1.DeregisterResponse> getDeregisterMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "Deregister",
      requestType = dev.vertice.api.registry.v1.DeregisterRequest.class,
      responseType = dev.vertice.api.registry.v1.DeregisterResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.vertice.api.registry.v1.DeregisterRequest,
      dev.vertice.api.registry.v1.DeregisterResponse> getDeregisterMethod() {
    io.grpc.MethodDescriptor<dev.vertice.api.registry.v1.DeregisterRequest, dev.vertice.api.registry.v1.DeregisterResponse> getDeregisterMethod;
    if ((getDeregisterMethod = RegistryServiceGrpc.getDeregisterMethod) == null) {
      synchronized (RegistryServiceGrpc.class) {
        if ((getDeregisterMethod = RegistryServiceGrpc.getDeregisterMethod) == null) {
          RegistryServiceGrpc.getDeregisterMethod = getDeregisterMethod =
              io.grpc.MethodDescriptor.<dev.vertice.api.registry.v1.DeregisterRequest, dev.vertice.api.registry.v1.DeregisterResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "Deregister"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.vertice.api.registry.v1.DeregisterRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.vertice.api.registry.v1.DeregisterResponse.getDefaultInstance()))
              .setSchemaDescriptor(new RegistryServiceMethodDescriptorSupplier("Deregister"))
              .build();
        }
      }
    }
    return getDeregisterMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.vertice.api.registry.v1.SetHealthRequest,
      dev.vertice.api.registry.v1.SetHealthResponse> getSetHealthMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "SetHealth",
      requestType = dev.vertice.api.registry.v1.SetHealthRequest.class,
      responseType = dev.vertice.api.registry.v1.SetHealthResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.vertice.api.registry.v1.SetHealthRequest,
      dev.vertice.api.registry.v1.SetHealthResponse> getSetHealthMethod() {
    io.grpc.MethodDescriptor<dev.vertice.api.registry.v1.SetHealthRequest, dev.vertice.api.registry.v1.SetHealthResponse> getSetHealthMethod;
    if ((getSetHealthMethod = RegistryServiceGrpc.getSetHealthMethod) == null) {
      synchronized (RegistryServiceGrpc.class) {
        if ((getSetHealthMethod = RegistryServiceGrpc.getSetHealthMethod) == null) {
          RegistryServiceGrpc.getSetHealthMethod = getSetHealthMethod =
              io.grpc.MethodDescriptor.<dev.vertice.api.registry.v1.SetHealthRequest, dev.vertice.api.registry.v1.SetHealthResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "SetHealth"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.vertice.api.registry.v1.SetHealthRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.vertice.api.registry.v1.SetHealthResponse.getDefaultInstance()))
              .setSchemaDescriptor(new RegistryServiceMethodDescriptorSupplier("SetHealth"))
              .build();
        }
      }
    }
    return getSetHealthMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.vertice.api.registry.v1.ListServicesRequest,
      dev.vertice.api.registry.v1.ListServicesResponse> getListServicesMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListServices",
      requestType = dev.vertice.api.registry.v1.ListServicesRequest.class,
      responseType = dev.vertice.api.registry.v1.ListServicesResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.vertice.api.registry.v1.ListServicesRequest,
      dev.vertice.api.registry.v1.ListServicesResponse> getListServicesMethod() {
    io.grpc.MethodDescriptor<dev.vertice.api.registry.v1.ListServicesRequest, dev.vertice.api.registry.v1.ListServicesResponse> getListServicesMethod;
    if ((getListServicesMethod = RegistryServiceGrpc.getListServicesMethod) == null) {
      synchronized (RegistryServiceGrpc.class) {
        if ((getListServicesMethod = RegistryServiceGrpc.getListServicesMethod) == null) {
          RegistryServiceGrpc.getListServicesMethod = getListServicesMethod =
              io.grpc.MethodDescriptor.<dev.vertice.api.registry.v1.ListServicesRequest, dev.vertice.api.registry.v1.ListServicesResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListServices"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.vertice.api.registry.v1.ListServicesRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.vertice.api.registry.v1.ListServicesResponse.getDefaultInstance()))
              .setSchemaDescriptor(new RegistryServiceMethodDescriptorSupplier("ListServices"))
              .build();
        }
      }
    }
    return getListServicesMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.vertice.api.registry.v1.GetServiceRequest,
      dev.vertice.api.registry.v1.GetServiceResponse> getGetServiceMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetService",
      requestType = dev.vertice.api.registry.v1.GetServiceRequest.class,
      responseType = dev.vertice.api.registry.v1.GetServiceResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.vertice.api.registry.v1.GetServiceRequest,
      dev.vertice.api.registry.v1.GetServiceResponse> getGetServiceMethod() {
    io.grpc.MethodDescriptor<dev.vertice.api.registry.v1.GetServiceRequest, dev.vertice.api.registry.v1.GetServiceResponse> getGetServiceMethod;
    if ((getGetServiceMethod = RegistryServiceGrpc.getGetServiceMethod) == null) {
      synchronized (RegistryServiceGrpc.class) {
        if ((getGetServiceMethod = RegistryServiceGrpc.getGetServiceMethod) == null) {
          RegistryServiceGrpc.getGetServiceMethod = getGetServiceMethod =
              io.grpc.MethodDescriptor.<dev.vertice.api.registry.v1.GetServiceRequest, dev.vertice.api.registry.v1.GetServiceResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetService"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.vertice.api.registry.v1.GetServiceRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.vertice.api.registry.v1.GetServiceResponse.getDefaultInstance()))
              .setSchemaDescriptor(new RegistryServiceMethodDescriptorSupplier("GetService"))
              .build();
        }
      }
    }
    return getGetServiceMethod;
  }

  /**
   * Creates a new async stub that supports all call types for the service
   */
  public static RegistryServiceStub newStub(io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<RegistryServiceStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<RegistryServiceStub>() {
        @java.lang.Override
        public RegistryServiceStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new RegistryServiceStub(channel, callOptions);
        }
      };
    return RegistryServiceStub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports all types of calls on the service
   */
  public static RegistryServiceBlockingV2Stub newBlockingV2Stub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<RegistryServiceBlockingV2Stub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<RegistryServiceBlockingV2Stub>() {
        @java.lang.Override
        public RegistryServiceBlockingV2Stub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new RegistryServiceBlockingV2Stub(channel, callOptions);
        }
      };
    return RegistryServiceBlockingV2Stub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports unary and streaming output calls on the service
   */
  public static RegistryServiceBlockingStub newBlockingStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<RegistryServiceBlockingStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<RegistryServiceBlockingStub>() {
        @java.lang.Override
        public RegistryServiceBlockingStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new RegistryServiceBlockingStub(channel, callOptions);
        }
      };
    return RegistryServiceBlockingStub.newStub(factory, channel);
  }

  /**
   * Creates a new ListenableFuture-style stub that supports unary calls on the service
   */
  public static RegistryServiceFutureStub newFutureStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<RegistryServiceFutureStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<RegistryServiceFutureStub>() {
        @java.lang.Override
        public RegistryServiceFutureStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new RegistryServiceFutureStub(channel, callOptions);
        }
      };
    return RegistryServiceFutureStub.newStub(factory, channel);
  }

  /**
   * <pre>
   * RegistryService keeps the set of live service instances.
   * Every instance holds a lease. A lease lives for its TTL and is renewed by
   * pings on the KeepAlive stream; when it expires, the instance is removed and
   * the removal is pushed to every watcher. A KeepAlive stream that ends without
   * Deregister starts a short grace period (default 5 s): a ping on the same lease
   * within it, on any stream, keeps the instance without a flap.
   * Errors: INVALID_ARGUMENT with a google.rpc.BadRequest detail naming each bad
   * field (the registry is then unchanged); NOT_FOUND for an unknown lease,
   * service or instance; RESOURCE_EXHAUSTED for a message larger than the
   * server's limit; UNAVAILABLE while the server shuts down (reconnect elsewhere).
   * </pre>
   */
  public interface AsyncService {

    /**
     * <pre>
     * Register adds an instance, or updates it when (service, instance_id) is
     * already registered. The upsert is idempotent: repeating the same request
     * returns the same instance id and lease id, renews the lease, and pushes a
     * change only when a pushed field (address, port, protocol, version, zone,
     * weight, health, metadata) differs.
     * </pre>
     */
    default void register(dev.vertice.api.registry.v1.RegisterRequest request,
        io.grpc.stub.StreamObserver<dev.vertice.api.registry.v1.RegisterResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getRegisterMethod(), responseObserver);
    }

    /**
     * <pre>
     * KeepAlive renews leases. The client sends a ping per lease at the lease's
     * keepalive interval and receives the remaining TTL for each ping. One stream
     * may carry pings for several leases. A ping for an unknown or expired lease
     * ends the stream with NOT_FOUND: the client registers again.
     * </pre>
     */
    default io.grpc.stub.StreamObserver<dev.vertice.api.registry.v1.KeepAliveRequest> keepAlive(
        io.grpc.stub.StreamObserver<dev.vertice.api.registry.v1.KeepAliveResponse> responseObserver) {
      return io.grpc.stub.ServerCalls.asyncUnimplementedStreamingCall(getKeepAliveMethod(), responseObserver);
    }

    /**
     * <pre>
     * Deregister removes an instance and its lease at once and pushes the removal.
     * </pre>
     */
    default void deregister(dev.vertice.api.registry.v1.DeregisterRequest request,
        io.grpc.stub.StreamObserver<dev.vertice.api.registry.v1.DeregisterResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getDeregisterMethod(), responseObserver);
    }

    /**
     * <pre>
     * SetHealth changes the health of one instance and pushes the change.
     * </pre>
     */
    default void setHealth(dev.vertice.api.registry.v1.SetHealthRequest request,
        io.grpc.stub.StreamObserver<dev.vertice.api.registry.v1.SetHealthResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getSetHealthMethod(), responseObserver);
    }

    /**
     * <pre>
     * ListServices returns every service that has at least one instance.
     * </pre>
     */
    default void listServices(dev.vertice.api.registry.v1.ListServicesRequest request,
        io.grpc.stub.StreamObserver<dev.vertice.api.registry.v1.ListServicesResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListServicesMethod(), responseObserver);
    }

    /**
     * <pre>
     * GetService returns the instances of one service, or NOT_FOUND.
     * </pre>
     */
    default void getService(dev.vertice.api.registry.v1.GetServiceRequest request,
        io.grpc.stub.StreamObserver<dev.vertice.api.registry.v1.GetServiceResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetServiceMethod(), responseObserver);
    }
  }

  /**
   * Base class for the server implementation of the service RegistryService.
   * <pre>
   * RegistryService keeps the set of live service instances.
   * Every instance holds a lease. A lease lives for its TTL and is renewed by
   * pings on the KeepAlive stream; when it expires, the instance is removed and
   * the removal is pushed to every watcher. A KeepAlive stream that ends without
   * Deregister starts a short grace period (default 5 s): a ping on the same lease
   * within it, on any stream, keeps the instance without a flap.
   * Errors: INVALID_ARGUMENT with a google.rpc.BadRequest detail naming each bad
   * field (the registry is then unchanged); NOT_FOUND for an unknown lease,
   * service or instance; RESOURCE_EXHAUSTED for a message larger than the
   * server's limit; UNAVAILABLE while the server shuts down (reconnect elsewhere).
   * </pre>
   */
  public static abstract class RegistryServiceImplBase
      implements io.grpc.BindableService, AsyncService {

    @java.lang.Override public final io.grpc.ServerServiceDefinition bindService() {
      return RegistryServiceGrpc.bindService(this);
    }
  }

  /**
   * A stub to allow clients to do asynchronous rpc calls to service RegistryService.
   * <pre>
   * RegistryService keeps the set of live service instances.
   * Every instance holds a lease. A lease lives for its TTL and is renewed by
   * pings on the KeepAlive stream; when it expires, the instance is removed and
   * the removal is pushed to every watcher. A KeepAlive stream that ends without
   * Deregister starts a short grace period (default 5 s): a ping on the same lease
   * within it, on any stream, keeps the instance without a flap.
   * Errors: INVALID_ARGUMENT with a google.rpc.BadRequest detail naming each bad
   * field (the registry is then unchanged); NOT_FOUND for an unknown lease,
   * service or instance; RESOURCE_EXHAUSTED for a message larger than the
   * server's limit; UNAVAILABLE while the server shuts down (reconnect elsewhere).
   * </pre>
   */
  public static final class RegistryServiceStub
      extends io.grpc.stub.AbstractAsyncStub<RegistryServiceStub> {
    private RegistryServiceStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected RegistryServiceStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new RegistryServiceStub(channel, callOptions);
    }

    /**
     * <pre>
     * Register adds an instance, or updates it when (service, instance_id) is
     * already registered. The upsert is idempotent: repeating the same request
     * returns the same instance id and lease id, renews the lease, and pushes a
     * change only when a pushed field (address, port, protocol, version, zone,
     * weight, health, metadata) differs.
     * </pre>
     */
    public void register(dev.vertice.api.registry.v1.RegisterRequest request,
        io.grpc.stub.StreamObserver<dev.vertice.api.registry.v1.RegisterResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getRegisterMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * KeepAlive renews leases. The client sends a ping per lease at the lease's
     * keepalive interval and receives the remaining TTL for each ping. One stream
     * may carry pings for several leases. A ping for an unknown or expired lease
     * ends the stream with NOT_FOUND: the client registers again.
     * </pre>
     */
    public io.grpc.stub.StreamObserver<dev.vertice.api.registry.v1.KeepAliveRequest> keepAlive(
        io.grpc.stub.StreamObserver<dev.vertice.api.registry.v1.KeepAliveResponse> responseObserver) {
      return io.grpc.stub.ClientCalls.asyncBidiStreamingCall(
          getChannel().newCall(getKeepAliveMethod(), getCallOptions()), responseObserver);
    }

    /**
     * <pre>
     * Deregister removes an instance and its lease at once and pushes the removal.
     * </pre>
     */
    public void deregister(dev.vertice.api.registry.v1.DeregisterRequest request,
        io.grpc.stub.StreamObserver<dev.vertice.api.registry.v1.DeregisterResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getDeregisterMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * SetHealth changes the health of one instance and pushes the change.
     * </pre>
     */
    public void setHealth(dev.vertice.api.registry.v1.SetHealthRequest request,
        io.grpc.stub.StreamObserver<dev.vertice.api.registry.v1.SetHealthResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getSetHealthMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * ListServices returns every service that has at least one instance.
     * </pre>
     */
    public void listServices(dev.vertice.api.registry.v1.ListServicesRequest request,
        io.grpc.stub.StreamObserver<dev.vertice.api.registry.v1.ListServicesResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListServicesMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * GetService returns the instances of one service, or NOT_FOUND.
     * </pre>
     */
    public void getService(dev.vertice.api.registry.v1.GetServiceRequest request,
        io.grpc.stub.StreamObserver<dev.vertice.api.registry.v1.GetServiceResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetServiceMethod(), getCallOptions()), request, responseObserver);
    }
  }

  /**
   * A stub to allow clients to do synchronous rpc calls to service RegistryService.
   * <pre>
   * RegistryService keeps the set of live service instances.
   * Every instance holds a lease. A lease lives for its TTL and is renewed by
   * pings on the KeepAlive stream; when it expires, the instance is removed and
   * the removal is pushed to every watcher. A KeepAlive stream that ends without
   * Deregister starts a short grace period (default 5 s): a ping on the same lease
   * within it, on any stream, keeps the instance without a flap.
   * Errors: INVALID_ARGUMENT with a google.rpc.BadRequest detail naming each bad
   * field (the registry is then unchanged); NOT_FOUND for an unknown lease,
   * service or instance; RESOURCE_EXHAUSTED for a message larger than the
   * server's limit; UNAVAILABLE while the server shuts down (reconnect elsewhere).
   * </pre>
   */
  public static final class RegistryServiceBlockingV2Stub
      extends io.grpc.stub.AbstractBlockingStub<RegistryServiceBlockingV2Stub> {
    private RegistryServiceBlockingV2Stub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected RegistryServiceBlockingV2Stub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new RegistryServiceBlockingV2Stub(channel, callOptions);
    }

    /**
     * <pre>
     * Register adds an instance, or updates it when (service, instance_id) is
     * already registered. The upsert is idempotent: repeating the same request
     * returns the same instance id and lease id, renews the lease, and pushes a
     * change only when a pushed field (address, port, protocol, version, zone,
     * weight, health, metadata) differs.
     * </pre>
     */
    public dev.vertice.api.registry.v1.RegisterResponse register(dev.vertice.api.registry.v1.RegisterRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getRegisterMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * KeepAlive renews leases. The client sends a ping per lease at the lease's
     * keepalive interval and receives the remaining TTL for each ping. One stream
     * may carry pings for several leases. A ping for an unknown or expired lease
     * ends the stream with NOT_FOUND: the client registers again.
     * </pre>
     */
    @io.grpc.ExperimentalApi("https://github.com/grpc/grpc-java/issues/10918")
    public io.grpc.stub.BlockingClientCall<dev.vertice.api.registry.v1.KeepAliveRequest, dev.vertice.api.registry.v1.KeepAliveResponse>
        keepAlive() {
      return io.grpc.stub.ClientCalls.blockingBidiStreamingCall(
          getChannel(), getKeepAliveMethod(), getCallOptions());
    }

    /**
     * <pre>
     * Deregister removes an instance and its lease at once and pushes the removal.
     * </pre>
     */
    public dev.vertice.api.registry.v1.DeregisterResponse deregister(dev.vertice.api.registry.v1.DeregisterRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getDeregisterMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * SetHealth changes the health of one instance and pushes the change.
     * </pre>
     */
    public dev.vertice.api.registry.v1.SetHealthResponse setHealth(dev.vertice.api.registry.v1.SetHealthRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getSetHealthMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListServices returns every service that has at least one instance.
     * </pre>
     */
    public dev.vertice.api.registry.v1.ListServicesResponse listServices(dev.vertice.api.registry.v1.ListServicesRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getListServicesMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetService returns the instances of one service, or NOT_FOUND.
     * </pre>
     */
    public dev.vertice.api.registry.v1.GetServiceResponse getService(dev.vertice.api.registry.v1.GetServiceRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getGetServiceMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do limited synchronous rpc calls to service RegistryService.
   * <pre>
   * RegistryService keeps the set of live service instances.
   * Every instance holds a lease. A lease lives for its TTL and is renewed by
   * pings on the KeepAlive stream; when it expires, the instance is removed and
   * the removal is pushed to every watcher. A KeepAlive stream that ends without
   * Deregister starts a short grace period (default 5 s): a ping on the same lease
   * within it, on any stream, keeps the instance without a flap.
   * Errors: INVALID_ARGUMENT with a google.rpc.BadRequest detail naming each bad
   * field (the registry is then unchanged); NOT_FOUND for an unknown lease,
   * service or instance; RESOURCE_EXHAUSTED for a message larger than the
   * server's limit; UNAVAILABLE while the server shuts down (reconnect elsewhere).
   * </pre>
   */
  public static final class RegistryServiceBlockingStub
      extends io.grpc.stub.AbstractBlockingStub<RegistryServiceBlockingStub> {
    private RegistryServiceBlockingStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected RegistryServiceBlockingStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new RegistryServiceBlockingStub(channel, callOptions);
    }

    /**
     * <pre>
     * Register adds an instance, or updates it when (service, instance_id) is
     * already registered. The upsert is idempotent: repeating the same request
     * returns the same instance id and lease id, renews the lease, and pushes a
     * change only when a pushed field (address, port, protocol, version, zone,
     * weight, health, metadata) differs.
     * </pre>
     */
    public dev.vertice.api.registry.v1.RegisterResponse register(dev.vertice.api.registry.v1.RegisterRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getRegisterMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Deregister removes an instance and its lease at once and pushes the removal.
     * </pre>
     */
    public dev.vertice.api.registry.v1.DeregisterResponse deregister(dev.vertice.api.registry.v1.DeregisterRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getDeregisterMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * SetHealth changes the health of one instance and pushes the change.
     * </pre>
     */
    public dev.vertice.api.registry.v1.SetHealthResponse setHealth(dev.vertice.api.registry.v1.SetHealthRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getSetHealthMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListServices returns every service that has at least one instance.
     * </pre>
     */
    public dev.vertice.api.registry.v1.ListServicesResponse listServices(dev.vertice.api.registry.v1.ListServicesRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListServicesMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetService returns the instances of one service, or NOT_FOUND.
     * </pre>
     */
    public dev.vertice.api.registry.v1.GetServiceResponse getService(dev.vertice.api.registry.v1.GetServiceRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetServiceMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do ListenableFuture-style rpc calls to service RegistryService.
   * <pre>
   * RegistryService keeps the set of live service instances.
   * Every instance holds a lease. A lease lives for its TTL and is renewed by
   * pings on the KeepAlive stream; when it expires, the instance is removed and
   * the removal is pushed to every watcher. A KeepAlive stream that ends without
   * Deregister starts a short grace period (default 5 s): a ping on the same lease
   * within it, on any stream, keeps the instance without a flap.
   * Errors: INVALID_ARGUMENT with a google.rpc.BadRequest detail naming each bad
   * field (the registry is then unchanged); NOT_FOUND for an unknown lease,
   * service or instance; RESOURCE_EXHAUSTED for a message larger than the
   * server's limit; UNAVAILABLE while the server shuts down (reconnect elsewhere).
   * </pre>
   */
  public static final class RegistryServiceFutureStub
      extends io.grpc.stub.AbstractFutureStub<RegistryServiceFutureStub> {
    private RegistryServiceFutureStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected RegistryServiceFutureStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new RegistryServiceFutureStub(channel, callOptions);
    }

    /**
     * <pre>
     * Register adds an instance, or updates it when (service, instance_id) is
     * already registered. The upsert is idempotent: repeating the same request
     * returns the same instance id and lease id, renews the lease, and pushes a
     * change only when a pushed field (address, port, protocol, version, zone,
     * weight, health, metadata) differs.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.vertice.api.registry.v1.RegisterResponse> register(
        dev.vertice.api.registry.v1.RegisterRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getRegisterMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Deregister removes an instance and its lease at once and pushes the removal.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.vertice.api.registry.v1.DeregisterResponse> deregister(
        dev.vertice.api.registry.v1.DeregisterRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getDeregisterMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * SetHealth changes the health of one instance and pushes the change.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.vertice.api.registry.v1.SetHealthResponse> setHealth(
        dev.vertice.api.registry.v1.SetHealthRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getSetHealthMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * ListServices returns every service that has at least one instance.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.vertice.api.registry.v1.ListServicesResponse> listServices(
        dev.vertice.api.registry.v1.ListServicesRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListServicesMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * GetService returns the instances of one service, or NOT_FOUND.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.vertice.api.registry.v1.GetServiceResponse> getService(
        dev.vertice.api.registry.v1.GetServiceRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetServiceMethod(), getCallOptions()), request);
    }
  }

  private static final int METHODID_REGISTER = 0;
  private static final int METHODID_DEREGISTER = 1;
  private static final int METHODID_SET_HEALTH = 2;
  private static final int METHODID_LIST_SERVICES = 3;
  private static final int METHODID_GET_SERVICE = 4;
  private static final int METHODID_KEEP_ALIVE = 5;

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
        case METHODID_REGISTER:
          serviceImpl.register((dev.vertice.api.registry.v1.RegisterRequest) request,
              (io.grpc.stub.StreamObserver<dev.vertice.api.registry.v1.RegisterResponse>) responseObserver);
          break;
        case METHODID_DEREGISTER:
          serviceImpl.deregister((dev.vertice.api.registry.v1.DeregisterRequest) request,
              (io.grpc.stub.StreamObserver<dev.vertice.api.registry.v1.DeregisterResponse>) responseObserver);
          break;
        case METHODID_SET_HEALTH:
          serviceImpl.setHealth((dev.vertice.api.registry.v1.SetHealthRequest) request,
              (io.grpc.stub.StreamObserver<dev.vertice.api.registry.v1.SetHealthResponse>) responseObserver);
          break;
        case METHODID_LIST_SERVICES:
          serviceImpl.listServices((dev.vertice.api.registry.v1.ListServicesRequest) request,
              (io.grpc.stub.StreamObserver<dev.vertice.api.registry.v1.ListServicesResponse>) responseObserver);
          break;
        case METHODID_GET_SERVICE:
          serviceImpl.getService((dev.vertice.api.registry.v1.GetServiceRequest) request,
              (io.grpc.stub.StreamObserver<dev.vertice.api.registry.v1.GetServiceResponse>) responseObserver);
          break;
        default:
          throw new AssertionError();
      }
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public io.grpc.stub.StreamObserver<Req> invoke(
        io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        case METHODID_KEEP_ALIVE:
          return (io.grpc.stub.StreamObserver<Req>) serviceImpl.keepAlive(
              (io.grpc.stub.StreamObserver<dev.vertice.api.registry.v1.KeepAliveResponse>) responseObserver);
        default:
          throw new AssertionError();
      }
    }
  }

  public static final io.grpc.ServerServiceDefinition bindService(AsyncService service) {
    return io.grpc.ServerServiceDefinition.builder(getServiceDescriptor())
        .addMethod(
          getRegisterMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.vertice.api.registry.v1.RegisterRequest,
              dev.vertice.api.registry.v1.RegisterResponse>(
                service, METHODID_REGISTER)))
        .addMethod(
          getKeepAliveMethod(),
          io.grpc.stub.ServerCalls.asyncBidiStreamingCall(
            new MethodHandlers<
              dev.vertice.api.registry.v1.KeepAliveRequest,
              dev.vertice.api.registry.v1.KeepAliveResponse>(
                service, METHODID_KEEP_ALIVE)))
        .addMethod(
          getDeregisterMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.vertice.api.registry.v1.DeregisterRequest,
              dev.vertice.api.registry.v1.DeregisterResponse>(
                service, METHODID_DEREGISTER)))
        .addMethod(
          getSetHealthMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.vertice.api.registry.v1.SetHealthRequest,
              dev.vertice.api.registry.v1.SetHealthResponse>(
                service, METHODID_SET_HEALTH)))
        .addMethod(
          getListServicesMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.vertice.api.registry.v1.ListServicesRequest,
              dev.vertice.api.registry.v1.ListServicesResponse>(
                service, METHODID_LIST_SERVICES)))
        .addMethod(
          getGetServiceMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.vertice.api.registry.v1.GetServiceRequest,
              dev.vertice.api.registry.v1.GetServiceResponse>(
                service, METHODID_GET_SERVICE)))
        .build();
  }

  private static abstract class RegistryServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoFileDescriptorSupplier, io.grpc.protobuf.ProtoServiceDescriptorSupplier {
    RegistryServiceBaseDescriptorSupplier() {}

    @java.lang.Override
    public com.google.protobuf.Descriptors.FileDescriptor getFileDescriptor() {
      return dev.vertice.api.registry.v1.RegistryProto.getDescriptor();
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.ServiceDescriptor getServiceDescriptor() {
      return getFileDescriptor().findServiceByName("RegistryService");
    }
  }

  private static final class RegistryServiceFileDescriptorSupplier
      extends RegistryServiceBaseDescriptorSupplier {
    RegistryServiceFileDescriptorSupplier() {}
  }

  private static final class RegistryServiceMethodDescriptorSupplier
      extends RegistryServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoMethodDescriptorSupplier {
    private final java.lang.String methodName;

    RegistryServiceMethodDescriptorSupplier(java.lang.String methodName) {
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
      synchronized (RegistryServiceGrpc.class) {
        result = serviceDescriptor;
        if (result == null) {
          serviceDescriptor = result = io.grpc.ServiceDescriptor.newBuilder(SERVICE_NAME)
              .setSchemaDescriptor(new RegistryServiceFileDescriptorSupplier())
              .addMethod(getRegisterMethod())
              .addMethod(getKeepAliveMethod())
              .addMethod(getDeregisterMethod())
              .addMethod(getSetHealthMethod())
              .addMethod(getListServicesMethod())
              .addMethod(getGetServiceMethod())
              .build();
        }
      }
    }
    return result;
  }
}
