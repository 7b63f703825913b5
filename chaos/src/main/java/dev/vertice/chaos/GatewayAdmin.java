package dev.vertice.chaos;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code GatewayAdmin} reads a gateway's admin pages ({@code /gateway/status}, {@code /gateway/routes})
 * for the fault scenarios: whether it is connected to a control plane, and how it sees one instance
 * (ejected by outlier detection, its breaker's state).
 */
final class GatewayAdmin {

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private static final Pattern CONNECTED = Pattern.compile("\"control_plane\":\\{\"connected\":(true|false)");

  private GatewayAdmin() {}

  /** {@code InstanceView} is how a gateway sees one instance: routed, ejected, breaker state. */
  record InstanceView(boolean listed, boolean ejected, String breaker) {

    /** Listed, not ejected, breaker closed: it gets requests. */
    boolean inRotation() {
      return listed && !ejected && "CLOSED".equals(breaker);
    }
  }

  /** Whether {@code gateway} says it is connected to a control plane (empty: it did not answer). */
  static Optional<Boolean> connected(ClusterProcess gateway) {
    return get(gateway, "/gateway/status").flatMap(s -> {
      Matcher m = CONNECTED.matcher(s);
      return m.find() ? Optional.of(Boolean.valueOf(m.group(1))) : Optional.empty();
    });
  }

  /** How {@code gateway} sees the instance at {@code hostPort} (empty: it did not answer). */
  static Optional<InstanceView> instance(ClusterProcess gateway, String hostPort) {
    return get(gateway, "/gateway/routes").map(s -> {
      int i = s.indexOf("\"address\":\"" + hostPort + "\"");
      if (i < 0) {
        return new InstanceView(false, false, "");
      }
      int end = s.indexOf('}', i);
      String obj = s.substring(i, end < 0 ? s.length() : end);
      Matcher b = Pattern.compile("\"breaker\":\"([A-Z_]+)\"").matcher(obj);
      return new InstanceView(true, obj.contains("\"ejected\":true"), b.find() ? b.group(1) : "");
    });
  }

  private static Optional<String> get(ClusterProcess gateway, String path) {
    try {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
          + ClusterHandle.adminPort(gateway) + path)).timeout(Duration.ofSeconds(2)).build(),
          HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? Optional.of(r.body()) : Optional.empty();
    } catch (java.io.IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }
}
