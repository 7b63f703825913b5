package dev.vertice.controlplane.server;

import dev.vertice.common.ResourceTypes;
import dev.vertice.controlplane.push.PushBatch;
import dev.vertice.controlplane.push.PushEngine;
import dev.vertice.controlplane.push.PushLimitExceededException;
import dev.vertice.controlplane.push.PushSink;
import dev.vertice.controlplane.push.Subscriber;
import dev.vertice.controlplane.push.SubscriberCloseReason;
import dev.vertice.security.auth.Authorizer;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.logging.Logger;

/**
 * {@code PushStream} adapts one gRPC bidirectional stream to a push-engine {@link Subscriber}: it
 * opens the subscriber on the first request (with what the caller may see), forwards ACKs and
 * NACKs, subscribes within the authorizer's grants and the engine's limits, resumes sending on
 * {@code onReady}, and ends the stream exactly once, whichever side ends it. Both Vertice's Watch
 * ({@link DiscoveryGrpcService}) and Envoy's ADS ({@code xds.AdsGrpcService}) streams are one.
 *
 * <p>A protocol extends it with what differs: how a request names its node, how it is read into
 * subscribes and unsubscribes ({@link #handle}), and how a batch becomes a response ({@link
 * #render}). Requests arrive one at a time (gRPC serialises {@code onNext}); the engine calls the
 * {@link PushSink} methods from the subscriber's drain loop. The stream's monitor guards whether
 * it has ended, so that nothing is sent on it afterwards; a protocol may guard its own state with
 * the same monitor.
 *
 * @param <Q> the request message
 * @param <R> the response message
 */
public abstract class PushStream<Q, R> implements StreamObserver<Q>, PushSink {

  private static final Logger log = Logger.getLogger(PushStream.class.getName());

  /** Longest NACK message quoted in the log. */
  private static final int NACK_LOG_CHARS = 1024;

  private final ServerCallStreamObserver<R> out;
  private final PushEngine engine;
  private final Authorizer authorizer;
  private final String protocol;
  /** The client connection as {@link CallConnection} named it when the call started (null: none). */
  private final Object connection = CallConnection.current();
  private volatile Subscriber subscriber;
  private boolean closed; // guarded by this: no call on `out` after it ended

  /**
   * Adapts {@code out} (the response side of a server call) to a subscriber of {@code engine}.
   *
   * @param protocol names the protocol in log lines, such as "Watch" or "xDS"
   */
  protected PushStream(ServerCallStreamObserver<R> out, PushEngine engine, Authorizer authorizer, String protocol) {
    this.out = out;
    this.engine = engine;
    this.authorizer = authorizer;
    this.protocol = protocol;
    this.out.setOnReadyHandler(() -> {
      Subscriber s = subscriber;
      if (s != null) {
        s.onReady();
      }
    });
    this.out.setOnCancelHandler(this::clientGone);
  }

  /** Returns the client's node id (for logs) as the first request names it, clipped. */
  protected abstract String nodeId(Q firstRequest);

  /** Returns the client's kind (a metrics label) as the first request names it. */
  protected abstract String nodeKind(Q firstRequest);

  /** Returns the client's zone as the first request names it, clipped; empty when it names none. */
  protected String nodeZone(Q firstRequest) {
    return "";
  }

  /**
   * Returns the service a resource name belongs to, which the authorizer grants or not: the name
   * itself unless the protocol's names say more.
   */
  protected String serviceOf(String resourceName) {
    return resourceName;
  }

  /**
   * Handles one request once the subscriber is open: validates it, then calls {@link #answer},
   * {@link #authorize} and the subscriber. Ends the stream with {@link #fail} on a bad request.
   */
  protected abstract void handle(Q request, Subscriber subscriber);

  /**
   * Turns {@code batch} into the response to send: an {@code R}, or an {@link EncodedMessage} of one
   * when the service is bound through {@link PreEncodedResponses}. Called holding this stream's
   * monitor while it is open.
   */
  protected abstract Object render(PushBatch batch);

