package dev.vertice.bench;

import dev.vertice.demo.api.v1.EchoRequest;
import dev.vertice.demo.api.v1.EchoResponse;
import dev.vertice.demo.api.v1.EchoServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code GrpcUnary} is the gRPC part of {@code bench gateway}: the demo gRPC service's unary method
 * {@code vertice.demo.v1.EchoService/Echo}, called by h2load as plain HTTP/2 POSTs that each carry
 * one length-prefixed message ({@code content-type: application/grpc}, {@code te: trailers}).
 *
 * <p>h2load counts HTTP statuses only, and a failed gRPC call is an HTTP 200 whose {@code
 * grpc-status} is not 0. Failures are caught three ways: a real gRPC call (grpc-java) per target
 * before the runs, its answer decoded and compared; the response bytes of each run (an OK answer
 * carries exactly one message of known length, a failed one none: see {@link
 * H2load#grpc}); and through the gateway, its own count of calls answered with a server-side
 * status ({@link #gatewayServerErrors}).
 */
final class GrpcUnary {

  /** The service name the demo instance is registered under. */
  static final String SERVICE = "bench-grpc";
  /** The request path of the unary method. */
  static final String PATH = "/" + EchoServiceGrpc.getEchoMethod().getFullMethodName();
  private static final String MESSAGE = "hello";
  private static final Duration CALL_DEADLINE = Duration.ofSeconds(5);
  private static final Metadata.Key<String> SERVICE_HEADER =
      Metadata.Key.of("x-vertice-service", Metadata.ASCII_STRING_MARSHALLER);

  /**
   * What h2load sends to one target: the request body file, its headers, and the bytes of DATA an
   * OK answer carries (5-byte prefix and the message).
   */
  record Call(Path body, List<String> headers, int okResponseBytes) {}

  private GrpcUnary() {}

  /** Writes the request body: one uncompressed length-prefixed {@code EchoRequest}. */
  static Path writeBody(Path dir) throws IOException {
    byte[] message = EchoRequest.newBuilder().setMessage(MESSAGE).build().toByteArray();
    ByteBuffer framed = ByteBuffer.allocate(5 + message.length);
    framed.put((byte) 0).putInt(message.length).put(message);
    return Files.write(dir.resolve("grpc-echo-request.bin"), framed.array());
  }

  /**
   * Calls Echo on {@code hostPort} with grpc-java until it answers OK (UNAVAILABLE and NOT_FOUND are
   * retried within {@code timeout}: the gateway's route may not have arrived yet), checks the
   * answer, and returns the call h2load is to repeat. {@code service} names the target service in
   * the {@code x-vertice-service} header (through the gateway), or is null (direct).
   */
  static Call verify(String hostPort, String service, Path body, Duration timeout)
      throws IOException, InterruptedException {
    ManagedChannel channel = NettyChannelBuilder.forTarget(hostPort).usePlaintext().build();
    try {
      Metadata headers = new Metadata();
      if (service != null) {
        headers.put(SERVICE_HEADER, service);
      }
      EchoServiceGrpc.EchoServiceBlockingStub stub = EchoServiceGrpc.newBlockingStub(channel)
          .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
      long deadline = System.nanoTime() + timeout.toNanos();
      Status last;
      do {
        try {
          EchoResponse r = stub.withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
              .echo(EchoRequest.newBuilder().setMessage(MESSAGE).build());
          if (!r.getMessage().equals(MESSAGE) || !r.getService().equals(SERVICE)) {
            throw new IOException("Echo on " + hostPort + " answered " + r + ", not the message from " + SERVICE);
          }
          List<String> h = new ArrayList<>(List.of("content-type: application/grpc", "te: trailers"));
          if (service != null) {
            h.add("x-vertice-service: " + service);
          }
          return new Call(body, List.copyOf(h), 5 + r.getSerializedSize());
        } catch (StatusRuntimeException e) {
          last = e.getStatus();
          if (last.getCode() != Status.Code.UNAVAILABLE && last.getCode() != Status.Code.NOT_FOUND) {
            throw new IOException("Echo on " + hostPort + " failed: " + last, e);
          }
        }
        Thread.sleep(50);
      } while (System.nanoTime() < deadline);
      throw new IOException("Echo on " + hostPort + " did not answer OK within " + timeout + " (last: " + last + ")");
    } finally {
      channel.shutdownNow();
      channel.awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /**
   * Returns the gateway's count of calls to {@link #SERVICE} it finished with a 5xx-class status
   * (UNKNOWN, INTERNAL, DATA_LOSS, UNAVAILABLE, DEADLINE_EXCEEDED), read from its Prometheus
   * endpoint {@code metricsUrl}. The 4xx class is left out: it holds CANCELLED, which h2load's end
   * of run gives the calls still in flight.
   */
  static long gatewayServerErrors(String metricsUrl) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(CALL_DEADLINE).build();
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(metricsUrl)).timeout(CALL_DEADLINE).build(),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException(metricsUrl + " answered " + r.statusCode());
    }
    return serverErrors(r.body());
  }

  /** Sums {@code vertice_gateway_requests_total} of {@link #SERVICE} in the 5xx class, from Prometheus text. */
  static long serverErrors(String prometheusText) {
    double sum = 0;
    for (String line : prometheusText.split("\n")) {
      if (line.startsWith("vertice_gateway_requests_total{") && line.contains("service=\"" + SERVICE + "\"")
          && line.contains("code_class=\"5xx\"")) {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return Math.round(sum);
  }
}
