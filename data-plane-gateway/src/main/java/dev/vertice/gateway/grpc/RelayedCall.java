package dev.vertice.gateway.grpc;

import dev.vertice.gateway.balancer.Endpoint;
import io.grpc.Status;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.opentelemetry.api.trace.Span;
import java.util.ArrayDeque;
import java.util.concurrent.ScheduledFuture;

/**
 * {@code RelayedCall} is one proxied gRPC call: a stream on a client's connection relayed frame by
 * frame to a stream on an instance's connection. Headers, messages and trailers pass as HTTP/2
 * frames, never decoded into gRPC messages; only each message's 5-byte prefix is looked at, to
 * enforce the size limit.
 *
 * <p>A call ends once: with the instance's trailers, or failed by the gateway (deadline, message
 * too long, the instance unreachable or gone: the client gets trailers with the status), or
 * cancelled by the client (the instance's stream is reset). Both connections run on one event loop,
 * so the call's state needs no lock.
 */
final class RelayedCall {

  private final GrpcProxyServer proxy;
  private final DownstreamConnection down;
  private final int downId;
  final Endpoint endpoint;
  final String service;
  final String method;
  final long startNanos;
  private UpstreamConnection up;
  private int upId;
  /** The request headers until the upstream stream opens. */
  private Http2Headers request;
  /** The client's DATA that came before the upstream stream opened. */
  private ArrayDeque<ByteBuf> pending;
  private boolean clientEnded;
  private boolean responseStarted;
  private boolean finished;
  /** The instance reset the stream: it gets no RST_STREAM back (RFC 9113 §5.4.2). */
  private boolean upstreamWasReset;
  private final GrpcWire.MessageSizes requestSizes;
  private final GrpcWire.MessageSizes responseSizes;
  ScheduledFuture<?> deadline;
  Span serverSpan;
  Span clientSpan;

  RelayedCall(GrpcProxyServer proxy, DownstreamConnection down, int downId, Http2Headers request, boolean clientEnded,
      Endpoint endpoint, String service, String method, long maxMessageBytes) {
    this.proxy = proxy;
    this.down = down;
    this.downId = downId;
    this.request = request;
    this.clientEnded = clientEnded;
    this.endpoint = endpoint;
    this.service = service;
    this.method = method;
    this.startNanos = System.nanoTime();
    this.requestSizes = new GrpcWire.MessageSizes(maxMessageBytes);
    this.responseSizes = new GrpcWire.MessageSizes(maxMessageBytes);
  }

  boolean isFinished() {
    return finished;
  }

  /** {@code requestHeaders} returns the headers to open the upstream stream with (once). */
  Http2Headers requestHeaders() {
    Http2Headers h = request;
    request = null;
    return h;
  }

  /** {@code endsWithHeaders} says whether the client ended its side with nothing left to send after the headers. */
  boolean endsWithHeaders() {
    return clientEnded && (pending == null || pending.isEmpty());
  }

  /** {@code opened} records the upstream stream and sends it what the client sent meanwhile. */
  void opened(UpstreamConnection connection, int streamId) {
    this.up = connection;
    this.upId = streamId;
    if (pending != null) {
      ArrayDeque<ByteBuf> p = pending;
      pending = null;
      while (!p.isEmpty()) {
        ByteBuf data = p.poll();
        forward(data, p.isEmpty() && clientEnded);
      }
    }
  }

  // The client's side.

  /** {@code clientData} relays a DATA frame of the client's ({@code data} is not retained by the caller). */
  void clientData(ByteBuf data, boolean endOfStream) {
    if (endOfStream) {
      clientEnded = true;
    }
    if (finished) {
      down.consumed(downId, data.readableBytes());
      return;
    }
    long tooLong = requestSizes.tooLong(data);
    if (tooLong >= 0) {
      fail(Status.Code.RESOURCE_EXHAUSTED, "gRPC message exceeds maximum size " + proxy.maxMessageBytes() + ": "
          + tooLong);
      down.consumed(downId, data.readableBytes());
      return;
    }
    if (upId == 0) {
      if (pending == null) {
        pending = new ArrayDeque<>(2);
      }
      pending.add(data.retain());
      return;
    }
    forward(data.retain(), endOfStream);
  }

