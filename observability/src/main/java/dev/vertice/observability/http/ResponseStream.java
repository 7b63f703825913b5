package dev.vertice.observability.http;

/**
 * {@code ResponseStream} is the open body of a streaming {@link Response} (server-sent events, for
 * example): text sent as it comes, until either side closes.
 *
 * <p>{@link #send} never blocks and may be called from any thread: the text is queued for the
 * connection's event loop. What is queued but not yet written to the socket is bounded by the
 * response's buffer limit ({@link Response#stream}); a client too slow to keep under it is cut off
 * (the stream closes and {@code send} returns false), so that a slow reader can never hold up the
 * sender or grow the server's memory.
 */
public interface ResponseStream {

  /**
   * {@code send} queues {@code text} (UTF-8) for the client. Returns false, sending nothing, when the
   * stream is closed or the text would exceed the buffer limit (the stream is then closed).
   */
  boolean send(String text);

  /** {@code isOpen} says whether the stream still takes text. */
  boolean isOpen();

  /** {@code close} ends the response and closes the connection; harmless when already closed. */
  void close();

  /**
   * {@code onClose} runs {@code action} once when the stream closes, for whatever reason (the client
   * left, {@link #close}, the buffer limit); at once when it is closed already. It runs on the event
   * loop: it must not block.
   */
  void onClose(Runnable action);
}
