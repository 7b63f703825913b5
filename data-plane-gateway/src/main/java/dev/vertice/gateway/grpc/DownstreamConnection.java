package dev.vertice.gateway.grpc;

import dev.vertice.common.Ticker;
import io.grpc.Status;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Stream;

/**
 * {@code DownstreamConnection} is a client's connection to the gRPC port: each new stream is a
 * call, handed to {@link GrpcProxyServer#startCall}; the call's DATA goes to its {@link
 * RelayedCall}, and a stream that closes before its call ended (RST_STREAM, the connection lost)
 * cancels the call upstream. A client that pings too often is told to calm down and closed ({@link
 * PingLimit}).
 */
final class DownstreamConnection extends RelayConnection {

  /** The RST_STREAM frames a client may send in {@link #RESET_WINDOW_SECONDS} before its connection is closed. */
  static final int MAX_RESETS_PER_WINDOW = 10_000;
  static final int RESET_WINDOW_SECONDS = 30;

  private final GrpcProxyServer proxy;
  /** The index of the connection's event loop in the proxy's group. */
  final int loop;
  private final PingLimit pings = new PingLimit(Ticker.system());
  private boolean toldToCalmDown;

  private DownstreamConnection(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder, Http2Settings settings,
      FlushBatch batch, GrpcProxyServer proxy, int loop) {
    super(decoder, encoder, settings, batch);
    this.proxy = proxy;
    this.loop = loop;
  }

  /** {@code create} returns the handler of a new client connection on the event loop numbered {@code loop}. */
  static DownstreamConnection create(GrpcProxyServer proxy, Http2Settings settings, FlushBatch batch, int loop) {
    return new Builder<>((decoder, encoder, initial) ->
        new DownstreamConnection(decoder, encoder, initial, batch, proxy, loop))
        .initialSettings(settings).server(true)
        // Netty's server default (200 in 30 s) would end a busy client's connection: a gRPC client
        // resets a stream at each cancel and each deadline it enforces. Still a bound on rapid reset.
        .decoderEnforceMaxRstFramesPerWindow(MAX_RESETS_PER_WINDOW, RESET_WINDOW_SECONDS)
        .build();
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
    super.handlerAdded(ctx); // the server's preface (SETTINGS) is written here: the window update may follow
    openConnectionWindow(proxy.maxConcurrentStreams());
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
