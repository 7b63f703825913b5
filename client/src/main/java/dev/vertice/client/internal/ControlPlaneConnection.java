package dev.vertice.client.internal;

import dev.vertice.client.Backoff;
import dev.vertice.client.BackoffConfig;
import dev.vertice.common.Threads;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.ScheduledExecutorService;

/**
 * {@code ControlPlaneConnection} is what a client needs to talk to the control plane: a channel
 * per replica, the scheduler its timers run on, and the backoff its reconnects and retries follow.
 *
 * <p>It owns what it created (channels built from addresses, a default scheduler) and releases
 * that on {@link #close()}; borrowed channels and a borrowed scheduler stay open. Thread-safe.
 */
public final class ControlPlaneConnection implements AutoCloseable {

  private final ControlPlaneChannels channels;
  private final ScheduledExecutorService scheduler;
  private final boolean ownsScheduler;
  private final BackoffConfig backoff;
  private final Random random;

  /**
   * {@code ControlPlaneConnection} takes over {@code channels}, and either borrows {@code
   * scheduler} or, when it is null, creates a one-thread daemon scheduler named {@code
   * timerThreadName}.
   *
   * @param random the source of backoff jitter, shared by every {@link #newBackoff() backoff}
   */
  public ControlPlaneConnection(ControlPlaneChannels channels, ScheduledExecutorService scheduler,
      String timerThreadName, BackoffConfig backoff, Random random) {
    this.channels = Objects.requireNonNull(channels, "channels");
    this.ownsScheduler = scheduler == null;
    this.scheduler = ownsScheduler ? Threads.scheduler(timerThreadName) : scheduler;
    this.backoff = Objects.requireNonNull(backoff, "backoff");
    this.random = Objects.requireNonNull(random, "random");
  }

  /** {@code channels} returns the channels to the control-plane replicas. */
  public ControlPlaneChannels channels() {
    return channels;
  }

  /** {@code scheduler} returns the scheduler the client's timers run on. */
  public ScheduledExecutorService scheduler() {
    return scheduler;
  }

  /**
   * {@code newBackoff} returns a fresh sequence of the configured backoff, for one thing that
   * retries on its own (a stream, a registration).
   */
  public Backoff newBackoff() {
    return new Backoff(backoff, random);
  }

  /** {@code close} shuts down the owned channels and the owned scheduler; borrowed ones stay open. */
  @Override
  public void close() {
    channels.close();
    if (ownsScheduler) {
      scheduler.shutdownNow();
    }
  }
}
