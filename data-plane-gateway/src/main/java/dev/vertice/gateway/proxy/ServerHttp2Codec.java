package dev.vertice.gateway.proxy;

import io.netty.handler.codec.http2.Http2FrameCodecBuilder;

/**
 * {@code ServerHttp2Codec} builds the HTTP listener's HTTP/2 codec (h2c and h2 over TLS): what
 * {@link Http2FrameCodecBuilder#forServer()} builds, but on a connection whose response DATA is
 * shared among the streams evenly ({@link Http2Connections#evenlyShared}).
 */
final class ServerHttp2Codec extends Http2FrameCodecBuilder {

  private ServerHttp2Codec() {
    // Not server(true): Netty's builder takes a side or a connection, not both. Told neither, it
    // builds a server's codec, with a server's limits on RST_STREAM frames, as forServer() does.
    connection(Http2Connections.evenlyShared(true, maxReservedStreams()));
  }

  /** {@code builder} returns a builder of the listener's codec; settings go on it as on forServer()'s. */
  static Http2FrameCodecBuilder builder() {
    return new ServerHttp2Codec();
  }
}
