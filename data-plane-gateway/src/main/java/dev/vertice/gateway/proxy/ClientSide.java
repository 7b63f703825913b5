package dev.vertice.gateway.proxy;

import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * {@code ClientSide} is what an {@code Exchange} may do to the client connection it serves: flow
 * control, writes, local answers and the end of the exchange. {@code ProxyHandler} implements it;
 * every call comes on the connection's event loop.
 */
interface ClientSide {

  /** Turns reading from the client on or off (back-pressure and pipelining). */
  void autoRead(boolean on);

  /** Remembers the last write to the client: a graceful close waits for it. */
  ChannelFuture track(ChannelFuture write);

  /** The connection closes once this response is written. */
  void closeAfterResponse();

  /** Whether the connection closes once this response is written. */
  boolean closesAfterResponse();

  /** Closes at once: the exchange broke, what is still queued does not matter. */
  void closeNow();

  /** The exchange let go of everything: the connection no longer routes body or events to it. */
  void exchangeEnded();

  /**
   * The upstream response was written whole: go on with the next request, first dropping the rest
   * of the request body when {@code bodyPending}.
   */
  void responseComplete(boolean bodyPending);

  /** The client's IP address (for X-Forwarded-For), computed once per connection; null when unknown. */
  String clientAddress();

  /**
   * The connection's upstream response timer (one per connection, re-armed per attempt); when it
   * runs out it calls the current exchange's {@code onTimeout}.
   */
  DeadlineTimer responseTimer();

  /** Answers locally with an error; the request body, if still coming, is read and dropped. */
  void answer(HttpResponseStatus status, String code, String message, String requestId, String service);
}
