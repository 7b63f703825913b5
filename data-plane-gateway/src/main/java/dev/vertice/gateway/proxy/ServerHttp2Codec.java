package dev.vertice.gateway.proxy;

import io.netty.handler.codec.http2.DefaultHttp2Connection;
import io.netty.handler.codec.http2.DefaultHttp2RemoteFlowController;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.UniformStreamByteDistributor;

/**
 * {@code ServerHttp2Codec} builds the HTTP listener's HTTP/2 codec (h2c and h2 over TLS): what
 * {@link Http2FrameCodecBuilder#forServer()} builds, but with the response DATA shared among the
 * streams evenly ({@link UniformStreamByteDistributor}) rather than by HTTP/2 priority. Netty's
 * default ({@code WeightedFairQueueByteDistributor}) keeps a priority tree current at each
 * stream's start and end, about 5 % of the samples of the h2c path in a profile; the gateway
 * forwards each request upstream as it comes and never acted on priorities.
 */
final class ServerHttp2Codec extends Http2FrameCodecBuilder {

  private ServerHttp2Codec() {
    // Not server(true): Netty's builder takes a side or a connection, not both. Told neither, it
    // builds a server's codec, with a server's limits on RST_STREAM frames, as forServer() does.
    DefaultHttp2Connection connection = new DefaultHttp2Connection(true, maxReservedStreams());
    connection.remote().flowController(
        new DefaultHttp2RemoteFlowController(connection, new UniformStreamByteDistributor(connection)));
    connection(connection);
  }

  /** {@code builder} returns a builder of the listener's codec; settings go on it as on forServer()'s. */
  static Http2FrameCodecBuilder builder() {
    return new ServerHttp2Codec();
  }
}
