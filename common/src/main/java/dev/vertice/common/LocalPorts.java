package dev.vertice.common;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
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

  /**
   * {@code listenOnLoopback} returns a server socket listening on 127.0.0.1 on a port below the
   * ephemeral range: once closed, its port can be bound again by a test, and nothing connects to it
   * by accident meanwhile.
   */
  public static ServerSocket listenOnLoopback() throws IOException {
    return bindBelowEphemeralRange(port -> {
      ServerSocket s = new ServerSocket();
      try {
        s.bind(new InetSocketAddress("127.0.0.1", port));
        return s;
      } catch (IOException e) {
        s.close();
        throw e;
      }
    });
  }

  /**
   * {@code freeLoopbackPort} returns a port below the ephemeral range that could be bound on
   * 127.0.0.1 a moment ago, for a server another process starts later.
   */
  public static int freeLoopbackPort() throws IOException {
    return freeLoopbackPort(new HashSet<>());
  }

  /**
   * {@code freeLoopbackPort} returns a port below the ephemeral range that could be bound on
   * 127.0.0.1 a moment ago and is not in {@code handedOut}, and adds it there: servers started in
   * parallel each get their own port although none listens yet. {@code handedOut} must be
   * thread-safe when callers are.
   */
  public static int freeLoopbackPort(Set<Integer> handedOut) throws IOException {
    return bindBelowEphemeralRange(port -> {
      try (ServerSocket s = new ServerSocket()) {
        s.setReuseAddress(false);
        s.bind(new InetSocketAddress("127.0.0.1", port));
      }
      if (!handedOut.add(port)) {
        throw new BindException("port " + port + " was handed out already");
      }
      return port;
    });
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
