package dev.vertice.launcher;

import dev.vertice.api.registry.v1.ListServicesRequest;
import dev.vertice.api.registry.v1.ListServicesResponse;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.api.registry.v1.ServiceSummary;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * {@code ClusterProbes} asks the cluster's processes how they are: an HTTP status, a Redis or
 * Sentinel answer, the registry from a control plane. Each call is short (about a second at most)
 * and answers -1, null or empty when nothing answers.
 */
final class ClusterProbes {

  private ClusterProbes() {}

  /** Returns the HTTP status of a GET of {@code url}, or -1. */
  static int httpStatus(String url) {
    try {
      HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
      c.setConnectTimeout(500);
      c.setReadTimeout(2000);
      try {
        return c.getResponseCode();
      } finally {
        c.disconnect();
      }
    } catch (IOException e) {
      return -1;
    }
  }

  /** Sends one inline command to Redis on loopback and returns the first reply line, or null. */
  static String redisCommand(int port, String command) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 500);
      s.setSoTimeout(1000);
      OutputStream o = s.getOutputStream();
      o.write((command + "\r\n").getBytes(StandardCharsets.UTF_8));
      o.flush();
      return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
    } catch (IOException e) {
      return null;
    }
  }

  /** Asks a Sentinel for the master's address ({@code host:port}). */
  static Optional<String> sentinelMaster(int sentinelPort) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", sentinelPort), 500);
      s.setSoTimeout(1000);
      s.getOutputStream().write(("SENTINEL get-master-addr-by-name " + ClusterState.MASTER + "\r\n")
          .getBytes(StandardCharsets.UTF_8));
      BufferedReader r = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      String head = r.readLine();
      if (head == null || !head.equals("*2")) {
        return Optional.empty();
      }
      r.readLine();
      String host = r.readLine();
      r.readLine();
      String port = r.readLine();
      return Optional.of(host + ":" + port);
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** Lists the registry from the first control plane of {@code addresses} that answers. */
  static Optional<ListServicesResponse> registry(String addresses) {
    for (String a : addresses.split(",")) {
      if (a.isBlank()) {
        continue;
      }
      ManagedChannel ch = ManagedChannelBuilder.forTarget(a.strip()).usePlaintext().build();
      try {
        return Optional.of(RegistryServiceGrpc.newBlockingStub(ch).withDeadlineAfter(2, TimeUnit.SECONDS)
            .listServices(ListServicesRequest.getDefaultInstance()));
      } catch (RuntimeException e) {
        // next replica
      } finally {
        ch.shutdownNow();
      }
    }
    return Optional.empty();
  }

  /** Returns the number of instances over every service of {@code r}. */
  static long instances(ListServicesResponse r) {
    return r.getServicesList().stream().mapToLong(ServiceSummary::getInstanceCount).sum();
  }
}
