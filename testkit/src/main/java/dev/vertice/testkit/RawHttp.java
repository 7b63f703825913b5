package dev.vertice.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * {@code RawHttp} is one HTTP/1.1 connection on a plain socket, for tests that need what an HTTP
 * client hides: several requests on one keep-alive connection, half-sent requests, whether and when
 * the server closed. Every read has a deadline ({@code readTimeout}), so a test never hangs on it.
 *
 * <pre>{@code
 * try (RawHttp c = RawHttp.connect(port, Duration.ofSeconds(5))) {
 *   RawHttp.Answer a = c.exchange("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
 * }
 * }</pre>
 */
public final class RawHttp implements AutoCloseable {

  /**
   * {@code Answer} is one response: status, headers (names in lower case) and body.
   *
   * @param status the status code
   * @param headers the headers, names in lower case, the last value of each
   * @param body the body, decoded as UTF-8
   */
  public record Answer(int status, Map<String, String> headers, String body) {
    /** {@code header} returns the value of header {@code name} (any case), or null. */
    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  private RawHttp(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new java.io.BufferedInputStream(socket.getInputStream());
    this.out = socket.getOutputStream();
  }

  /** {@code connect} opens a connection to 127.0.0.1:{@code port} whose reads fail after {@code readTimeout}. */
  public static RawHttp connect(int port, Duration readTimeout) throws IOException {
    Socket s = new Socket("127.0.0.1", port);
    s.setTcpNoDelay(true);
    s.setSoTimeout((int) readTimeout.toMillis());
    return new RawHttp(s);
  }

  /** {@code send} writes {@code text} (ISO-8859-1) as it is: a whole request, part of one, or several. */
  public RawHttp send(String text) throws IOException {
    out.write(text.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
    return this;
  }

  /** {@code exchange} sends {@code request} and reads one response. */
  public Answer exchange(String request) throws IOException {
    send(request);
    return read();
  }

  /**
   * {@code read} reads one response (its body by {@code Content-Length}, or to the end of the
   * stream when there is none).
   *
   * @throws IOException when the connection ends first or the read timeout passes
   */
  public Answer read() throws IOException {
    return read(true);
  }

  /**
   * {@code read} reads one response like {@link #read()}; with {@code withBody} false it reads the
   * head only (the answer to {@code HEAD}, whose {@code Content-Length} announces no body).
   */
  public Answer read(boolean withBody) throws IOException {
    String statusLine = line();
    if (statusLine == null) {
      throw new IOException("connection closed before a response");
    }
    String[] parts = statusLine.split(" ", 3);
    int status = Integer.parseInt(parts[1]);
    Map<String, String> headers = new LinkedHashMap<>();
    for (String l = line(); l != null && !l.isEmpty(); l = line()) {
      int colon = l.indexOf(':');
      headers.put(l.substring(0, colon).strip().toLowerCase(Locale.ROOT), l.substring(colon + 1).strip());
    }
    String length = headers.get("content-length");
    byte[] body;
    if (!withBody) {
      body = new byte[0];
    } else if (length != null) {
      body = in.readNBytes(Integer.parseInt(length));
    } else {
      body = in.readAllBytes();
    }
    return new Answer(status, headers, new String(body, StandardCharsets.UTF_8));
  }

  /**
   * {@code closedByServer} reads until the server closes the connection (true, also on a reset) or
   * {@code readTimeout} passes without a byte (false), and returns whether it closed; what was
   * read is in {@code into} when not null.
   */
  public boolean closedByServer(ByteArrayOutputStream into) throws IOException {
    byte[] buf = new byte[4096];
    try {
      int n;
      while ((n = in.read(buf)) >= 0) {
        if (into != null) {
          into.write(buf, 0, n);
        }
      }
      return true;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (java.net.SocketException e) {
      return true;
    }
  }

  private String line() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) >= 0) {
      if (c == '\n') {
        String s = b.toString(StandardCharsets.ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
      }
      b.write(c);
    }
    return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
