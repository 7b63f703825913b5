package dev.vertice.gateway.grpc;

import dev.vertice.gateway.proxy.Http2Connections;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http2.AbstractHttp2ConnectionHandlerBuilder;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Flags;
import io.netty.handler.codec.http2.Http2FrameListener;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.util.collection.IntObjectHashMap;

/**
 * {@code RelayConnection} is one HTTP/2 connection of the relay, client side ({@link
 * DownstreamConnection}) or upstream side ({@link UpstreamConnection}): Netty's connection handler
 * is its codec, flow control and stream state; this class listens to its frames and writes the
 * other side's. Every method runs on the connection's event loop, which the calls it carries share
 * with their other connection: nothing here locks.
 *
 * <p>Flow control is end to end: received DATA is not given back to the sender's window when read
 * but when the other connection has written it ({@link #consumed}), so a slow reader on one side
 * stops the writer on the other after one window.
 */
abstract class RelayConnection extends Http2ConnectionHandler implements Http2FrameListener {

  /**
   * The receive window of each stream, both sides. A stream whose other side does not take its
   * DATA holds at most this much in the gateway.
   */
  static final int STREAM_WINDOW_BYTES = 256 * 1024;
  /**
   * The most streams a connection's receive window is sized for: that many stalled streams, each
   * holding its whole window, still leave the connection's window open for the others (a
   * connection window no larger than a stream's would let one stream that is not read stop every
   * call sharing the connection).
   */
  static final int WINDOW_STREAMS = 128;

  /** The calls on this connection by stream id. */
  final IntObjectHashMap<RelayedCall> calls = new IntObjectHashMap<>();
  final FlushBatch batch;
  ChannelHandlerContext ctx;
  /** Set while {@link #batch} holds this connection. */
  boolean queuedForFlush;

  RelayConnection(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder, Http2Settings settings,
      FlushBatch batch) {
    super(decoder, encoder, settings);
    this.batch = batch;
    decoder.frameListener(this);
    connection().addListener(new Http2ConnectionAdapter() {
      @Override
      public void onStreamClosed(Http2Stream stream) {
        RelayedCall call = calls.remove(stream.id());
        if (call != null) {
          streamClosed(call);
        }
      }
    });
  }

  /** {@code streamClosed} tells {@code call} that its stream on this connection closed, for any reason. */
  abstract void streamClosed(RelayedCall call);

  /**
   * {@code openConnectionWindow} widens the connection's receive window to {@code streams} stream
   * windows ({@link #STREAM_WINDOW_BYTES} each).
   */
  final void openConnectionWindow(int streams) throws Http2Exception {
    Http2Stream connectionStream = connection().connectionStream();
    int delta = STREAM_WINDOW_BYTES * Math.min(streams, WINDOW_STREAMS)
        - decoder().flowController().initialWindowSize(connectionStream);
    if (delta > 0) {
      decoder().flowController().incrementWindowSize(connectionStream, delta);
    }
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
    this.ctx = ctx;
    super.handlerAdded(ctx);
  }

  /** {@code flushNow} writes what flow control allows of the queued frames, and flushes. */
  final void flushNow() {
    if (ctx != null) {
      flush(ctx);
    }
  }

  final void writeHeaders(int streamId, Http2Headers headers, boolean endStream, ChannelPromise promise) {
    encoder().writeHeaders(ctx, streamId, headers, 0, endStream, promise);
    batch.wrote(this);
    sent();
  }

  final void writeHeaders(int streamId, Http2Headers headers, boolean endStream) {
    writeHeaders(streamId, headers, endStream, ctx.newPromise());
  }

  final void writeData(int streamId, ByteBuf data, boolean endStream, ChannelPromise promise) {
    encoder().writeData(ctx, streamId, data, 0, endStream, promise);
    batch.wrote(this);
    sent();
  }

  /** {@code sent} is told of each HEADERS or DATA frame written to the other end. */
  void sent() {}

  /** {@code reset} resets the stream if it is still open here (a closed one needs no RST_STREAM). */
  void reset(int streamId, Http2Error error) {
    Http2Stream s = connection().stream(streamId);
    if (s != null && s.state() != Http2Stream.State.CLOSED) {
      resetStream(ctx, streamId, error.code(), ctx.newPromise());
      batch.wrote(this);
    }
  }