  /** {@code clientEnded} records the end of the client's side without DATA (trailers from the client). */
  void clientEnded() {
    clientEnded = true;
    if (finished) {
      return;
    }
    if (upId == 0) {
      if (pending == null) {
        pending = new ArrayDeque<>(1);
      }
      pending.add(Unpooled.EMPTY_BUFFER);
    } else {
      forward(Unpooled.EMPTY_BUFFER, true);
    }
  }

  private void forward(ByteBuf data, boolean endOfStream) {
    int n = data.readableBytes();
    ChannelPromise written = up.ctx.newPromise();
    if (n > 0) {
      written.addListener(f -> {
        if (f.isSuccess()) {
          down.consumed(downId, n);
        }
      });
    }
    up.writeData(upId, data, endOfStream, written);
  }

  /** {@code downstreamClosed}: the client's stream closed (RST_STREAM, connection lost) before the call ended. */
  void downstreamClosed() {
    if (finished) {
      return;
    }
    finished = true;
    if (upId != 0) {
      up.reset(upId, Http2Error.CANCEL);
    }
    release();
    proxy.finished(this, Status.Code.CANCELLED);
  }

  // The instance's side.

  /** {@code upstreamHeaders} relays the instance's response headers or trailers. */
  void upstreamHeaders(Http2Headers headers, boolean endOfStream) {
    if (finished) {
      return;
    }
    if (!endOfStream) {
      responseStarted = true;
      down.writeHeaders(downId, headers, false);
      return;
    }
    finished = true; // trailers, or a trailers-only response: the instance ended the call
    down.writeHeaders(downId, headers, true);
    if (!clientEnded) {
      up.reset(upId, Http2Error.CANCEL); // the client may still be sending: the instance has no use for it
    }
    release();
    proxy.finished(this, GrpcWire.statusOf(headers));
  }

  /** {@code upstreamData} relays a DATA frame of the instance's ({@code data} is not retained by the caller). */
  void upstreamData(ByteBuf data, boolean endOfStream) {
    int n = data.readableBytes();
    if (finished) {
      up.consumed(upId, n);
      return;
    }
    long tooLong = responseSizes.tooLong(data);
    if (tooLong >= 0) {
      up.consumed(upId, n);
      fail(Status.Code.RESOURCE_EXHAUSTED, "the instance's gRPC message exceeds maximum size "
          + proxy.maxMessageBytes() + ": " + tooLong);
      return;
    }
    ChannelPromise written = down.ctx.newPromise();
    if (n > 0) {
      UpstreamConnection connection = up;
      int id = upId;
      written.addListener(f -> {
        if (f.isSuccess()) {
          connection.consumed(id, n);
        }
      });
    }
    down.writeData(downId, data.retain(), endOfStream, written);
    if (endOfStream) { // a response without trailers: the client sees it end without a status
      finished = true;
      if (!clientEnded) {
        up.reset(upId, Http2Error.CANCEL); // else the stream stays half open, holding one of the instance's slots
      }
      release();
      proxy.finished(this, Status.Code.UNKNOWN);
    }
  }

  /** {@code upstreamReset}: the instance reset the call's stream. */
  void upstreamReset(long errorCode) {
    upstreamWasReset = true;
    fail(GrpcWire.resetStatus(errorCode), "the instance reset the stream (HTTP/2 error code " + errorCode + ")");
  }

  /** {@code upstreamUnavailable}: the instance cannot be reached, or its connection went before the call ended. */
  void upstreamUnavailable(String why) {
    fail(Status.Code.UNAVAILABLE, why);
  }

  /** {@code deadlineExpired}: the client's {@code grpc-timeout} passed in the gateway. */
  void deadlineExpired() {
    fail(Status.Code.DEADLINE_EXCEEDED, "deadline exceeded in the gateway after "
        + (System.nanoTime() - startNanos) / 1_000_000 + " ms");
  }

  /** {@code fail} ends the call with the gateway's own status to the client, and cancels it upstream. */
  void fail(Status.Code code, String message) {
    if (finished) {
      return;
    }
    finished = true;
    down.writeHeaders(downId, responseStarted ? GrpcWire.trailers(code, message)
        : GrpcWire.trailersOnly(code, message), true);
    if (upId != 0 && !upstreamWasReset) {
      up.reset(upId, Http2Error.CANCEL);
    }
    release();
    proxy.finished(this, code);
  }

  private void release() {
    request = null;
    if (pending != null) {
      for (ByteBuf b : pending) {
        b.release();
      }
      pending = null;
    }
    if (deadline != null) {
      deadline.cancel(false);
    }
  }
}
