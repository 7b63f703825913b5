package dev.vertice.chaos;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code Probes} reads the cluster's admin endpoints (a gateway's routes and status, a control plane's
 * health and its console's subscriber list) and talks RESP to Redis and Sentinel; every call has a
 * deadline and answers empty when the process does not.
 */
final class Probes {

  private static final Duration TIMEOUT = Duration.ofSeconds(2);
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(TIMEOUT).build();

  private Probes() {}

  /** The HTTP status of GET {@code url}, 0 without an answer. */
  static int status(String url) {
    try {
      return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(TIMEOUT).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    }
  }

  /** GET {@code url} as a JSON object, empty without a 200 answer. */
  static Optional<Struct> json(String url) {
    try {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(TIMEOUT).build(),
          HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        return Optional.empty();
      }
      Struct.Builder b = Struct.newBuilder();
      JsonFormat.parser().ignoringUnknownFields().merge(r.body(), b);
      return Optional.of(b.build());
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  /** Whether the control plane whose admin port is {@code adminPort} answers its health check. */
  static boolean healthy(int adminPort) {
    return status("http://127.0.0.1:" + adminPort + "/healthz") == 200;
  }

  /** The control plane a gateway (admin port) is connected to ({@code host:port}), if any. */
  static Optional<String> connectedControlPlane(int gatewayAdminPort) {
    return json("http://127.0.0.1:" + gatewayAdminPort + "/gateway/status").map(s -> s.getFieldsOrDefault(
        "control_plane", Value.getDefaultInstance())).filter(Value::hasStructValue)
        .map(v -> v.getStructValue().getFieldsOrDefault("address", Value.getDefaultInstance()))
        .filter(v -> v.hasStringValue()).map(Value::getStringValue);
  }

  /**
   * The addresses a gateway (admin port) routes {@code service}'s HTTP requests to: instances neither
   * not ejected; empty when the gateway does not answer.
   */
  static Optional<List<String>> routed(int gatewayAdminPort, String service) {
    return json("http://127.0.0.1:" + gatewayAdminPort + "/gateway/routes").map(s -> {
      List<String> out = new ArrayList<>();
      Value svc = s.getFieldsOrDefault("services", Value.getDefaultInstance()).getStructValue()
          .getFieldsOrDefault(service, Value.getDefaultInstance());
      for (Value subset : svc.getStructValue().getFieldsOrDefault("http", Value.getDefaultInstance())
          .getListValue().getValuesList()) {
        for (Value in : subset.getStructValue().getFieldsOrDefault("instances", Value.getDefaultInstance())
            .getListValue().getValuesList()) {
          Struct i = in.getStructValue();
          if (!i.getFieldsOrDefault("ejected", Value.getDefaultInstance()).getBoolValue()) {
            out.add(i.getFieldsOrDefault("address", Value.getDefaultInstance()).getStringValue());
          }
        }
      }
      return out;
    });
  }

  /**
   * A control plane's push state from its console ({@code /ui/api/nodes}): its revision and, per
   * subscriber, whether it acknowledged at least {@code atLeast} or has nothing pending.
   */
  static Optional<PushState> pushState(int adminPort) {
    return json("http://127.0.0.1:" + adminPort + "/ui/api/nodes").map(s -> {
      long revision = (long) s.getFieldsOrDefault("revision", Value.getDefaultInstance()).getNumberValue();
      List<long[]> nodes = new ArrayList<>();
      for (Value n : s.getFieldsOrDefault("nodes", Value.getDefaultInstance()).getListValue().getValuesList()) {
        Struct f = n.getStructValue();
        nodes.add(new long[] {(long) f.getFieldsOrDefault("ackedRevision", Value.getDefaultInstance()).getNumberValue(),
            f.getFieldsOrDefault("inSync", Value.getDefaultInstance()).getBoolValue() ? 1 : 0});
      }
      return new PushState(revision, nodes);
    });
  }

  /**
   * One control plane's push state.
   *
   * @param revision its registry revision
   * @param nodes per subscriber: acknowledged revision, and 1 when in sync (nothing pending or outstanding)
   */
  record PushState(long revision, List<long[]> nodes) {
    boolean allAt(long target) {
      return revision >= target && nodes.stream().allMatch(n -> n[0] >= target || n[1] == 1);
    }
  }

  /** Sends one command to Redis or Sentinel on {@code port} and returns its reply as text lines. */
  static Optional<List<String>> redis(int port, String... args) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
      s.setSoTimeout(1_000);
      StringBuilder cmd = new StringBuilder("*").append(args.length).append("\r\n");
      for (String a : args) {
        cmd.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a).append("\r\n");
      }
      OutputStream out = s.getOutputStream();
      out.write(cmd.toString().getBytes(StandardCharsets.UTF_8));
      out.flush();
      InputStream in = s.getInputStream();
      List<String> lines = new ArrayList<>();
      readReply(in, lines);
      return Optional.of(lines);
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static void readReply(InputStream in, List<String> lines) throws IOException {
    String line = readLine(in);
    switch (line.charAt(0)) {
      case '*' -> {
        int n = Integer.parseInt(line.substring(1));
        for (int i = 0; i < n; i++) {
          readReply(in, lines);
        }
      }
      case '$' -> {
        int n = Integer.parseInt(line.substring(1));
        if (n >= 0) {
          byte[] b = in.readNBytes(n + 2);
          lines.add(new String(b, 0, n, StandardCharsets.UTF_8));
        }
      }
      default -> lines.add(line);
    }
  }

  private static String readLine(InputStream in) throws IOException {
    StringBuilder b = new StringBuilder();
    int c;
    while ((c = in.read()) != -1) {
      if (c == '\r') {
        in.read();
        break;
      }
      b.append((char) c);
    }
    if (b.length() == 0) {
      throw new IOException("connection closed");
    }
    return b.toString();
  }

  /** The master's port as the first Sentinel in {@code sentinels} that answers knows it. */
  static Optional<Integer> sentinelMaster(List<Integer> sentinels) {
    for (int s : sentinels) {
      Optional<List<String>> r = redis(s, "SENTINEL", "get-master-addr-by-name", ClusterHandle.MASTER);
      if (r.isPresent() && r.get().size() == 2) {
        return Optional.of(Integer.valueOf(r.get().get(1)));
      }
    }
    return Optional.empty();
  }
}