  /** {@code consumed} gives {@code bytes} of a stream's received DATA back to the sender's windows. */
  final void consumed(int streamId, int bytes) {
    Http2Stream s = connection().stream(streamId);
    if (s == null) {
      return; // closed: Netty gave the connection window back then
    }
    try {
      if (decoder().flowController().consumeBytes(s, bytes)) {
        batch.wrote(this);
      }
    } catch (Http2Exception e) {
      onError(ctx, false, e);
    }
  }

  // The frames the relay does not act on: Netty answers PING and SETTINGS and keeps the windows.

  @Override
  public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int streamDependency,
      short weight, boolean exclusive, int padding, boolean endOfStream) throws Http2Exception {
    onHeadersRead(ctx, streamId, headers, padding, endOfStream);
  }

  @Override
  public void onPriorityRead(ChannelHandlerContext ctx, int streamId, int streamDependency, short weight,
      boolean exclusive) {}

  @Override
  public void onSettingsAckRead(ChannelHandlerContext ctx) {}

  @Override
  public void onSettingsRead(ChannelHandlerContext ctx, Http2Settings settings) {}

  @Override
  public void onPingRead(ChannelHandlerContext ctx, long data) {}

  @Override
  public void onPingAckRead(ChannelHandlerContext ctx, long data) {}

  @Override
  public void onPushPromiseRead(ChannelHandlerContext ctx, int streamId, int promisedStreamId, Http2Headers headers,
      int padding) {}

  @Override
  public void onWindowUpdateRead(ChannelHandlerContext ctx, int streamId, int windowSizeIncrement) {}

  @Override
  public void onUnknownFrame(ChannelHandlerContext ctx, byte frameType, int streamId, Http2Flags flags,
      ByteBuf payload) {}

  @Override
  public void onRstStreamRead(ChannelHandlerContext ctx, int streamId, long errorCode) {}

  @Override
  public void onGoAwayRead(ChannelHandlerContext ctx, int lastStreamId, long errorCode, ByteBuf debugData) {}

  /** What makes a connection handler once Netty's builder has made its codec. */
  @FunctionalInterface
  interface Factory<T extends RelayConnection> {
    T make(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder, Http2Settings initialSettings);
  }

  /** Netty's handler builder with the settings the relay uses made callable here. */
  static final class Builder<T extends RelayConnection> extends AbstractHttp2ConnectionHandlerBuilder<T, Builder<T>> {
    private final Factory<T> factory;

    Builder(Factory<T> factory) {
      this.factory = factory;
    }

    @Override
    protected Builder<T> initialSettings(Http2Settings settings) {
      return super.initialSettings(settings);
    }

    /**
     * {@code side} makes the handler's connection, server or client side, with its outbound DATA
     * shared out among its streams evenly ({@link Http2Connections#evenlyShared}).
     */
    Builder<T> side(boolean server) {
      connection(Http2Connections.evenlyShared(server, maxReservedStreams()));
      if (!server) {
        // Netty's builder cannot be told both server(false) and the connection, and takes a builder
        // told neither for a server: a server's limits on RST_STREAM frames received and sent (200
        // in 30 s, then the connection is closed) would cut an instance's connection, and every
        // call on it, when the instance ends many calls by reset. A client has none; nor has this.
        decoderEnforceMaxRstFramesPerWindow(0, 0);
        encoderEnforceMaxRstFramesPerWindow(0, 0);
      }
      return this;
    }

    @Override
    protected Builder<T> encoderEnforceMaxRstFramesPerWindow(int maxRstFramesPerWindow, int secondsPerWindow) {
      return super.encoderEnforceMaxRstFramesPerWindow(maxRstFramesPerWindow, secondsPerWindow);
    }

    @Override
    protected Builder<T> encoderEnforceMaxConcurrentStreams(boolean enforce) {
      return super.encoderEnforceMaxConcurrentStreams(enforce);
    }

    @Override
    protected Builder<T> gracefulShutdownTimeoutMillis(long millis) {
      return super.gracefulShutdownTimeoutMillis(millis);
    }

    @Override
    protected Builder<T> decoderEnforceMaxRstFramesPerWindow(int maxRstFramesPerWindow, int secondsPerWindow) {
      return super.decoderEnforceMaxRstFramesPerWindow(maxRstFramesPerWindow, secondsPerWindow);
    }

    @Override
    protected T build() {
      return super.build();
    }

    @Override
    protected T build(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder, Http2Settings initialSettings) {
      return factory.make(decoder, encoder, initialSettings);
    }
  }
}
