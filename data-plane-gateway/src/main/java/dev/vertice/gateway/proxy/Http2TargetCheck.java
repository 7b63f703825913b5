package dev.vertice.gateway.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2StreamFrame;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.ReferenceCountUtil;

/**
 * {@code Http2TargetCheck} holds HTTP/2 request targets to the rule HTTP/1 request lines are held to
 * ({@link RequestTarget}, checked by {@link RequestFraming}): a {@code :path} that breaks it, or
 * not in origin form ({@code /...}; {@code *} only for OPTIONS), or missing, is answered 400 with
 * the gateway's JSON error and never converted, routed or sent upstream. It sits in each stream's
 * pipeline in front of the frame-to-HTTP/1 codec, because that codec turns the raw {@code :path}
 * bytes into a request line (and throws on some of them, which would reset the stream without an
 * answer). Only the stream is refused: HTTP/2 frames its messages itself, so the connection and its
 * other streams go on. One instance per stream; runs on the stream's event loop.
 */
final class Http2TargetCheck extends ChannelInboundHandlerAdapter {

  private final ProxyContext px;
  /** The request head was checked (later frames are the body and trailers). */
  private boolean checked;
  /** The request was refused: its remaining frames are dropped. */
  private boolean refused;

  Http2TargetCheck(ProxyContext px) {
    this.px = px;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (refused && msg instanceof Http2StreamFrame) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (!checked && msg instanceof Http2HeadersFrame frame) {
      checked = true;
      String problem = problem(frame.headers());
      if (problem != null) {
        refused = true;
        ReferenceCountUtil.release(msg);
        refuse(ctx, frame.headers(), problem);
        return;
      }
    }
    ctx.fireChannelRead(msg);
  }

  /** Why the request head {@code h} must be refused, or null when its target is fine. */
  static String problem(Http2Headers h) {
    CharSequence path = h.path();
    if (path == null) {
      return "malformed request target: the request has no :path (CONNECT is not proxied)";
    }
    // Checked as the frame holds it (no String made here: the codec makes the request line).
    if (!RequestTarget.isValid(path)) {
      return "malformed request target: only visible ASCII characters and valid percent-encoding";
    }
    boolean asterisk = path.length() == 1 && path.charAt(0) == '*' && h.method() != null
        && "OPTIONS".contentEquals(h.method());
    if (path.charAt(0) != '/' && !asterisk) {
      return "malformed request target: an HTTP/2 :path starts with '/'";
    }
    return null;
  }

  private void refuse(ChannelHandlerContext ctx, Http2Headers request, String problem) {
    px.requests.increment();
    DefaultHttpHeaders ids = new DefaultHttpHeaders();
    CharSequence given = request.get(Headers.X_REQUEST_ID);
    if (given != null) {
      ids.set(Headers.X_REQUEST_ID, given);
    }
    FullHttpResponse r = Errors.response(HttpResponseStatus.BAD_REQUEST, "bad_request", problem,
        Headers.requestId(ids), null);
    try {
      Http2Headers head = HttpConversionUtil.toHttp2Headers(r, true);
      ByteBuf body = r.content().retain();
      ctx.write(new DefaultHttp2HeadersFrame(head, false));
      // The stream ends with the answer; a client still sending a body gets RST_STREAM from the close.
      ctx.writeAndFlush(new DefaultHttp2DataFrame(body, true)).addListener(ChannelFutureListener.CLOSE);
    } finally {
      r.release();
    }
  }
}
