package dev.vertice.sidecar.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * {@code HttpGet} makes one HTTP/1.1 GET over a fresh connection, bounded in time and in bytes.
 *
 * <p>A plain socket on purpose: a short request every few seconds needs no HTTP client, whose
 * threads and classes would cost memory in every sidecar.
 */
public final class HttpGet {

  /** Most bytes of a response read (status line, headers and body together). */
  public static final int MAX_RESPONSE_BYTES = 8192;

  /**
   * {@code Response} is what came back.
   *
   * @param status the status code
   * @param body the body, as far as it was read (at most {@link #MAX_RESPONSE_BYTES} with the head)
   */
  public record Response(int status, String body) {}

  private HttpGet() {}

  /**
   * {@code fetch} sends {@code GET path} to {@code host:port} with {@code Connection: close} and
   * reads the answer until the server closes, the byte limit, or the deadline.
   *
   * @throws IOException when the connection fails, the deadline passes before a status line
   *     arrived, or the answer is not HTTP
   */
  public static Response fetch(String host, int port, String path, Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), remainingMillis(deadline));
      s.setSoTimeout(remainingMillis(deadline));
      OutputStream out = s.getOutputStream();
      String hostHeader = host.contains(":") ? "[" + host + "]:" + port : host + ":" + port;
      out.write(("GET " + path + " HTTP/1.1\r\nHost: " + hostHeader + "\r\nUser-Agent: vertice-sidecar\r\n"
          + "Accept: */*\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String raw = read(s, s.getInputStream(), deadline);
      int lineEnd = raw.indexOf("\r\n");
      String statusLine = lineEnd < 0 ? raw : raw.substring(0, lineEnd);
      // "HTTP/1.1 200 OK"
      if (!statusLine.startsWith("HTTP/") || statusLine.length() < 12 || statusLine.charAt(8) != ' ') {
        throw new IOException("not an HTTP answer: '" + statusLine + "'");
      }
      int status;
      try {
        status = Integer.parseInt(statusLine.substring(9, 12));
      } catch (NumberFormatException e) {
        throw new IOException("not an HTTP status line: '" + statusLine + "'", e);
      }
      int headEnd = raw.indexOf("\r\n\r\n");
      return new Response(status, headEnd < 0 ? "" : raw.substring(headEnd + 4));
    }
  }

  private static String read(Socket s, InputStream in, long deadline) throws IOException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    byte[] chunk = new byte[1024];
    try {
      while (buf.size() < MAX_RESPONSE_BYTES) {
        s.setSoTimeout(remainingMillis(deadline));
        int n = in.read(chunk, 0, Math.min(chunk.length, MAX_RESPONSE_BYTES - buf.size()));
        if (n < 0) {
          break;
        }
        buf.write(chunk, 0, n);
      }
    } catch (IOException e) {
      if (buf.size() == 0) {
        throw e;
      }
      // Timed out after the head arrived (a server ignoring Connection: close): use what we have.
    }
    return buf.toString(StandardCharsets.ISO_8859_1);
  }

  private static int remainingMillis(long deadline) throws IOException {
    long left = (deadline - System.nanoTime()) / 1_000_000;
    if (left <= 0) {
      throw new IOException("timed out");
    }
    return (int) Math.min(Integer.MAX_VALUE, left);
  }
}