  /** Returns the engine this stream subscribes to. */
  protected final PushEngine engine() {
    return engine;
  }

  /** Returns whether the stream has ended; the caller holds this stream's monitor. */
  protected final boolean isClosed() {
    return closed;
  }

  @Override
  public final void onNext(Q request) {
    Subscriber s = subscriber;
    if (s == null) {
      try {
        Predicate<String> visible = authorizer.visibleServices();
        s = engine.open(nodeId(request), nodeKind(request), nodeZone(request), this,
            name -> visible.test(serviceOf(name)), connection);
      } catch (IllegalStateException shuttingDown) {
        fail(GrpcErrors.shuttingDown());
        return;
      } catch (StatusRuntimeException denied) {
        fail(denied);
        return;
      }
      subscriber = s;
    }
    handle(request, s);
  }

  @Override
  public final void onError(Throwable t) {
    clientGone();
  }

  @Override
  public final void onCompleted() {
    synchronized (this) {
      if (!closed) {
        closed = true;
        out.onCompleted();
      }
    }
    clientGone();
  }

  /**
   * Records the client's answer to the response with {@code nonce} (nothing when it is empty): an
   * ACK, or a NACK, logged, when {@code nackMessage} is not null.
   */
  protected final void answer(Subscriber s, String typeUrl, String nonce, String nackMessage) {
    if (nonce.isEmpty()) {
      return;
    }
    if (nackMessage != null) {
      log.warning(() -> protocol + " NACK from " + s.nodeId() + " (" + s.nodeKind() + ") for " + typeUrl + " nonce "
          + Validation.clip(nonce) + ": " + Validation.clip(nackMessage, NACK_LOG_CHARS));
    }
    s.answer(nonce, nackMessage);
  }

  /**
   * Checks that the caller may watch the services of {@code names} ("*" aside) and may subscribe
   * now (rate limit); when not, ends the stream with the authorizer's status and returns false.
   */
  protected final boolean authorize(List<String> names) {
    List<String> services = new ArrayList<>(names.size());
    for (String n : names) {
      if (!ResourceTypes.WILDCARD.equals(n)) {
        services.add(serviceOf(n));
      }
    }
    try {
      authorizer.checkWatch(services);
      authorizer.checkSubscribe();
      return true;
    } catch (StatusRuntimeException denied) {
      fail(denied);
      return false;
    }
  }

  /**
   * Subscribes; beyond the subscriptions-per-stream limit or a pending-bytes limit (per stream,
   * connection or process), ends the stream with RESOURCE_EXHAUSTED saying which, and subscribes
   * nothing.
   */
  protected final void subscribe(Subscriber s, String typeUrl, List<String> names, Map<String, String> initialVersions) {
    try {
      s.subscribe(typeUrl, names, initialVersions);
    } catch (PushLimitExceededException e) {
      fail(GrpcErrors.resourceExhausted(e.getMessage()));
    }
  }

  // --- PushSink: called from the subscriber's drain loop ---

  @Override
  public final boolean isReady() {
    return out.isReady();
  }

  @Override
  public final boolean send(PushBatch batch) {
    synchronized (this) {
      if (closed) {
        return false;
      }
      out.onNext(erased(render(batch)));
      return true;
    }
  }

  @Override
  public final void close(SubscriberCloseReason reason) {
    fail(GrpcErrors.shuttingDown());
  }

  /** Ends the stream with {@code status} unless it has ended already, and closes the subscriber. */
  protected final void fail(StatusRuntimeException status) {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      try {
        out.onError(status);
      } catch (IllegalStateException alreadyCancelled) {
        // The client is gone already.
      }
    }
    clientGone();
  }

  /** An EncodedMessage goes through the erased response type to the marshaller that writes it. */
  @SuppressWarnings("unchecked")
  private static <T> T erased(Object response) {
    return (T) response;
  }

  private void clientGone() {
    Subscriber s = subscriber;
    if (s != null) {
      s.onStreamClosed();
    }
  }
}
