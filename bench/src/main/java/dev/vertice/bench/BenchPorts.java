package dev.vertice.bench;

import dev.vertice.common.LocalPorts;
import java.io.IOException;

/**
 * {@code BenchPorts} finds free loopback ports for the processes a bench starts, and starts them
 * again on other ports when one was taken in between ({@link #onFreePorts}).
 */
final class BenchPorts {

  /** How many times a peer process is started on fresh ports before giving up. */
  static final int START_ATTEMPTS = 5;

  private BenchPorts() {}

  /**
   * Returns a loopback port that was free a moment ago, below the kernel's ephemeral range: the
   * process it is for binds it later, and an ephemeral port can be taken meanwhile by any outgoing
   * connection.
   */
  static int free() throws IOException {
    return LocalPorts.freeLoopbackPort();
  }

  /**
   * {@code ExitedAtStart} says a peer process ended while it was starting: most likely a port
   * found free was taken before it bound it (by another process's outgoing connection, say).
   */
  static final class ExitedAtStart extends IOException {
    private static final long serialVersionUID = 1L;

    ExitedAtStart(String message) {
      super(message);
    }
  }

  /** A start of a peer process on ports it takes from {@link #free()}. */
  @FunctionalInterface
  interface Start<T> {
    T start() throws IOException, InterruptedException;
  }

  /**
   * {@code onFreePorts} runs {@code start}, and again (with the ports it picks anew) each time it
   * throws {@link ExitedAtStart}, up to {@link #START_ATTEMPTS} times; other failures end it at once.
   */
  static <T> T onFreePorts(Start<T> start) throws IOException, InterruptedException {
    ExitedAtStart last = null;
    for (int attempt = 0; attempt < START_ATTEMPTS; attempt++) {
      try {
        return start.start();
      } catch (ExitedAtStart e) {
        last = e;
      }
    }
    throw last;
  }
}
