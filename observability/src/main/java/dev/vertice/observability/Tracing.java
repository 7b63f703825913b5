package dev.vertice.observability;

import io.grpc.ClientInterceptor;
import io.grpc.ServerInterceptor;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.instrumentation.grpc.v1_6.GrpcTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import java.util.Map;

/**
 * {@code Tracing} is a process's OpenTelemetry setup: spans for every gRPC call (the
 * opentelemetry-grpc-1.6 library instrumentation) and W3C trace context propagation.
 *
 * <p>It is off unless configured by the standard OpenTelemetry environment variables: setting
 * {@code OTEL_EXPORTER_OTLP_ENDPOINT}, {@code OTEL_EXPORTER_OTLP_TRACES_ENDPOINT} or {@code
 * OTEL_TRACES_EXPORTER} (other than {@code none}) turns it on, and {@code OTEL_SDK_DISABLED=true}
 * turns it off again. Every other {@code OTEL_*} variable applies as documented by OpenTelemetry's
 * SDK autoconfiguration; {@code OTEL_SERVICE_NAME} defaults to the component's name. Only traces
 * are exported (metrics go to Prometheus).
 */
public final class Tracing implements AutoCloseable {

  private final OpenTelemetry openTelemetry;
  private final OpenTelemetrySdk owned;
  private final GrpcTelemetry grpc;

  private Tracing(OpenTelemetry openTelemetry, OpenTelemetrySdk owned) {
    this.openTelemetry = openTelemetry;
    this.owned = owned;
    this.grpc = GrpcTelemetry.create(openTelemetry);
  }

  /** Returns tracing that records nothing: interceptors pass calls through. */
  public static Tracing off() {
    return new Tracing(OpenTelemetry.noop(), null);
  }

  /** Returns tracing on an OpenTelemetry the caller owns (tests use the SDK's in-memory exporter). */
  public static Tracing of(OpenTelemetry openTelemetry) {
    return new Tracing(openTelemetry, null);
  }

  /**
   * Returns tracing configured from the process environment, or {@link #off()} when no exporter
   * is configured.
   *
   * @param serviceName the default {@code service.name}, such as "vertice-gateway"
   */
  public static Tracing fromEnvironment(String serviceName) {
    if (!enabled(System.getenv())) {
      return off();
    }
    OpenTelemetrySdk sdk = AutoConfiguredOpenTelemetrySdk.builder()
        // Defaults only: OTEL_* environment variables and system properties override them.
        .addPropertiesSupplier(() -> Map.of(
            "otel.service.name", serviceName,
            "otel.metrics.exporter", "none",
            "otel.logs.exporter", "none"))
        .build()
        .getOpenTelemetrySdk();
    return new Tracing(sdk, sdk);
  }

  /** Returns whether {@code env} configures a trace exporter. */
  static boolean enabled(Map<String, String> env) {
    if ("true".equalsIgnoreCase(env.getOrDefault("OTEL_SDK_DISABLED", "").strip())) {
      return false;
    }
    String exporter = env.getOrDefault("OTEL_TRACES_EXPORTER", "").strip();
    if (!exporter.isEmpty()) {
      return !exporter.equalsIgnoreCase("none");
    }
    return !env.getOrDefault("OTEL_EXPORTER_OTLP_ENDPOINT", "").isBlank()
        || !env.getOrDefault("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "").isBlank();
  }

  /** Returns whether spans are exported. */
  public boolean enabled() {
    return owned != null || openTelemetry != OpenTelemetry.noop();
  }

  /** Returns the OpenTelemetry to create spans and propagate context with. */
  public OpenTelemetry openTelemetry() {
    return openTelemetry;
  }

  /** Returns an interceptor that opens a server span per gRPC call. */
  public ServerInterceptor serverInterceptor() {
    return grpc.createServerInterceptor();
  }

  /** Returns an interceptor that opens a client span per gRPC call and propagates its context. */
  public ClientInterceptor clientInterceptor() {
    return grpc.createClientInterceptor();
  }

  /** Flushes and stops the exporter when this object created it. */
  @Override
  public void close() {
    if (owned != null) {
      owned.close();
    }
  }
}
