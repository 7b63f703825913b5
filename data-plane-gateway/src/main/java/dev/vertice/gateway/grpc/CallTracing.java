package dev.vertice.gateway.grpc;

import dev.vertice.observability.Tracing;
import io.grpc.Status;
import io.netty.handler.codec.http2.Http2Headers;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code CallTracing} gives a relayed call the two spans a gRPC proxy has: a SERVER span, child of
 * the trace context the caller's headers carry, and a CLIENT span under it, whose context replaces
 * the caller's in the headers sent to the instance. Both are named by the full method name and
 * carry the gRPC status code.
 */
final class CallTracing {

  private static final AttributeKey<String> RPC_SYSTEM = AttributeKey.stringKey("rpc.system");
  private static final AttributeKey<String> RPC_METHOD = AttributeKey.stringKey("rpc.method");
  private static final AttributeKey<Long> RPC_STATUS = AttributeKey.longKey("rpc.grpc.status_code");
  private static final AttributeKey<String> SERVICE = AttributeKey.stringKey("vertice.service");

  private static final TextMapGetter<Http2Headers> GETTER = new TextMapGetter<>() {
    @Override
    @SuppressWarnings("deprecation") // still abstract in the interface; the W3C propagator does not call it
    public Iterable<String> keys(Http2Headers carrier) {
      List<String> names = new ArrayList<>();
      carrier.names().forEach(n -> names.add(n.toString()));
      return names;
    }

    @Override
    public String get(Http2Headers carrier, String key) {
      CharSequence v = carrier == null ? null : carrier.get(key);
      return v == null ? null : v.toString();
    }
  };

  private static final TextMapSetter<Http2Headers> SETTER = (carrier, key, value) -> {
    if (carrier != null) {
      carrier.set(key, value);
    }
  };

  private final Tracer tracer;
  private final TextMapPropagator propagator;

  private CallTracing(Tracing tracing) {
    this.tracer = tracing.openTelemetry().getTracer("dev.vertice.gateway");
    this.propagator = tracing.openTelemetry().getPropagators().getTextMapPropagator();
  }

  /** {@code of} returns call tracing on {@code tracing}, null when it is off. */
  static CallTracing of(Tracing tracing) {
    return tracing.enabled() ? new CallTracing(tracing) : null;
  }

  /** {@code start} opens {@code call}'s spans and puts the CLIENT span's context in {@code headers}. */
  void start(RelayedCall call, Http2Headers headers) {
    Context parent = propagator.extract(Context.root(), headers, GETTER);
    call.serverSpan = tracer.spanBuilder(call.method).setParent(parent).setSpanKind(SpanKind.SERVER)
        .setAttribute(RPC_SYSTEM, "grpc").setAttribute(RPC_METHOD, call.method).setAttribute(SERVICE, call.service)
        .startSpan();
    call.clientSpan = tracer.spanBuilder(call.method).setParent(Context.root().with(call.serverSpan))
        .setSpanKind(SpanKind.CLIENT).setAttribute(RPC_SYSTEM, "grpc").setAttribute(RPC_METHOD, call.method)
        .setAttribute(SERVICE, call.service).startSpan();
    for (String field : propagator.fields()) {
      headers.remove(field);
    }
    propagator.inject(Context.root().with(call.clientSpan), headers, SETTER);
  }

  /** {@code end} ends {@code call}'s spans with {@code code} (an error for the server-side codes). */
  static void end(RelayedCall call, Status.Code code, boolean serverError) {
    for (Span s : new Span[] {call.clientSpan, call.serverSpan}) {
      if (s != null) {
        s.setAttribute(RPC_STATUS, (long) code.value());
        if (serverError) {
          s.setStatus(StatusCode.ERROR);
        }
        s.end();
      }
    }
  }
}
