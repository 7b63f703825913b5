package dev.vertice.gateway.grpc;

import dev.vertice.common.Ticker;
import io.grpc.Status;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Stream;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code DownstreamConnection} is a client's connection to the gRPC port: each new stream is a
 * call, handed to {@link GrpcProxyServer#startCall}; the call's DATA goes to its {@link
 * RelayedCall}, and a stream that closes before its call ended (RST_STREAM, the connection lost)
 * cancels the call upstream. A client that pings too often is told to calm down and closed ({@link
 * PingLimit}). A connection with no stream open for the gateway's idle timeout ({@code --idle-timeout})
 * is sent GOAWAY (NO_ERROR) and closed, as grpc-java's servers do with {@code maxConnectionIdle}; a
 * client opens a new one for its next call.
 */
final class DownstreamConnection extends RelayConnection {

  /** The RST_STREAM frames a client may send in {@link #RESET_WINDOW_SECONDS} before its connection is closed. */
  static final int MAX_RESETS_PER_WINDOW = 10_000;
  static final int RESET_WINDOW_SECONDS = 30;

  private final GrpcProxyServer proxy;
  /** The index of the connection's event loop in the proxy's group. */
  final int loop;
  private final Ticker ticker = Ticker.system();
  private final PingLimit pings = new PingLimit(ticker);
  private boolean toldToCalmDown;
  private final long idleNanos;
  /** When the last stream closed (the connection's start before any); read when the idle check runs. */
  private long idleSince;
  /** The pending idle check, at most one: a stream that closes while one is pending only moves idleSince. */
  private ScheduledFuture<?> idleCheck;

  private DownstreamConnection(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder, Http2Settings settings,
      FlushBatch batch, GrpcProxyServer proxy, int loop, Duration idleTimeout) {
    super(decoder, encoder, settings, batch);
    this.proxy = proxy;
    this.loop = loop;
    this.idleNanos = idleTimeout.toNanos();
    connection().addListener(new Http2ConnectionAdapter() {
      @Override
      public void onStreamClosed(Http2Stream stream) {
        if (connection().numActiveStreams() == 0) {
          becameIdle();
        }
      }
    });
  }

  /**
   * {@code create} returns the handler of a new client connection on the event loop numbered {@code loop},
   * closed once it had no stream open for {@code idleTimeout}.
   */
  static DownstreamConnection create(GrpcProxyServer proxy, Http2Settings settings, FlushBatch batch, int loop,
      Duration idleTimeout) {
    return new Builder<>((decoder, encoder, initial) ->
        new DownstreamConnection(decoder, encoder, initial, batch, proxy, loop, idleTimeout))
        .initialSettings(settings).side(true)
        // Netty's server default (200 in 30 s) would end a busy client's connection: a gRPC client
        // resets a stream at each cancel and each deadline it enforces. Still a bound on rapid reset.
        .decoderEnforceMaxRstFramesPerWindow(MAX_RESETS_PER_WINDOW, RESET_WINDOW_SECONDS)
        .build();
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
    super.handlerAdded(ctx); // the server's preface (SETTINGS) is written here: the window update may follow
    openConnectionWindow(proxy.maxConcurrentStreams());
    becameIdle();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    if (idleCheck != null) {
      idleCheck.cancel(false);
      idleCheck = null;
    }
    super.channelInactive(ctx);
  }

  /** Notes that no stream is open from now on, and makes sure an idle check is pending. */
  private void becameIdle() {
    idleSince = ticker.nanoTime();
    if (idleCheck == null && ctx != null && ctx.channel().isActive()) {
      idleCheck = ctx.executor().schedule(this::checkIdle, idleNanos, TimeUnit.NANOSECONDS);
    }
  }

  /** Closes the connection if it has been without a stream for the idle timeout, else checks again when it may be. */
  private void checkIdle() {
    idleCheck = null;
    if (!ctx.channel().isActive() || connection().numActiveStreams() > 0) {
      return; // the next time the last stream closes starts the count again
    }
    long left = idleSince + idleNanos - ticker.nanoTime();
    if (left > 0) {
      idleCheck = ctx.executor().schedule(this::checkIdle, left, TimeUnit.NANOSECONDS);
      return;
    }
    // Through the whole pipeline, so that this handler's close sends GOAWAY (NO_ERROR) before closing.
    ctx.channel().close();
  }

  @Override
  public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding,
      boolean endOfStream) {
    RelayedCall call = calls.get(streamId);
    if (call == null) {
      Http2Stream stream = connection().stream(streamId);
      if (stream != null && stream.isHeadersSent()) {
        return; // trailers on a stream the gateway answered itself: nothing to relay
      }
      proxy.startCall(this, streamId, headers, endOfStream);
    } else if (endOfStream) {
      call.clientEnded(); // trailers from a client: gRPC has none to relay, only the end of the stream
    }
  }

  @Override
  public int onDataRead(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding, boolean endOfStream) {
    RelayedCall call = calls.get(streamId);
    if (call == null) {
      return data.readableBytes() + padding; // a call the gateway answered itself: its bytes are dropped
    }
    call.clientData(data, endOfStream);
    return padding; // the data's bytes are given back once written upstream
  }

  @Override
  public void onPingRead(ChannelHandlerContext ctx, long data) {
    if (!pings.accept(!calls.isEmpty()) && !toldToCalmDown) {
      // grpc-java's answer to the same client: its calls in flight end with the connection.
      toldToCalmDown = true;
      goAway(ctx, connection().remote().lastStreamCreated(), Http2Error.ENHANCE_YOUR_CALM.code(),
          ByteBufUtil.writeAscii(ctx.alloc(), "too_many_pings"), ctx.newPromise())
          .addListener(ChannelFutureListener.CLOSE);
      ctx.flush();
    }
  }

  @Override
  void sent() {
    pings.sent();
  }

  @Override
  void streamClosed(RelayedCall call) {
    call.downstreamClosed();
  }

  /** {@code refuse} answers a new stream with {@code code} without relaying it. */
  void refuse(int streamId, Status.Code code, String message) {
    writeHeaders(streamId, GrpcWire.trailersOnly(code, message), true);
  }

  /** {@code refuseHttp} answers a new stream that is not a gRPC call with an HTTP {@code status}. */
  void refuseHttp(int streamId, int status) {
    writeHeaders(streamId, GrpcWire.httpError(status), true);
  }
}
