package dev.vertice.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** {@code BenchPorts} finds free loopback ports for the processes a bench starts. */
final class BenchPorts {

  private BenchPorts() {}

  /** Returns a loopback port that was free a moment ago. */
  static int free() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
