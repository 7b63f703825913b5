package dev.vertice.observability;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code RpcSpans} opens a span per gRPC call, named by the full method name
 * ({@code grpc.health.v1.Health/Check}) with OpenTelemetry's RPC attributes ({@code rpc.system},
 * {@code rpc.service}, {@code rpc.method}, {@code rpc.grpc.status_code}), and carries the trace context
 * in the call's headers with the configured propagator (W3C {@code traceparent} by default).
 *
 * <p>It is ours rather than opentelemetry-grpc-1.6's because that library ships a gRPC
 * {@code ContextStorageOverride}: gRPC picks it from the class path, and every attach of a gRPC
 * {@code Context} (several per message) then built an OpenTelemetry context and scope, with tracing off
 * too, 9 % of a control plane's allocation under push load. Here the span's context is current only
 * inside the call's own callbacks, on the thread that runs them. Each callback opens and closes its
 * scope itself rather than through a shared helper taking a lambda, which would allocate one per
 * message of a traced stream.
 */
final class RpcSpans {

  private static final AttributeKey<String> RPC_SYSTEM = AttributeKey.stringKey("rpc.system");
  private static final AttributeKey<String> RPC_SERVICE = AttributeKey.stringKey("rpc.service");
  private static final AttributeKey<String> RPC_METHOD = AttributeKey.stringKey("rpc.method");
  private static final AttributeKey<Long> RPC_STATUS = AttributeKey.longKey("rpc.grpc.status_code");
  private static final AttributeKey<String> SERVER_ADDRESS = AttributeKey.stringKey("server.address");

  /** The codes that are the server's fault, and so a SERVER span's error (OpenTelemetry's RPC conventions). */
  private static final Set<Status.Code> SERVER_ERRORS = EnumSet.of(Status.Code.UNKNOWN,
      Status.Code.DEADLINE_EXCEEDED, Status.Code.UNIMPLEMENTED, Status.Code.INTERNAL, Status.Code.UNAVAILABLE,
      Status.Code.DATA_LOSS);

