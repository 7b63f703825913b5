package dev.vertice.gateway.health.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.common.Ticker;
import dev.vertice.gateway.health.HealthCheckConfig;
import dev.vertice.gateway.health.HealthReport.InstanceReport;
import dev.vertice.gateway.health.HealthReport.InstanceStatus;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code GrpcProber} probes a gRPC instance with {@code grpc.health.v1.Health/Check} for the
 * service named by metadata key {@value HealthCheckConfig#GRPC_HEALTH_SERVICE_KEY} (default "",
 * the whole server): SERVING is SERVING; any other answer or error is NOT_SERVING, except
 * UNIMPLEMENTED (no health service) which is UNKNOWN. Channels are kept per {@code address:port}
 * (at most {@code maxChannels}, closed after 5 minutes unused) and closed by {@link #close()}.
 */
public final class GrpcProber implements AutoCloseable {

  private static final Duration IDLE = Duration.ofMinutes(5);

  private final Cache<String, ManagedChannel> channels;
  private final Ticker ticker;

  /** {@code GrpcProber} keeps at most {@code maxChannels} channels. */
  public GrpcProber(int maxChannels, Ticker ticker) {
    this.ticker = ticker;
    this.channels = Caffeine.newBuilder().maximumSize(maxChannels).expireAfterAccess(IDLE)
        .ticker(ticker::nanoTime).executor(Runnable::run)
        .removalListener((String key, ManagedChannel c, RemovalCause cause) -> {
          if (c != null) {
            c.shutdownNow();
          }
        }).build();
  }

  /** {@code probe} probes {@code i} within {@code timeout}; the future never fails. */
  public CompletableFuture<InstanceReport> probe(Instance i, Duration timeout) {
    String service = i.getMetadataOrDefault(HealthCheckConfig.GRPC_HEALTH_SERVICE_KEY, "");
    ManagedChannel channel = channels.get(i.getAddress() + ":" + i.getPort(),
        k -> NettyChannelBuilder.forAddress(i.getAddress(), i.getPort()).usePlaintext()
            .userAgent("vertice-gateway-health").build());
    CompletableFuture<InstanceReport> result = new CompletableFuture<>();
    long start = ticker.nanoTime();
    HealthGrpc.newStub(channel).withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS)
        .check(HealthCheckRequest.newBuilder().setService(service).build(), new StreamObserver<>() {
          @Override
          public void onNext(HealthCheckResponse r) {
            result.complete(Probes.report(i, r.getStatus() == HealthCheckResponse.ServingStatus.SERVING
                ? InstanceStatus.SERVING : InstanceStatus.NOT_SERVING, "grpc " + r.getStatus(),
                Probes.since(ticker, start)));
          }

          @Override
          public void onError(Throwable t) {
            Status s = Status.fromThrowable(t);
            String detail = switch (s.getCode()) {
              case DEADLINE_EXCEEDED -> "timeout after " + timeout.toMillis() + " ms";
              default -> "grpc " + s.getCode() + (s.getDescription() == null ? "" : ": " + s.getDescription());
            };
            result.complete(Probes.report(i, s.getCode() == Status.Code.UNIMPLEMENTED ? InstanceStatus.UNKNOWN
                : InstanceStatus.NOT_SERVING, detail, Probes.since(ticker, start)));
          }

          @Override
          public void onCompleted() {
            result.complete(Probes.report(i, InstanceStatus.NOT_SERVING, "grpc: no answer",
                Probes.since(ticker, start)));
          }
        });
    return result;
  }

  @Override
  public void close() {
    channels.invalidateAll();
    channels.cleanUp();
  }
}
