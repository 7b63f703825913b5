package dev.vertice.controlplane.server;

import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code PreEncodedResponses} lets a service's streams send an {@link EncodedMessage} where the
 * method's response message is expected: the response marshaller writes its bytes as they are, and
 * encodes any other response as before. On the wire nothing differs; the handler just skips the
 * per-response protobuf encoding of what it encoded once for every stream.
 *
 * <p>A handler sends an {@code EncodedMessage} through its typed {@code StreamObserver} (the
 * response type is erased there); only handlers bound through {@link #accepting} may do so.
 */
public final class PreEncodedResponses {

  private PreEncodedResponses() {}

  /** Returns {@code definition} with every method's responses accepting {@link EncodedMessage}s. */
  public static ServerServiceDefinition accepting(ServerServiceDefinition definition) {
    ServiceDescriptor sd = definition.getServiceDescriptor();
    ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(sd.getName())
        .setSchemaDescriptor(sd.getSchemaDescriptor());
    List<ServerMethodDefinition<?, ?>> methods = new ArrayList<>();
    for (ServerMethodDefinition<?, ?> m : definition.getMethods()) {
      ServerMethodDefinition<?, ?> w = wrap(m);
      methods.add(w);
      descriptor.addMethod(w.getMethodDescriptor());
    }
    ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(descriptor.build());
    methods.forEach(b::addMethod);
    return b.build();
  }

  private static <Q, R> ServerMethodDefinition<Q, R> wrap(ServerMethodDefinition<Q, R> m) {
    MethodDescriptor<Q, R> original = m.getMethodDescriptor();
    MethodDescriptor<Q, R> method = original.toBuilder()
        .setResponseMarshaller(new Marshaller<>(original.getResponseMarshaller()))
        .build();
    ServerCallHandler<Q, R> handler = m.getServerCallHandler();
    return ServerMethodDefinition.create(method, handler);
  }

  /** Writes an {@link EncodedMessage} as it is; anything else with the method's own marshaller. */
  static final class Marshaller<R> implements MethodDescriptor.Marshaller<R> {
    private final MethodDescriptor.Marshaller<R> proto;

    Marshaller(MethodDescriptor.Marshaller<R> proto) {
      this.proto = proto;
    }

    @Override
    public InputStream stream(R value) {
      // An EncodedMessage arrives here through the erased response type (see the class comment).
      Object v = value;
      return v instanceof EncodedMessage encoded ? encoded : proto.stream(value);
    }

    @Override
    public R parse(InputStream stream) {
      return proto.parse(stream);
    }
  }
}
