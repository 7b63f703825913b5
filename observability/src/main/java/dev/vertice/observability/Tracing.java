package dev.vertice.observability;

import io.grpc.ClientInterceptor;
import io.grpc.ServerInterceptor;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code Tracing} is a process's OpenTelemetry setup: spans for every gRPC call ({@link RpcSpans})
 * and W3C trace context propagation.
 *
 * <p>It is off unless configured by the standard OpenTelemetry environment variables: setting
 * {@code OTEL_EXPORTER_OTLP_ENDPOINT}, {@code OTEL_EXPORTER_OTLP_TRACES_ENDPOINT} or {@code
 * OTEL_TRACES_EXPORTER} (other than {@code none}) turns it on, and {@code OTEL_SDK_DISABLED=true}
 * turns it off again. Every other {@code OTEL_*} variable applies as documented by OpenTelemetry's
 * SDK autoconfiguration; {@code OTEL_SERVICE_NAME} defaults to the component's name and {@code
 * OTEL_EXPORTER_OTLP_PROTOCOL} to {@code http/protobuf} (port 4318; the OTLP/gRPC sender is not
 * shipped). Only traces are exported (metrics go to Prometheus).
 */
public final class Tracing implements AutoCloseable {

  /** Longest wait of {@link #close()} for client calls whose completion is being delivered. */
  static final Duration CLOSE_WAIT = Duration.ofSeconds(2);

  private final OpenTelemetry openTelemetry;
  private final OpenTelemetrySdk owned;
  private final RpcSpans spans;
  private final Object lock = new Object();
  private int closingCalls; // guarded by lock

  private Tracing(OpenTelemetry openTelemetry, OpenTelemetrySdk owned) {
    this.openTelemetry = openTelemetry;
    this.owned = owned;
    this.spans = new RpcSpans(openTelemetry);
  }

  /** Returns tracing that records nothing: interceptors pass calls through. */
  public static Tracing off() {
    return new Tracing(OpenTelemetry.noop(), null);
  }

  /** Returns tracing that owns {@code sdk}: {@link #close()} shuts it down (for tests). */
  static Tracing owning(OpenTelemetrySdk sdk) {
    return new Tracing(sdk, sdk);
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
            // Only the HTTP sender is on the class path (no OkHttp, no gRPC sender): OTLP over
            // HTTP unless OTEL_EXPORTER_OTLP_PROTOCOL says otherwise.
            "otel.exporter.otlp.protocol", "http/protobuf",
            "otel.metrics.exporter", "none",
            "otel.logs.exporter", "none"))
        // Our close() flushes, after the process's own shutdown (a drain, say) made its last
        // calls: the SDK's shutdown hook would stop it at the signal, before them.
        .disableShutdownHook()
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
    return spans.server();
  }

  /**
   * Returns an interceptor that opens a client span per gRPC call and propagates its context.
   *
   * <p>A call's span ends after the caller's listener has heard of the call's end, so a caller that
   * stops the process as soon as its last call returned could close this object before that span
   * ended, and lose it: the interceptor counts the calls whose end is being delivered, and {@link
   * #close()} waits for them.
   */
  public ClientInterceptor clientInterceptor() {
    return spans.client(() -> {
      synchronized (lock) {
        closingCalls++;
      }
    }, () -> {
      synchronized (lock) {
        closingCalls--;
        lock.notifyAll();
      }
    });
  }

  /**
   * Returns {@link #serverInterceptor()} as a list when spans are exported, else an empty list: a
   * server built with tracing off carries no interceptor at all.
   */
  public List<ServerInterceptor> serverInterceptors() {
    return enabled() ? List.of(serverInterceptor()) : List.of();
  }

  /**
   * Returns {@link #clientInterceptor()} as a list when spans are exported, else an empty list, for
   * the {@code interceptors(...)} setting of the client builders.
   */
  public List<ClientInterceptor> clientInterceptors() {
    return enabled() ? List.of(clientInterceptor()) : List.of();
  }

  /** Flushes and stops the exporter when this object created it. */
  @Override
  public void close() {
    if (owned == null) {
      return;
    }
    long deadline = System.nanoTime() + CLOSE_WAIT.toNanos();
    synchronized (lock) {
      long left;
      while (closingCalls > 0 && (left = deadline - System.nanoTime()) > 0) {
        try {
          TimeUnit.NANOSECONDS.timedWait(lock, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    owned.close();
  }
}
