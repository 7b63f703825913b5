package dev.vertice.security.tls;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.SocketException;
import java.security.cert.X509Certificate;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * A TLS listener on loopback backed by a {@link ReloadingTls}'s {@code SSLContext}: each accepted
 * connection completes a handshake, receives one byte and is closed. {@link #connect} opens a
 * client connection and returns the serial number of the certificate the server presented.
 */
final class TlsProbe implements AutoCloseable {

  private final SSLServerSocket socket;
  private final Thread acceptor;
  /** The subject of the client certificate seen by the last handshake, or "none". */
  final AtomicReference<String> lastClient = new AtomicReference<>();

  TlsProbe(ReloadingTls server) throws IOException {
    socket = (SSLServerSocket) server.sslContext().getServerSocketFactory()
        .createServerSocket(0, 16, InetAddress.getLoopbackAddress());
    switch (server.settings().clientAuth()) {
      case REQUIRE -> socket.setNeedClientAuth(true);
      case OPTIONAL -> socket.setWantClientAuth(true);
      case NONE -> { }
    }
    acceptor = new Thread(this::serve, "tls-probe");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  int port() {
    return socket.getLocalPort();
  }

  private void serve() {
    while (!socket.isClosed()) {
      try (SSLSocket s = (SSLSocket) socket.accept()) {
        s.setSoTimeout(5_000);
        try {
          s.startHandshake();
          java.security.cert.Certificate[] peer;
          try {
            peer = s.getSession().getPeerCertificates();
            lastClient.set(((X509Certificate) peer[0]).getSubjectX500Principal().getName());
          } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
            lastClient.set("none");
          }
          s.getOutputStream().write(1);
          s.getOutputStream().flush();
        } catch (IOException e) {
          // A refused handshake: the client sees it.
        }
      } catch (SocketException e) {
        return; // closed
      } catch (IOException e) {
        // next connection
      }
    }
  }

  /**
   * Connects as {@code client} to "localhost" and returns the serial of the server's certificate.
   *
   * @throws IOException when the handshake fails on either side
   */
  BigInteger connect(ReloadingTls client) throws IOException {
    SSLContext context = client.sslContext();
    try (SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket("localhost", port())) {
      s.setSoTimeout(5_000);
      s.startHandshake();
      // Under TLS 1.3 the server verifies the client's certificate after the client finished: the
      // refusal arrives as an alert on the first read.
      if (s.getInputStream().read() != 1) {
        throw new IOException("the server closed the connection");
      }
      return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSerialNumber();
    }
  }

  /** {@link #connect} returning null instead of throwing. */
  BigInteger tryConnect(ReloadingTls client) {
    try {
      return connect(client);
    } catch (IOException e) {
      return null;
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
