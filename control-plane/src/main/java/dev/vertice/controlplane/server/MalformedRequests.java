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
import java.io.InputStream;
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
 * the message. The transport's stream is parsed as it comes (no copy into an intermediate array): a
 * message that does not parse is handed over as a marker.
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

  private static <Q, R> ServerMethodDefinition<Object, R> wrap(ServerMethodDefinition<Q, R> m) {
    MethodDescriptor<Q, R> original = m.getMethodDescriptor();
    MethodDescriptor<Object, R> raw = original.toBuilder(new Parsing<>(original), original.getResponseMarshaller())
        .build();
    ServerCallHandler<Q, R> handler = m.getServerCallHandler();
    return ServerMethodDefinition.create(raw, (call, headers) -> {
      GuardedCall<Q, R> guarded = new GuardedCall<>(call, original);
      ServerCall.Listener<Q> delegate = handler.startCall(guarded, headers);
      return new ParsingListener<>(delegate, guarded, original);
    });
  }

  /** Parses each request; a malformed one closes the call as INVALID_ARGUMENT. */
  private static final class ParsingListener<Q, R> extends ServerCall.Listener<Object> {
    private final ServerCall.Listener<Q> delegate;
    private final GuardedCall<Q, R> call;
    private final MethodDescriptor<Q, R> method;

    ParsingListener(ServerCall.Listener<Q> delegate, GuardedCall<Q, R> call, MethodDescriptor<Q, R> method) {
      this.delegate = delegate;
      this.call = call;
      this.method = method;
    }

    @Override
    @SuppressWarnings("unchecked")
    public void onMessage(Object message) {
      if (call.rejected) {
        return;
      }
      if (message == MALFORMED) {
        // Not the parser's message: it is about bytes the client sent, and names protobuf internals.
        call.reject(Status.INVALID_ARGUMENT.withDescription("malformed request: not a valid "
            + method.getFullMethodName() + " request message"));
        delegate.onCancel();
        return;
      }
      delegate.onMessage((Q) message);
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
    private final ServerCall<Object, R> call;
    private final MethodDescriptor<Q, R> method;
    volatile boolean rejected;

    GuardedCall(ServerCall<Object, R> call, MethodDescriptor<Q, R> method) {
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

  /** What {@link Parsing} hands over for a request that is not a valid message. */
  private static final Object MALFORMED = new Object();

  /** Parses with the method's own marshaller; a request that does not parse becomes {@link #MALFORMED}. */
  private static final class Parsing<Q> implements MethodDescriptor.Marshaller<Object> {
    private final MethodDescriptor<Q, ?> method;

    Parsing(MethodDescriptor<Q, ?> method) {
      this.method = method;
    }

    @Override
    @SuppressWarnings("unchecked")
    public InputStream stream(Object value) {
      return method.streamRequest((Q) value);
    }

    @Override
    public Object parse(InputStream stream) {
      try {
        return method.parseRequest(stream);
      } catch (RuntimeException e) {
        return MALFORMED;
      }
    }
  }
}
