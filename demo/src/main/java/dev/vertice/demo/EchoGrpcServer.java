package dev.vertice.demo;

import dev.vertice.demo.api.v1.EchoRequest;
import dev.vertice.demo.api.v1.EchoResponse;
import dev.vertice.demo.api.v1.EchoServiceGrpc;
import dev.vertice.demo.api.v1.SetServingRequest;
import dev.vertice.demo.api.v1.SetServingResponse;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code EchoGrpcServer} is the demo gRPC service: {@code vertice.demo.v1.EchoService} and
 * grpc.health.v1, whose status (for the empty service name and for {@code
 * vertice.demo.v1.EchoService}) follows the health switch.
 *
 * <p>Cheap enough to run dozens in one JVM: handlers never block (latency is a timer on one
 * shared daemon thread) and run on gRPC's shared Netty event loops.
 */
public final class EchoGrpcServer implements DemoService {

  private static final ScheduledExecutorService DELAYS = delays();

  private final DemoConfig config;
  private final HealthStatusManager health = new HealthStatusManager();
  private final Server server;
  private final Random random;
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean serving = true;

  private EchoGrpcServer(DemoConfig config, List<? extends ServerInterceptor> interceptors) throws IOException {
    this.config = config;
    this.random = new Random(config.seed());
    NettyServerBuilder b = NettyServerBuilder.forAddress(new InetSocketAddress(config.host(), config.port()))
        .directExecutor()
        .addService(new Echo())
        .addService(health.getHealthService());
    // The last one added sees a call first: add in reverse so that the first listed does.
    for (int i = interceptors.size() - 1; i >= 0; i--) {
      b.intercept(interceptors.get(i));
    }
    this.server = b.build().start();
    publish(true);
  }

  /**
   * {@code start} binds and starts an instance.
   *
   * @throws IOException when the address cannot be bound
   */
  public static EchoGrpcServer start(DemoConfig config) throws IOException {
    return new EchoGrpcServer(config, List.of());
  }

  /**
   * {@code start} binds and starts an instance whose calls pass through {@code interceptors} (such
   * as tracing's server interceptor), the first listed seeing a call first.
   *
   * @throws IOException when the address cannot be bound
   */
  public static EchoGrpcServer start(DemoConfig config, List<? extends ServerInterceptor> interceptors)
      throws IOException {
    return new EchoGrpcServer(config, List.copyOf(interceptors));
  }

  @Override
  public DemoConfig config() {
    return config;
  }

  @Override
  public int port() {
    return ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
  }

  @Override
  public String protocol() {
    return "grpc";
  }

  @Override
  public boolean serving() {
    return serving;
  }

  @Override
  public void setServing(boolean serving) {
    this.serving = serving;
    publish(serving);
  }

  @Override
  public int inFlight() {
    return inFlight.get();
  }

  @Override
  public void close() {
    health.enterTerminalState();
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void publish(boolean up) {
    ServingStatus status = up ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
    health.setStatus("", status);
    health.setStatus(EchoServiceGrpc.SERVICE_NAME, status);
  }

  private final class Echo extends EchoServiceGrpc.EchoServiceImplBase {
    @Override
    public void echo(EchoRequest request, StreamObserver<EchoResponse> out) {
      inFlight.incrementAndGet();
      Runnable answer = () -> {
        try {
          boolean fail;
          synchronized (random) {
            fail = config.errorRate() > 0 && random.nextDouble() < config.errorRate();
          }
          if (fail) {
            out.onError(Status.INTERNAL.withDescription("injected error").asRuntimeException());
          } else {
            out.onNext(EchoResponse.newBuilder().setService(config.service()).setInstanceId(config.instanceId())
                .setVersion(config.version()).setMessage(request.getMessage()).build());
            out.onCompleted();
          }
        } finally {
          inFlight.decrementAndGet();
        }
      };
      if (config.latency().isZero()) {
        answer.run();
      } else {
        DELAYS.schedule(answer, config.latency().toNanos(), TimeUnit.NANOSECONDS);
      }
    }

    @Override
    public void setServing(SetServingRequest request, StreamObserver<SetServingResponse> out) {
      EchoGrpcServer.this.setServing(request.getServing());
      out.onNext(SetServingResponse.newBuilder().setServing(serving).build());
      out.onCompleted();
    }
  }

  private static ScheduledExecutorService delays() {
    ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "demo-grpc-delays");
      t.setDaemon(true);
      return t;
    });
    s.setRemoveOnCancelPolicy(true);
    return s;
  }
}
