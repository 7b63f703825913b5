package dev.vertice.gateway.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.gateway.balancer.EndpointKey;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.Http2Settings;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * How the relay's two kinds of connection are built: the side each takes, and the RST_STREAM
 * limits that go with it (Netty's builder takes a connection it was not told the side of for a
 * server's, whose limits would close an instance's connection after 200 resets in 30 s).
 */
@Timeout(10)
class RelayConnectionTest {

  /** The class Netty wraps a decoder in to count the RST_STREAM frames it receives. */
  private static final String RST_LIMIT_DECODER = "Http2MaxRstFrameDecoder";

  private final FlushBatch batch = new FlushBatch(new EmbeddedChannel().eventLoop());

  @Test
  void anInstancesConnectionIsAClientsWithoutResetLimits() {
    UpstreamConnection up = UpstreamConnection.create(null, new EndpointKey("orders", "orders-1", "127.0.0.1", 9),
        Http2Settings.defaultSettings(), batch, 0);
    assertFalse(up.connection().isServer());
    assertNotEquals(RST_LIMIT_DECODER, up.decoder().getClass().getSimpleName(),
        "an instance that ends many calls by reset would have its connection closed");
  }

  @Test
  void aClientsConnectionIsAServersWithTheGatewaysResetLimit() {
    DownstreamConnection down = DownstreamConnection.create(null, Http2Settings.defaultSettings(), batch, 0,
        Duration.ofSeconds(60));
    assertTrue(down.connection().isServer());
    assertEquals(RST_LIMIT_DECODER, down.decoder().getClass().getSimpleName(), "the bound on rapid reset");
  }
}
