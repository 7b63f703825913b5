package dev.vertice.controlplane.server;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.vertice.api.discovery.v1.DiscoveryServiceGrpc;
import dev.vertice.api.discovery.v1.Endpoints;
import dev.vertice.api.discovery.v1.ErrorDetail;
import dev.vertice.api.discovery.v1.Node;
import dev.vertice.api.discovery.v1.Resource;
import dev.vertice.api.discovery.v1.WatchRequest;
import dev.vertice.api.discovery.v1.WatchResponse;
import dev.vertice.common.ResourceTypes;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A raw Watch stream for tests: records every response, and ACKs or NACKs only when told. With
 * {@code reading = false} it never asks the transport for messages, like a client that stopped
 * reading.
 */
final class WatchStream implements ClientResponseObserver<WatchRequest, WatchResponse> {

  final BlockingQueue<WatchResponse> responses = new LinkedBlockingQueue<>();
  final CompletableFuture<Status> closed = new CompletableFuture<>();
  /** The error the stream ended with (it carries the trailers, for google.rpc details). */
  volatile Throwable error;
  private final boolean reading;
  private ClientCallStreamObserver<WatchRequest> requests;

  private WatchStream(boolean reading) {
    this.reading = reading;
  }

  static WatchStream open(Channel channel, String nodeId) {
    return open(channel, nodeId, true);
  }

  static WatchStream open(Channel channel, String nodeId, boolean reading) {
    WatchStream w = new WatchStream(reading);
    DiscoveryServiceGrpc.newStub(channel).watch(w);
    w.nodeId = nodeId;
    return w;
  }

  private String nodeId;
  private boolean first = true;

  @Override
  public void beforeStart(ClientCallStreamObserver<WatchRequest> requestStream) {
    this.requests = requestStream;
    if (!reading) {
      requestStream.disableAutoRequestWithInitial(0);
    }
  }

  synchronized void send(WatchRequest.Builder r) {
    if (first) {
      r.setNode(Node.newBuilder().setId(nodeId).setKind("test"));
      first = false;
    }
    if (r.getTypeUrl().isEmpty()) {
      r.setTypeUrl(ResourceTypes.ENDPOINTS);
    }
    requests.onNext(r.build());
  }

  void subscribe(String... names) {
    send(WatchRequest.newBuilder().addAllSubscribe(List.of(names)));
  }

  void resume(Map<String, String> held, String... names) {
    send(WatchRequest.newBuilder().addAllSubscribe(List.of(names)).putAllInitialResourceVersions(held));
  }

  void ack(WatchResponse r) {
    send(WatchRequest.newBuilder().setResponseNonce(r.getNonce()));
  }

  void nack(WatchResponse r, String why) {
    send(WatchRequest.newBuilder().setResponseNonce(r.getNonce())
        .setErrorDetail(ErrorDetail.newBuilder().setCode(3).setMessage(why)));
  }

  /** Asks the transport for {@code n} more responses (a stream opened with {@code reading = false}). */
  void request(int n) {
    requests.request(n);
  }

  void cancel() {
    requests.cancel("test cancels", null);
  }

  void complete() {
    requests.onCompleted();
  }

  WatchResponse next() throws InterruptedException {
    WatchResponse r = responses.poll(10, TimeUnit.SECONDS);
    if (r == null) {
      throw new AssertionError("no response within 10 s");
    }
    return r;
  }

  /** Returns the next response, ACKing it. */
  WatchResponse nextAcked() throws InterruptedException {
    WatchResponse r = next();
    ack(r);
    return r;
  }

  static Endpoints endpoints(Resource r) {
    try {
      return r.getResource().unpack(Endpoints.class);
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  static List<String> names(WatchResponse r) {
    List<String> out = new ArrayList<>();
    for (Resource res : r.getResourcesList()) {
      out.add(res.getName() + "@" + res.getVersion());
    }
    for (String n : r.getRemovedResourcesList()) {
      out.add("-" + n);
    }
    return out;
  }

  @Override
  public void onNext(WatchResponse value) {
    responses.add(value);
  }

  @Override
  public void onError(Throwable t) {
    error = t;
    closed.complete(Status.fromThrowable(t));
  }

  @Override
  public void onCompleted() {
    closed.complete(Status.OK);
  }
}
