package dev.vertice.common;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code LocalPorts} finds ports to listen on that nothing but a bind naming them can take: a port
 * from the kernel's ephemeral range (what binding port 0 gives) can be taken by any outgoing
 * connection of any process between the moment it is found free and the moment it is bound again
 * (by a restarted server, or by a process started later on a port chosen for it); a port below
 * that range cannot.
 */
public final class LocalPorts {

  /** How a caller binds a port: returns what it bound, or throws when the port is taken. */
  @FunctionalInterface
  public interface Binder<T> {
    T bind(int port) throws IOException;
  }

  private static final int LOWEST = 10_000;
  private static final int TRIES = 50;

  private LocalPorts() {}

  /**
   * {@code bindBelowEphemeralRange} calls {@code binder} with random ports between 10000 and the
   * start of the kernel's ephemeral range until one binds, and returns what it bound.
   *
   * @throws IOException the last failure, when none of 50 ports could be bound
   */
  public static <T> T bindBelowEphemeralRange(Binder<T> binder) throws IOException {
    int high = ephemeralRangeStart();
    IOException last = null;
    for (int i = 0; i < TRIES; i++) {
      int port = ThreadLocalRandom.current().nextInt(LOWEST, high);
      try {
        return binder.bind(port);
      } catch (IOException e) {
        last = e;
      }
    }
    throw last;
  }

  /** The first port of the kernel's ephemeral range (32768 where it cannot be read). */
  public static int ephemeralRangeStart() {
    try {
      String[] range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim().split("\\s+");
      int start = Integer.parseInt(range[0]);
      return start > LOWEST + 1_000 ? start : 32_768;
    } catch (IOException | RuntimeException e) {
      return 32_768;
    }
  }
}
