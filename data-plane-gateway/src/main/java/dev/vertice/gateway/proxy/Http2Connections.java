package dev.vertice.gateway.proxy;

import io.netty.handler.codec.http2.DefaultHttp2Connection;
import io.netty.handler.codec.http2.DefaultHttp2RemoteFlowController;
import io.netty.handler.codec.http2.UniformStreamByteDistributor;

/**
 * {@code Http2Connections} makes the HTTP/2 connection state of the gateway's codecs (the HTTP
 * listener's and the gRPC relay's): outbound DATA is shared among the streams evenly ({@link
 * UniformStreamByteDistributor}) rather than by HTTP/2 priority. Netty's default ({@code
 * WeightedFairQueueByteDistributor}) keeps a priority tree current at each stream's start and end,
 * about 5 % of the samples of the relay and of the h2c path in profiles; the gateway never acted
 * on priorities, and gRPC sends none.
 */
public final class Http2Connections {

  private Http2Connections() {}

  /** {@code evenlyShared} returns a new connection, server or client side, with that distributor. */
  public static DefaultHttp2Connection evenlyShared(boolean server, int maxReservedStreams) {
    DefaultHttp2Connection connection = new DefaultHttp2Connection(server, maxReservedStreams);
    connection.remote().flowController(
        new DefaultHttp2RemoteFlowController(connection, new UniformStreamByteDistributor(connection)));
    return connection;
  }
}
