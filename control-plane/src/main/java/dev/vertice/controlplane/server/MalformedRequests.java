package dev.vertice.controlplane.server;

import io.grpc.Attributes;
import io.grpc.BindableService;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code MalformedRequests} makes a service answer a request that is not a valid protobuf message
 * with INVALID_ARGUMENT and change nothing.
 *
 * <p>Left to grpc-java, the request marshaller's parse error escapes into the server's executor:
 * the call ends with UNKNOWN "Application error processing RPC" and the server logs a SEVERE stack
 * trace for every such request (a cheap way to flood the log). Here the transport hands over the
 * bytes, and the message is parsed inside the call: on failure the call is closed with
 * INVALID_ARGUMENT, and the handler sees a cancelled call (so that a stream tidies up) and never
 * the message.
 */
public final class MalformedRequests {

  private MalformedRequests() {}

  /** Returns {@code service} with malformed requests rejected as INVALID_ARGUMENT. */
  public static BindableService rejecting(BindableService service) {
    ServerServiceDefinition definition = service.bindService();
    return () -> rejecting(definition);
  }

  /** Returns {@code definition} with malformed requests rejected as INVALID_ARGUMENT. */
  public static ServerServiceDefinition rejecting(ServerServiceDefinition definition) {
    ServiceDescriptor sd = definition.getServiceDescriptor();
    List<MethodDescriptor<?, ?>> methods = new ArrayList<>();
    List<ServerMethodDefinition<?, ?>> wrapped = new ArrayList<>();
    for (ServerMethodDefinition<?, ?> m : definition.getMethods()) {
      ServerMethodDefinition<?, ?> w = wrap(m);
      wrapped.add(w);
      methods.add(w.getMethodDescriptor());
    }
    ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(sd.getName()).setSchemaDescriptor(
        sd.getSchemaDescriptor());
    methods.forEach(descriptor::addMethod);
    ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(descriptor.build());
    wrapped.forEach(b::addMethod);
    return b.build();
  }

  private static <Q, R> ServerMethodDefinition<byte[], R> wrap(ServerMethodDefinition<Q, R> m) {
    MethodDescriptor<Q, R> original = m.getMethodDescriptor();
    MethodDescriptor<byte[], R> raw = original.toBuilder(BYTES, original.getResponseMarshaller()).build();
    ServerCallHandler<Q, R> handler = m.getServerCallHandler();
    return ServerMethodDefinition.create(raw, (call, headers) -> {
      GuardedCall<Q, R> guarded = new GuardedCall<>(call, original);
      ServerCall.Listener<Q> delegate = handler.startCall(guarded, headers);
      return new ParsingListener<>(delegate, guarded, original);
    });
  }

  /** Parses each request; a malformed one closes the call as INVALID_ARGUMENT. */
  private static final class ParsingListener<Q, R> extends ServerCall.Listener<byte[]> {
    private final ServerCall.Listener<Q> delegate;
    private final GuardedCall<Q, R> call;
    private final MethodDescriptor<Q, R> method;

    ParsingListener(ServerCall.Listener<Q> delegate, GuardedCall<Q, R> call, MethodDescriptor<Q, R> method) {
      this.delegate = delegate;
      this.call = call;
      this.method = method;
    }

    @Override
    public void onMessage(byte[] message) {
      if (call.rejected) {
        return;
      }
      Q request;
      try {
        request = method.parseRequest(new ByteArrayInputStream(message));
      } catch (RuntimeException e) {
        // Not the parser's message: it is about bytes the client sent, and names protobuf internals.
        call.reject(Status.INVALID_ARGUMENT.withDescription("malformed request: not a valid "
            + method.getFullMethodName() + " request message"));
        delegate.onCancel();
        return;
      }
      delegate.onMessage(request);
    }

    @Override
    public void onHalfClose() {
      if (!call.rejected) {
        delegate.onHalfClose();
      }
    }

    @Override
    public void onCancel() {
      if (!call.rejected) {
        delegate.onCancel();
      }
    }

    @Override
    public void onComplete() {
      if (!call.rejected) {
        delegate.onComplete();
      }
    }

    @Override
    public void onReady() {
      if (!call.rejected) {
        delegate.onReady();
      }
    }
  }

  /** The call as the handler sees it: once rejected here, what the handler sends is dropped. */
  private static final class GuardedCall<Q, R> extends ServerCall<Q, R> {
    private final ServerCall<byte[], R> call;
    private final MethodDescriptor<Q, R> method;
    volatile boolean rejected;

    GuardedCall(ServerCall<byte[], R> call, MethodDescriptor<Q, R> method) {
      this.call = call;
      this.method = method;
    }

    synchronized void reject(Status status) {
      rejected = true;
      call.close(status, new Metadata());
    }

    @Override
    public void request(int numMessages) {
      call.request(numMessages);
    }

    @Override
    public void sendHeaders(Metadata headers) {
      synchronized (this) {
        if (!rejected) {
          call.sendHeaders(headers);
        }
      }
    }

    @Override
    public void sendMessage(R message) {
      synchronized (this) {
        if (!rejected) {
          call.sendMessage(message);
        }
      }
    }

    @Override
    public void close(Status status, Metadata trailers) {
      synchronized (this) {
        if (!rejected) {
          call.close(status, trailers);
        }
      }
    }

    @Override
    public boolean isReady() {
      return !rejected && call.isReady();
    }

    @Override
    public boolean isCancelled() {
      return rejected || call.isCancelled();
    }

    @Override
    public void setMessageCompression(boolean enabled) {
      call.setMessageCompression(enabled);
    }

    @Override
    public void setCompression(String compressor) {
      call.setCompression(compressor);
    }

    @Override
    public void setOnReadyThreshold(int numBytes) {
      call.setOnReadyThreshold(numBytes);
    }

    @Override
    public io.grpc.SecurityLevel getSecurityLevel() {
      return call.getSecurityLevel();
    }

    @Override
    public Attributes getAttributes() {
      return call.getAttributes();
    }

    @Override
    public String getAuthority() {
      return call.getAuthority();
    }

    @Override
    public MethodDescriptor<Q, R> getMethodDescriptor() {
      return method;
    }
  }

  private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };
}
