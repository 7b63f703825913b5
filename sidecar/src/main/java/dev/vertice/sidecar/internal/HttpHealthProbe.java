package dev.vertice.sidecar.internal;

import dev.vertice.sidecar.HealthProbe;
import java.io.IOException;
import java.time.Duration;

/**
 * {@code HttpHealthProbe} sends {@code GET <path>} over a fresh connection and counts a status of
 * 200-399 as healthy, as Kubernetes httpGet probes do.
 */
public final class HttpHealthProbe implements HealthProbe {

  private final String host;
  private final int port;
  private final String path;
  private final Duration timeout;

  /** {@code HttpHealthProbe} probes {@code http://host:port/path} within {@code timeout}. */
  public HttpHealthProbe(String host, int port, String path, Duration timeout) {
    this.host = host;
    this.port = port;
    this.path = path;
    this.timeout = timeout;
  }

  @Override
  public boolean check() {
    try {
      int status = HttpGet.fetch(host, port, path, timeout).status();
      return status >= 200 && status < 400;
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public String describe() {
    return "GET http://" + host + ":" + port + path;
  }
}
