package dev.vertice.security.tls;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * {@code TlsSettings} names the PEM files of one side of a TLS connection and how often they are
 * re-read.
 *
 * <ul>
 *   <li>Server side: {@code cert} and {@code key} are required; {@code ca}, the bundle client
 *       certificates are verified against, is required unless {@code clientAuth} is {@link
 *       ClientAuth#NONE}.
 *   <li>Client side: {@code ca} is the bundle the server's certificate is verified against (null:
 *       the JDK's default trust store); {@code cert} and {@code key}, set together or not at all,
 *       are presented for mutual TLS.
 * </ul>
 *
 * @param cert certificate chain (PEM), or null
 * @param key PKCS#8 private key (PEM), or null
 * @param ca trusted CA certificates (PEM), or null
 * @param clientAuth whether a server asks for client certificates (ignored on the client side)
 * @param refresh how often the files are checked for changes; changed files are loaded without
 *     dropping connections (new handshakes use them)
 */
public record TlsSettings(Path cert, Path key, Path ca, ClientAuth clientAuth, Duration refresh) {

  /** How often files are checked for changes unless set otherwise. */
  public static final Duration DEFAULT_REFRESH = Duration.ofSeconds(30);

  /** {@code ClientAuth} says whether a server asks for, or insists on, client certificates. */
  public enum ClientAuth {
    /** No client certificate is asked for. */
    NONE,
    /** A client certificate is asked for and verified when presented; callers without one still connect. */
    OPTIONAL,
    /** Mutual TLS: a handshake without a valid client certificate fails. */
    REQUIRE
  }

  /** Checks that the settings are coherent for either side. */
  public TlsSettings {
    Objects.requireNonNull(clientAuth, "clientAuth");
    Objects.requireNonNull(refresh, "refresh");
    if ((cert == null) != (key == null)) {
      throw new IllegalArgumentException("certificate and key must be set together");
    }
    if (refresh.isNegative() || refresh.isZero()) {
      throw new IllegalArgumentException("refresh must be positive, got " + refresh);
    }
  }

  /** {@code server} is a server's settings: its certificate and key, no client certificates asked for. */
  public static TlsSettings server(Path cert, Path key) {
    return new TlsSettings(cert, key, null, ClientAuth.NONE, DEFAULT_REFRESH);
  }

  /** {@code client} is a client's settings trusting {@code ca} (null: the JDK default), no client certificate. */
  public static TlsSettings client(Path ca) {
    return new TlsSettings(null, null, ca, ClientAuth.NONE, DEFAULT_REFRESH);
  }

  /** {@code withClientAuth} returns these settings asking for client certificates verified against {@code ca}. */
  public TlsSettings withClientAuth(ClientAuth auth, Path ca) {
    return new TlsSettings(cert, key, ca, auth, refresh);
  }

  /** {@code withIdentity} returns these settings presenting {@code cert} and {@code key}. */
  public TlsSettings withIdentity(Path cert, Path key) {
    return new TlsSettings(cert, key, ca, clientAuth, refresh);
  }

  /** {@code withRefresh} returns these settings checking the files every {@code refresh}. */
  public TlsSettings withRefresh(Duration refresh) {
    return new TlsSettings(cert, key, ca, clientAuth, refresh);
  }

  /** {@code hasIdentity} says whether a certificate and key are set. */
  public boolean hasIdentity() {
    return cert != null;
  }
}
