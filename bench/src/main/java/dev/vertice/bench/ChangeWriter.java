package dev.vertice.bench;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.protobuf.Duration;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.RegisterRequest;
import dev.vertice.api.registry.v1.RegisterResponse;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code ChangeWriter} is the writer of {@code bench push}, in the bench process: it sets service
 * {@code s}'s value to a sequence number, on Vertice by re-registering the service's one instance
 * with a new {@code seq} metadata value (the generated stub's Register), on etcd by a put of the
 * service's key (jetcd).
 */
interface ChangeWriter extends AutoCloseable {

  /** Writes {@code seq} as service {@code service}'s value; completes when the write is acknowledged. */
  CompletableFuture<Void> write(int service, long seq);

  @Override
  void close();

  /** Returns a writer of Register calls to the control plane at {@code host:port}. */
  static ChangeWriter vertice(String host, int port) {
    return new Vertice(host, port);
  }

  /** Returns a writer of puts to etcd at {@code url}. */
  static ChangeWriter etcd(String url) {
    return new Etcd(url);
  }

  /** Register calls on one connection. */
  final class Vertice implements ChangeWriter {
    // Long enough for any run: each change renews it anyway.
    private static final Duration TTL = Duration.newBuilder().setSeconds(3600).build();
    private final ManagedChannel channel;
    private final RegistryServiceGrpc.RegistryServiceFutureStub stub;

    Vertice(String host, int port) {
      channel = NettyChannelBuilder.forAddress(host, port).usePlaintext().directExecutor().build();
      stub = RegistryServiceGrpc.newFutureStub(channel);
    }

    @Override
    public CompletableFuture<Void> write(int service, long seq) {
      Instance instance = Instance.newBuilder().setService(WatchersCommand.serviceName(service)).setInstanceId("i-1")
          .setAddress("127.0.0.1").setPort(8080).putMetadata(WatchersCommand.SEQ, Long.toString(seq)).build();
      CompletableFuture<Void> done = new CompletableFuture<>();
      Futures.addCallback(stub.withDeadlineAfter(30, TimeUnit.SECONDS)
              .register(RegisterRequest.newBuilder().setInstance(instance).setTtl(TTL).build()),
          new FutureCallback<RegisterResponse>() {
            @Override
            public void onSuccess(RegisterResponse r) {
              done.complete(null);
            }

            @Override
            public void onFailure(Throwable t) {
              done.completeExceptionally(t);
            }
          }, MoreExecutors.directExecutor());
      return done;
    }

    @Override
    public void close() {
      channel.shutdownNow();
      try {
        channel.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Puts through one jetcd client. */
  final class Etcd implements ChangeWriter {
    private final Client client;

    Etcd(String url) {
      client = Client.builder().endpoints(url).build();
    }

    @Override
    public CompletableFuture<Void> write(int service, long seq) {
      return client.getKVClient().put(WatchersCommand.etcdKey(service),
          ByteSequence.from(Long.toString(seq), StandardCharsets.UTF_8)).thenApply(r -> null);
    }

    @Override
    public void close() {
      client.close();
    }
  }
}
