package dev.vertice.gateway.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The listener's HTTP/2 codec is a server's, with the limits Netty's own server codec has. */
@Timeout(10)
class ServerHttp2CodecTest {

  @Test
  void itIsAServersCodecWithTheSameResetLimitsAsNettysOwn() {
    Http2FrameCodec ours = ServerHttp2Codec.builder().build();
    Http2FrameCodec netty = Http2FrameCodecBuilder.forServer().build();
    assertTrue(ours.connection().isServer());
    // The outermost decoder and encoder are the RST_STREAM limits Netty adds to a server's codec
    // (rapid reset, and resets the server is made to send): the same on both.
    assertEquals("Http2MaxRstFrameDecoder", ours.decoder().getClass().getSimpleName());
    assertEquals(netty.decoder().getClass(), ours.decoder().getClass());
    assertEquals(netty.encoder().getClass(), ours.encoder().getClass());
  }
}
