package dev.vertice.gateway.proxy;

import dev.vertice.observability.Tracing;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.util.Objects;

/**
 * {@code RequestTracing} opens one SERVER span per proxied HTTP request, child of the context the
 * incoming headers carry (W3C {@code traceparent}, by the configured propagators), and injects that
 * span's context into the upstream request in place of the incoming one.
 *
 * <p>{@link #OFF} creates nothing: {@link #start} returns null and the other methods accept null.
 */
final class RequestTracing {

  /** {@code OFF} traces nothing. */
  static final RequestTracing OFF = new RequestTracing(null, null);

  static final AttributeKey<String> HTTP_METHOD = AttributeKey.stringKey("http.request.method");
  static final AttributeKey<String> URL_PATH = AttributeKey.stringKey("url.path");
  static final AttributeKey<Long> HTTP_STATUS = AttributeKey.longKey("http.response.status_code");
  static final AttributeKey<String> SERVICE = AttributeKey.stringKey("vertice.service");

  private static final TextMapGetter<HttpHeaders> GETTER = new TextMapGetter<>() {
    @Override
    @SuppressWarnings("deprecation") // still abstract in the interface; the W3C propagator does not call it
    public Iterable<String> keys(HttpHeaders carrier) {
      return carrier.names();
    }

    @Override
    public String get(HttpHeaders carrier, String key) {
      return carrier == null ? null : carrier.get(key);
    }
  };

  private static final TextMapSetter<HttpHeaders> SETTER = (carrier, key, value) -> {
    if (carrier != null) {
      carrier.set(key, value);
    }
  };

  private final Tracer tracer;
  private final TextMapPropagator propagator;

  private RequestTracing(Tracer tracer, TextMapPropagator propagator) {
    this.tracer = tracer;
    this.propagator = propagator;
  }

  /** {@code of} returns request tracing for {@code tracing}, {@link #OFF} when it is off. */
  static RequestTracing of(Tracing tracing) {
    Objects.requireNonNull(tracing, "tracing");
    if (!tracing.enabled()) {
      return OFF;
    }
    return new RequestTracing(tracing.openTelemetry().getTracer("dev.vertice.gateway"),
        tracing.openTelemetry().getPropagators().getTextMapPropagator());
  }

  /**
   * {@code start} opens the SERVER span of a request to {@code service} ("GET /service"), or
   * returns null when tracing is off.
   */
  Span start(HttpRequest req, String service, String path) {
    if (tracer == null) {
      return null;
    }
    Context parent = propagator.extract(Context.root(), req.headers(), GETTER);
    String method = req.method().name();
    return tracer.spanBuilder(method + " /" + service)
        .setParent(parent)
        .setSpanKind(SpanKind.SERVER)
        .setAttribute(HTTP_METHOD, method)
        .setAttribute(URL_PATH, path)
        .setAttribute(SERVICE, service)
        .startSpan();
  }

  /**
   * {@code inject} replaces the trace context headers of the upstream request {@code h} with
   * {@code span}'s (nothing when {@code span} is null: the incoming headers pass through).
   */
  void inject(Span span, HttpHeaders h) {
    if (span == null) {
      return;
    }
    for (String field : propagator.fields()) {
      h.remove(field);
    }
    propagator.inject(Context.root().with(span), h, SETTER);
  }

  /** {@code end} ends {@code span} with the response {@code status} (an error from 500 up). */
  static void end(Span span, int status) {
    if (span == null) {
      return;
    }
    span.setAttribute(HTTP_STATUS, (long) status);
    if (status >= 500) {
      span.setStatus(StatusCode.ERROR);
    }
    span.end();
  }
}
