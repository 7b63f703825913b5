package dev.vertice.gateway.health.internal;

import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.common.Ticker;
import dev.vertice.gateway.health.HealthReport.InstanceReport;
import dev.vertice.gateway.health.HealthReport.InstanceStatus;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;

/** {@code Probes} builds instance reports the same way for every kind of probe. */
public final class Probes {

  private Probes() {}

  /** {@code protocol} is the JSON name of the instance's protocol. */
  public static String protocol(Instance i) {
    return i.getProtocol() == Protocol.PROTOCOL_GRPC ? "grpc" : "http";
  }

  /** {@code report} builds the report of {@code i} with the given result. */
  public static InstanceReport report(Instance i, InstanceStatus status, String detail, Duration latency) {
    return new InstanceReport(i.getInstanceId(), i.getAddress(), i.getPort(), protocol(i), i.getVersion(), status,
        detail, latency);
  }

  /** {@code notProbed} is the report of an instance that was not probed, saying why. */
  public static InstanceReport notProbed(Instance i, String why) {
    return report(i, InstanceStatus.UNKNOWN, why, Duration.ZERO);
  }

  /** {@code since} is the time elapsed since {@code startNanos} on {@code ticker}. */
  public static Duration since(Ticker ticker, long startNanos) {
    return Duration.ofNanos(Math.max(0, ticker.nanoTime() - startNanos));
  }

  /** {@code describe} names a probe failure briefly: its cause's class and message. */
  public static String describe(Throwable t, Duration timeout) {
    Throwable c = t;
    while (c instanceof CompletionException && c.getCause() != null) {
      c = c.getCause();
    }
    if (c instanceof TimeoutException || c instanceof java.net.http.HttpTimeoutException) {
      return "timeout after " + timeout.toMillis() + " ms";
    }
    String m = c.getMessage();
    return c.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m);
  }
}
