package dev.vertice.controlplane.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.discovery.v1.DiscoveryServiceGrpc;
import dev.vertice.api.discovery.v1.WatchRequest;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.common.ResourceTypes;
import dev.vertice.testkit.Await;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Regression: bytes that are not a protobuf message used to end the call with UNKNOWN ("Application
 * error processing RPC") and a SEVERE stack trace in the server log per request; now INVALID_ARGUMENT,
 * nothing logged, nothing changed, and a stream's subscription is released.
 */
class MalformedRequestsTest {

  /** A truncated length-delimited field: field 1, length 50, 2 bytes. */
  private static final byte[] GARBAGE = {0x0a, 0x32, 0x41, 0x42};

  private InProcessControlPlane cp;
  private final List<LogRecord> logged = new CopyOnWriteArrayList<>();
  private final Handler capture = new Handler() {
    @Override
    public void publish(LogRecord r) {
      logged.add(r);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };

  @BeforeEach
  void setUp() throws IOException {
    cp = new InProcessControlPlane();
    Logger.getLogger("").addHandler(capture);
  }

  @AfterEach
  void tearDown() {
    Logger.getLogger("").removeHandler(capture);
    cp.close();
  }

  @Test
  void malformedUnaryRequestIsInvalidArgumentAndLogsNothing() throws Exception {
    Status status = call(RegistryServiceGrpc.getRegisterMethod(), List.of(GARBAGE), true).get(5, TimeUnit.SECONDS);
    assertEquals(Status.Code.INVALID_ARGUMENT, status.getCode(), status.toString());
    assertEquals("malformed request: not a valid vertice.registry.v1.RegistryService/Register request message",
        status.getDescription());
    assertEquals(0, cp.controlPlane.registry().instanceCount());
    assertTrue(logged.stream().noneMatch(r -> r.getThrown() != null), "nothing logged with a stack trace");
  }

  @Test
  void malformedMessageOnAWatchStreamEndsItAndReleasesTheSubscriber() throws Exception {
    byte[] subscribe = WatchRequest.newBuilder().setTypeUrl(ResourceTypes.ENDPOINTS).addSubscribe("orders").build()
        .toByteArray();
    CompletableFuture<Status> ended = call(DiscoveryServiceGrpc.getWatchMethod(), List.of(subscribe), false);
    Await.until("the stream's subscriber is open", Duration.ofSeconds(5),
        () -> cp.controlPlane.engine().stats().subscribers() == 1);
    CompletableFuture<Status> second = call(DiscoveryServiceGrpc.getWatchMethod(), List.of(subscribe, GARBAGE), false);
    assertEquals(Status.Code.INVALID_ARGUMENT, second.get(5, TimeUnit.SECONDS).getCode());
    Await.until("the broken stream's subscriber is released", Duration.ofSeconds(5),
        () -> cp.controlPlane.engine().stats().subscribers() == 1);
    assertTrue(!ended.isDone(), "the healthy stream goes on");
    assertTrue(logged.stream().noneMatch(r -> r.getThrown() != null), "nothing logged with a stack trace");
  }

  private <Q, R> CompletableFuture<Status> call(MethodDescriptor<Q, R> method, List<byte[]> messages,
      boolean halfClose) {
    MethodDescriptor<byte[], byte[]> raw = method.toBuilder(BYTES, BYTES).build();
    ClientCall<byte[], byte[]> call = cp.channel.newCall(raw, CallOptions.DEFAULT);
    CompletableFuture<Status> closed = new CompletableFuture<>();
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onClose(Status status, Metadata trailers) {
        closed.complete(status);
      }
    }, new Metadata());
    call.request(100);
    messages.forEach(call::sendMessage);
    if (halfClose) {
      call.halfClose();
    }
    return closed;
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
        throw new java.io.UncheckedIOException(e);
      }
    }
  };
}
