package dev.vertice.client;

import dev.vertice.api.registry.v1.DeregisterRequest;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.KeepAliveResponse;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.registry.ServiceView;
import dev.vertice.testkit.TestDeadlines;
import io.grpc.BindableService;
import io.grpc.ForwardingServerCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code CountingControlPlane} serves a real control plane in-process and counts, on the server
 * side, the KeepAlive streams opened and the pings answered {@code expired}.
 */
final class CountingControlPlane implements AutoCloseable {

  final ControlPlane controlPlane;
  final ManagedChannel channel;
  private final Server server;
  private final AtomicInteger keepAliveStreams = new AtomicInteger();
  private final AtomicInteger expiredAnswers = new AtomicInteger();

  CountingControlPlane(ControlPlane.Builder builder) throws IOException {
    this.controlPlane = builder.build();
    String name = InProcessServerBuilder.generateName();
    InProcessServerBuilder b = InProcessServerBuilder.forName(name);
    for (BindableService s : controlPlane.services()) {
      b.addService(ServerInterceptors.intercept(s, new Counter()));
    }
    this.server = b.build().start();
    this.channel = InProcessChannelBuilder.forName(name).build();
  }

  /** KeepAlive streams opened so far. */
  int keepAliveStreams() {
    return keepAliveStreams.get();
  }

  /** KeepAlive answers with {@code expired = true} sent so far. */
  int expiredAnswers() {
    return expiredAnswers.get();
  }

  /** Deregisters behind the clients' backs, as an operator would. */
  void deregister(String service, String instanceId) {
    RegistryServiceGrpc.newBlockingStub(channel)
        .withInterceptors(TestDeadlines.grpc()).withDeadlineAfter(5, TimeUnit.SECONDS)
        .deregister(DeregisterRequest.newBuilder().setService(service).setInstanceId(instanceId).build());
  }

  /** Instance ids the registry holds for {@code service}. */
  List<String> instanceIds(String service) {
    ServiceView view = controlPlane.registry().service(service);
    return view == null ? List.of() : view.instances().stream().map(Instance::getInstanceId).toList();
  }

  @Override
  public void close() {
    channel.shutdownNow();
    server.shutdownNow();
    TestResources.awaitQuietly(() -> channel.awaitTermination(5, TimeUnit.SECONDS));
    TestResources.awaitQuietly(() -> server.awaitTermination(5, TimeUnit.SECONDS));
    controlPlane.close();
  }

  private final class Counter implements ServerInterceptor {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
        ServerCallHandler<Q, R> next) {
      String keepAlive = RegistryServiceGrpc.getKeepAliveMethod().getFullMethodName();
      if (!call.getMethodDescriptor().getFullMethodName().equals(keepAlive)) {
        return next.startCall(call, headers);
      }
      keepAliveStreams.incrementAndGet();
      return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
        @Override
        public void sendMessage(R message) {
          if (message instanceof KeepAliveResponse answer && answer.getExpired()) {
            expiredAnswers.incrementAndGet();
          }
          super.sendMessage(message);
        }
      }, headers);
    }
  }
}
