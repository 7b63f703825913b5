package dev.vertice.gateway.grpc;

import io.netty.channel.EventLoop;
import java.util.ArrayList;

/**
 * {@code FlushBatch} flushes the connections the relay wrote to once per turn of their event loop,
 * after the loop has handled every connection that was ready: a client connection's read writes to
 * an upstream connection the loop's other client connections share, and each of those gets one
 * flush (one {@code writev}) for all the calls the turn relayed to it, not one per call. The flush
 * runs as a task of the same turn, so it adds no wait.
 *
 * <p>One per event loop, used only on it.
 */
final class FlushBatch implements Runnable {

  private final EventLoop loop;
  private final ArrayList<RelayConnection> dirty = new ArrayList<>();
  private boolean scheduled;

  FlushBatch(EventLoop loop) {
    this.loop = loop;
  }

  /** {@code wrote} says that {@code c} has frames to flush. */
  void wrote(RelayConnection c) {
    if (c.queuedForFlush) {
      return;
    }
    c.queuedForFlush = true;
    dirty.add(c);
    if (!scheduled) {
      scheduled = true;
      loop.execute(this);
    }
  }

  @Override
  public void run() {
    for (int i = 0; i < dirty.size(); i++) { // grows while flushing: written-complete listeners write too
      RelayConnection c = dirty.get(i);
      c.queuedForFlush = false;
      c.flushNow();
    }
    dirty.clear();
    scheduled = false;
  }
}
