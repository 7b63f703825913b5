package dev.vertice.interop.xds;

import com.google.protobuf.Empty;
import com.google.protobuf.StringValue;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code WhoUpstream} is a real gRPC server on a free loopback port that answers {@code
 * vertice.interop.Who/Name} (google.protobuf.Empty in, google.protobuf.StringValue out) with its
 * instance id, so that a test can see which instance a call reached.
 */
final class WhoUpstream implements AutoCloseable {

  static final String SERVICE = "vertice.interop.Who";

  static final MethodDescriptor<Empty, StringValue> NAME = MethodDescriptor.<Empty, StringValue>newBuilder()
      .setType(MethodDescriptor.MethodType.UNARY)
      .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "Name"))
      .setRequestMarshaller(ProtoUtils.marshaller(Empty.getDefaultInstance()))
      .setResponseMarshaller(ProtoUtils.marshaller(StringValue.getDefaultInstance()))
      .build();

  final String instanceId;
  final AtomicLong calls = new AtomicLong();
  private final Server server;

  WhoUpstream(String instanceId) throws IOException {
    this.instanceId = instanceId;
    StringValue answer = StringValue.of(instanceId);
    ServerServiceDefinition who = ServerServiceDefinition.builder(SERVICE)
        .addMethod(NAME, ServerCalls.asyncUnaryCall((req, out) -> {
          calls.incrementAndGet();
          out.onNext(answer);
          out.onCompleted();
        }))
        .build();
    this.server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .directExecutor()
        .addService(who)
        .build()
        .start();
  }

  int port() {
    return ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
  }

  @Override
  public void close() {
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
