package dev.vertice.gateway.grpc;

import dev.vertice.gateway.balancer.EndpointKey;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.util.AsciiString;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code UpstreamConnection} is the relay's HTTP/2 connection to one instance from one event loop:
 * the calls of that loop's client connections to the instance are streams on it. Calls that come
 * before it connects wait in order; beyond the instance's {@code MAX_CONCURRENT_STREAMS} Netty's
 * buffering encoder holds new streams until one ends. After the instance's GOAWAY, or once the
 * instance left the routing table, it takes no new call and closes when its last one ends.
 */
final class UpstreamConnection extends RelayConnection {

  private final GrpcProxyServer proxy;
  /** The index of the connection's event loop in the proxy's group. */
  final int loop;
  /** The {@code :authority} of the calls sent to the instance: its {@code host:port}. */
  private final AsciiString authority;
  private List<RelayedCall> waiting = new ArrayList<>();
  private boolean active;
  private boolean retired;
  /** Why the connection could not be made; null until then. */
  private Throwable connectFailure;

  private UpstreamConnection(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder, Http2Settings settings,
      FlushBatch batch, GrpcProxyServer proxy, int loop, AsciiString authority) {
    super(decoder, encoder, settings, batch);
    this.proxy = proxy;
    this.loop = loop;
    this.authority = authority;
  }

  /** {@code create} returns the handler of a new upstream connection to {@code instance}, not yet connected. */
  static UpstreamConnection create(GrpcProxyServer proxy, EndpointKey instance, Http2Settings settings,
      FlushBatch batch, int loop) {
    AsciiString authority = new AsciiString(instance.hostPort());
    return new Builder<>((decoder, encoder, initial) ->
        new UpstreamConnection(decoder, encoder, initial, batch, proxy, loop, authority))
        .initialSettings(settings).side(false)
        .encoderEnforceMaxConcurrentStreams(true)
        .gracefulShutdownTimeoutMillis(-1) // retired: closes once its last call ends, however long that takes
        .build();
  }

  /** {@code usable} says whether a new call may use this connection. */
  boolean usable() {
    return !retired;
  }

  /** {@code start} opens {@code call}'s stream now, or once the connection is up. */
  void start(RelayedCall call) {
    if (connectFailure != null) { // failed at once, before this call came (an unresolvable name, say)
      call.upstreamUnavailable("cannot connect to the instance: " + connectFailure.getMessage());
    } else if (active) {
      open(call);
    } else {
      waiting.add(call);
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    super.channelActive(ctx); // the client preface: streams may be opened right after it
    openConnectionWindow(RelayConnection.WINDOW_STREAMS);
    active = true;
    List<RelayedCall> w = waiting;
    waiting = null;
    for (RelayedCall call : w) {
      if (!call.isFinished()) {
        open(call);
      }
    }
    batch.wrote(this);
    if (retired) { // the instance left while this connection was being made: close once these calls end
      ctx.channel().close();
    }
  }

  /** {@code connectFailed} fails the calls that waited for a connection that could not be made. */
  void connectFailed(Throwable cause) {
    connectFailure = cause;
    if (!retired) {
      retired = true;
      proxy.forget(this);
    }
    List<RelayedCall> w = waiting;
    waiting = new ArrayList<>();
    for (RelayedCall call : w) {
      call.upstreamUnavailable("cannot connect to the instance: " + cause.getMessage());
    }
  }

  private void open(RelayedCall call) {
    int id = connection().local().incrementAndGetNextStreamId();
    if (id <= 0) { // stream ids used up: the next call gets a new connection
      retire();
      call.upstreamUnavailable("the connection to the instance ran out of stream ids");
      return;
    }
    calls.put(id, call);
    ChannelPromise headersSent = ctx.newPromise();
    headersSent.addListener(f -> {
      if (!f.isSuccess()) {
        if (connection().stream(id) == null) {
          calls.remove(id); // never created: no stream-closed event will take it out
        }
        call.upstreamUnavailable("cannot start the call on the instance: " + f.cause().getMessage());
      }
    });
    Http2Headers headers = call.requestHeaders();
    headers.authority(authority);
    headers.scheme(GrpcWire.HTTP);
    writeHeaders(id, headers, call.endsWithHeaders(), headersSent);
    call.opened(this, id);
  }

  /** {@code retire} takes no new call and closes once the calls in flight end (GOAWAY to the instance). */
  void retire() {
    if (!retired) {
      retired = true;
      proxy.forget(this);
    }
    if (ctx != null && ctx.channel().isActive()) {
      ctx.channel().close();
    }
  }

  @Override
  void reset(int streamId, Http2Error error) {
    if (connection().stream(streamId) == null && streamId > connection().local().lastStreamCreated()) {
      // Not opened yet: held by the buffering encoder beyond the instance's MAX_CONCURRENT_STREAMS.
      // Resetting it there drops it; it never reaches the instance.
      encoder().writeRstStream(ctx, streamId, error.code(), ctx.newPromise());
      calls.remove(streamId); // never created: no stream-closed event will take it out
      return;
    }
    super.reset(streamId, error);
  }

  @Override
  public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding,
      boolean endOfStream) {
    RelayedCall call = calls.get(streamId);
    if (call != null) {
      call.upstreamHeaders(headers, endOfStream);
    }
  }

  @Override
  public int onDataRead(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding, boolean endOfStream) {
    RelayedCall call = calls.get(streamId);
    if (call == null) {
      return data.readableBytes() + padding;
    }
    call.upstreamData(data, endOfStream);
    return padding;
  }

  @Override
  public void onRstStreamRead(ChannelHandlerContext ctx, int streamId, long errorCode) {
    RelayedCall call = calls.get(streamId);
    if (call != null) {
      call.upstreamReset(errorCode); // before Netty closes the stream: the call must not reset it back
    }
  }

  @Override
  public void onGoAwayRead(ChannelHandlerContext ctx, int lastStreamId, long errorCode, ByteBuf debugData) {
    // Streams above lastStreamId were refused: Netty closes them, and their calls fail UNAVAILABLE.
    retire();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    if (!retired) {
      retired = true;
      proxy.forget(this);
    }
    super.channelInactive(ctx);
  }

  @Override
  void streamClosed(RelayedCall call) {
    call.upstreamUnavailable("the instance closed the stream before the call ended");
  }
}
