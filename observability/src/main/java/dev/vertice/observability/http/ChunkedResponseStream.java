package dev.vertice.observability.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@link ResponseStream} of one connection: each {@link #send} is one HTTP chunk, written
 * through the channel (Netty queues writes from other threads for the event loop). The bytes queued
 * but not yet written to the socket are counted; past the limit the connection is closed at once.
 */
final class ChunkedResponseStream implements ResponseStream {

  private final Channel channel;
  private final int maxBufferedBytes;
  private final AtomicLong buffered = new AtomicLong();
  private final AtomicBoolean open = new AtomicBoolean(true);
  private final Object actionsLock = new Object();
  // guarded by actionsLock; null once run
  private List<Runnable> closeActions = new ArrayList<>(2);

  ChunkedResponseStream(Channel channel, int maxBufferedBytes) {
    this.channel = channel;
    this.maxBufferedBytes = maxBufferedBytes;
    channel.closeFuture().addListener(f -> closed());
  }

  @Override
  public boolean send(String text) {
    if (!open.get()) {
      return false;
    }
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    if (buffered.addAndGet(bytes.length) > maxBufferedBytes) {
      // Too slow a reader: cut it off rather than queue without bound.
      buffered.addAndGet(-bytes.length);
      open.set(false);
      channel.close();
      return false;
    }
    channel.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(bytes))).addListener(f -> {
      buffered.addAndGet(-bytes.length);
      if (!f.isSuccess()) {
        channel.close();
      }
    });
    return true;
  }

  @Override
  public boolean isOpen() {
    return open.get() && channel.isActive();
  }

  @Override
  public void close() {
    if (open.compareAndSet(true, false)) {
      channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(ChannelFutureListener.CLOSE);
    }
  }

  @Override
  public void onClose(Runnable action) {
    synchronized (actionsLock) {
      if (closeActions != null) {
        closeActions.add(action);
        return;
      }
    }
    action.run();
  }

  /** Bytes queued and not yet written (for tests and diagnostics). */
  long bufferedBytes() {
    return buffered.get();
  }

  private void closed() {
    open.set(false);
    List<Runnable> run;
    synchronized (actionsLock) {
      run = closeActions;
      closeActions = null;
    }
    if (run != null) {
      for (Runnable r : run) {
        try {
          r.run();
        } catch (RuntimeException e) {
          // One failing action must not keep the others from running.
          java.util.logging.Logger.getLogger(ChunkedResponseStream.class.getName())
              .log(java.util.logging.Level.WARNING, "stream close action failed", e);
        }
      }
    }
  }
}