  private static final TextMapGetter<Metadata> GETTER = new TextMapGetter<>() {
    @Override
    @SuppressWarnings("deprecation") // still abstract in the interface; the W3C propagator does not call it
    public Iterable<String> keys(Metadata carrier) {
      return carrier.keys();
    }

    @Override
    public String get(Metadata carrier, String key) {
      if (carrier == null || key.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
        return null;
      }
      return carrier.get(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER));
    }
  };

  private static final TextMapSetter<Metadata> SETTER = (carrier, key, value) -> {
    if (carrier != null) {
      Metadata.Key<String> k = Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER);
      carrier.removeAll(k); // a caller's own header of the same name would make two
      carrier.put(k, value);
    }
  };

  private final Tracer tracer;
  private final TextMapPropagator propagator;

  RpcSpans(OpenTelemetry openTelemetry) {
    this.tracer = openTelemetry.getTracer("dev.vertice.grpc");
    this.propagator = openTelemetry.getPropagators().getTextMapPropagator();
  }

  /** Returns the interceptor that opens a SERVER span per call, child of the context in its headers. */
  ServerInterceptor server() {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        MethodDescriptor<Q, R> method = call.getMethodDescriptor();
        Context context = propagator.extract(Context.root(), headers, GETTER);
        Span span = start(method, SpanKind.SERVER, context, null);
        Context traced = context.with(span);
        SpanEnd end = new SpanEnd(span, true);
        ServerCall.Listener<Q> listener;
        Scope starting = traced.makeCurrent();
        try {
          listener = next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<Q, R>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
              try {
                super.close(status, trailers);
              } finally {
                end.end(status);
              }
            }
          }, headers);
        } catch (RuntimeException e) {
          end.end(Status.fromThrowable(e));
          throw e;
        } finally {
          starting.close();
        }
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<Q>(listener) {
          @Override
          public void onMessage(Q message) {
            Scope scope = traced.makeCurrent();
            try {
              super.onMessage(message);
            } finally {
              scope.close();
            }
          }

          @Override
          public void onHalfClose() {
            Scope scope = traced.makeCurrent();
            try {
              super.onHalfClose();
            } finally {
              scope.close();
            }
          }

          @Override
          public void onCancel() {
            Scope scope = traced.makeCurrent();
            try {
              super.onCancel();
            } finally {
              scope.close();
              end.end(Status.CANCELLED);
            }
          }

          @Override
          public void onComplete() {
            Scope scope = traced.makeCurrent();
            try {
              super.onComplete();
            } finally {
              scope.close();
            }
          }

          @Override
          public void onReady() {
            Scope scope = traced.makeCurrent();
            try {
              super.onReady();
            } finally {
              scope.close();
            }
          }
        };
      }
    };
  }

  /**
   * Returns the interceptor that opens a CLIENT span per call, child of the current context, and puts
   * its context in the call's headers. The span ends after the caller's listener has heard of the
   * call's end: {@code closingStarts} runs before that delivery and {@code closingEnds} after the span
   * ended, so that a close can wait for the spans of calls that are ending.
   */
  ClientInterceptor client(Runnable closingStarts, Runnable closingEnds) {
    return new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options,
          Channel next) {
        Context parent = Context.current();
        Span span = start(method, SpanKind.CLIENT, parent, next.authority());
        Context traced = parent.with(span);
        SpanEnd end = new SpanEnd(span, false);
        ClientCall<Q, R> call;
        Scope starting = traced.makeCurrent();
        try {
          call = next.newCall(method, options);
        } catch (RuntimeException e) {
          end.end(Status.fromThrowable(e));
          throw e;
        } finally {
          starting.close();
        }
        return new ForwardingClientCall.SimpleForwardingClientCall<Q, R>(call) {
          @Override
          public void start(Listener<R> listener, Metadata headers) {
            propagator.inject(traced, headers, SETTER);
            Scope current = traced.makeCurrent();
            try {
              super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<R>(listener) {
                @Override
                public void onHeaders(Metadata responseHeaders) {
                  Scope scope = traced.makeCurrent();
                  try {
                    super.onHeaders(responseHeaders);
                  } finally {
                    scope.close();
                  }
                }

                @Override
                public void onMessage(R message) {
                  Scope scope = traced.makeCurrent();
                  try {
                    super.onMessage(message);
                  } finally {
                    scope.close();
                  }
                }

                @Override
                public void onReady() {
                  Scope scope = traced.makeCurrent();
                  try {
                    super.onReady();
                  } finally {
                    scope.close();
                  }
                }

                @Override
                public void onClose(Status status, Metadata trailers) {
                  closingStarts.run();
                  Scope scope = traced.makeCurrent();
                  try {
                    super.onClose(status, trailers);
                  } finally {
                    scope.close();
                    end.end(status);
                    closingEnds.run();
                  }
                }
              }, headers);
            } catch (RuntimeException e) {
              end.end(Status.fromThrowable(e));
              throw e;
            } finally {
              current.close();
            }
          }
        };
      }
    };
  }

  private Span start(MethodDescriptor<?, ?> method, SpanKind kind, Context parent, String authority) {
    SpanBuilder span = tracer.spanBuilder(method.getFullMethodName()).setParent(parent).setSpanKind(kind)
        .setAttribute(RPC_SYSTEM, "grpc").setAttribute(RPC_SERVICE, method.getServiceName())
        .setAttribute(RPC_METHOD, method.getBareMethodName());
    if (authority != null) {
      span.setAttribute(SERVER_ADDRESS, authority);
    }
    return span.startSpan();
  }

  /** Ends a span once, with a call's status: the first of close, cancel or a thrown start wins. */
  private static final class SpanEnd {
    private final AtomicBoolean ended = new AtomicBoolean();
    private final Span span;
    private final boolean server;

    SpanEnd(Span span, boolean server) {
      this.span = span;
      this.server = server;
    }

    void end(Status status) {
      if (!ended.compareAndSet(false, true)) {
        return;
      }
      Status.Code code = status.getCode();
      span.setAttribute(RPC_STATUS, (long) code.value());
      if (server ? SERVER_ERRORS.contains(code) : code != Status.Code.OK) {
        span.setStatus(StatusCode.ERROR, status.getDescription() == null ? "" : status.getDescription());
      }
      if (status.getCause() != null) {
        span.recordException(status.getCause());
      }
      span.end();
    }
  }
}
