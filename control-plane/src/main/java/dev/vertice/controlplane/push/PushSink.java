package dev.vertice.controlplane.push;

/**
 * {@code PushSink} is where a subscriber's batches go: the transport of one stream.
 *
 * <p>The engine calls the methods of one sink from one thread at a time. {@link #send} must not
 * block; the engine sends only while {@link #isReady()} holds, and the transport calls {@link
 * Subscriber#onReady()} when it becomes ready again.
 */
public interface PushSink {

  /** Returns whether the transport can take another batch without buffering beyond its window. */
  boolean isReady();

  /** Sends one batch; returns false when the stream had already ended and nothing was sent. */
  boolean send(PushBatch batch);

  /** Ends the stream because the engine closes the subscriber (for example at shutdown). */
  void close(SubscriberCloseReason reason);
}
