package dev.vertice.observability.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A streaming response's bound: a reader that takes nothing is cut off at the limit, never queued without end. */
@Timeout(10)
class ChunkedResponseStreamTest {

  /** A socket that never drains: writes are held, their promises never complete. */
  private static final class Stalled extends ChannelOutboundHandlerAdapter {
    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      ReferenceCountUtil.release(msg);
    }
  }

  @Test
  void slowReaderIsCutOffAtTheBufferLimit() {
    EmbeddedChannel ch = new EmbeddedChannel(new Stalled());
    ChunkedResponseStream stream = new ChunkedResponseStream(ch, 1024);
    AtomicInteger closed = new AtomicInteger();
    stream.onClose(closed::incrementAndGet);
    String event = "x".repeat(400);
    assertTrue(stream.send(event));
    assertTrue(stream.send(event));
    ch.runPendingTasks();
    assertEquals(800, stream.bufferedBytes(), "both wait, unwritten");
    assertFalse(stream.send(event), "a third would exceed 1024 bytes");
    ch.runPendingTasks();
    assertFalse(stream.isOpen());
    assertFalse(ch.isOpen(), "the connection is closed");
    assertEquals(1, closed.get(), "close actions ran once");
    assertFalse(stream.send("more"));
    stream.onClose(closed::incrementAndGet);
    assertEquals(2, closed.get(), "an action added after the close runs at once");
  }

  @Test
  void writtenBytesLeaveTheBuffer() {
    EmbeddedChannel ch = new EmbeddedChannel();
    ChunkedResponseStream stream = new ChunkedResponseStream(ch, 1024);
    for (int i = 0; i < 10; i++) {
      assertTrue(stream.send("y".repeat(500)), "send " + i);
      ch.runPendingTasks();
      ReferenceCountUtil.release(ch.readOutbound());
    }
    assertEquals(0, stream.bufferedBytes());
    stream.close();
    ch.runPendingTasks();
    assertFalse(ch.isOpen());
  }
}
