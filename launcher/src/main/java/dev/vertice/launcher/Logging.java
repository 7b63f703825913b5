package dev.vertice.launcher;

/** {@code Logging} sets a one-line log format for java.util.logging, unless the user chose one. */
final class Logging {

  private Logging() {}

  /**
   * Writes one log line to stderr directly. For shutdown hooks: java.util.logging resets its
   * handlers when the JVM begins to exit, so a logger there may print nothing.
   */
  static void shutdownLine(String logger, String message) {
    System.err.printf("%1$tFT%1$tT.%1$tLZ %2$-7s %3$s: %4$s%n", new java.util.Date(), "INFO", logger, message);
    System.err.flush();
  }

  static void configure() {
    if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
      System.setProperty("java.util.logging.SimpleFormatter.format",
          "%1$tFT%1$tT.%1$tLZ %4$-7s %3$s: %5$s%6$s%n");
    }
  }
}
