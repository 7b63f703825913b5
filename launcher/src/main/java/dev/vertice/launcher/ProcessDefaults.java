package dev.vertice.launcher;

/**
 * {@code ProcessDefaults} sets what a process started from this launcher's entry points runs with,
 * before anything else loads: the log format ({@link Logging#configure}) and Netty's buffer-leak
 * detector off. A system property the user set ({@code JAVA_OPTS=-Dname=value}) always wins.
 *
 * <p>The leak detector, at Netty's default level, wraps one buffer in 128 and records a stack trace
 * for it when it is made and again when it is released: about 6 % of the gateway's CPU on the gRPC
 * path (async-profiler), and the wrapped buffers' second type on the same call sites made the JIT
 * deoptimize them. It finds leaks in development, not in production; the test suite keeps it on
 * (its servers are built in the test JVM, not through these entry points), and {@code
 * -Dio.netty.leakDetection.level=simple} (or {@code paranoid}) turns it back on for a run.
 */
final class ProcessDefaults {

  /** Netty's system property for the leak detector's level. */
  static final String LEAK_DETECTION = "io.netty.leakDetection.level";

  private ProcessDefaults() {}

  /** Applies the defaults; call first in {@code main}, before any Netty class is loaded. */
  static void apply() {
    Logging.configure();
    if (System.getProperty(LEAK_DETECTION) == null) {
      System.setProperty(LEAK_DETECTION, "disabled");
    }
  }
}
