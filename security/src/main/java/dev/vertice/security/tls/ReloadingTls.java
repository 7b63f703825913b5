package dev.vertice.security.tls;

import io.grpc.ChannelCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.util.AdvancedTlsX509KeyManager;
import io.grpc.util.AdvancedTlsX509TrustManager;
import io.grpc.util.AdvancedTlsX509TrustManager.Verification;
import java.io.Closeable;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * {@code ReloadingTls} is the live TLS material of one listener or client: a key manager and a trust
 * manager loaded from the PEM files of {@link TlsSettings} and re-read every {@code refresh} when the
 * files changed (grpc-util's {@link AdvancedTlsX509KeyManager} and {@link
 * AdvancedTlsX509TrustManager}). Established connections keep their session; new handshakes use the
 * new files. A file that fails to load is logged by grpc-util and the previous material stays.
 *
 * <p>The same material serves gRPC ({@link #serverCredentials()}, {@link #channelCredentials()}),
 * Netty (build an {@code SslContext} from {@link #keyManager()} and {@link #trustManager()}) and the
 * JDK's HTTPS server ({@link #sslContext()}). Thread-safe; {@link #close()} stops the reloads.
 */
public final class ReloadingTls implements AutoCloseable {

  private final TlsSettings settings;
  private final boolean server;
  private final AdvancedTlsX509KeyManager keyManager;
  private final AdvancedTlsX509TrustManager trustManager;
  private final ScheduledExecutorService reloader;
  private final List<Closeable> reloads = new ArrayList<>();

  private ReloadingTls(TlsSettings settings, boolean server) throws IOException, GeneralSecurityException {
    this.settings = settings;
    this.server = server;
    this.reloader = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "vertice-tls-reload");
      t.setDaemon(true);
      return t;
    });
    long period = settings.refresh().toMillis();
    try {
      if (settings.hasIdentity()) {
        keyManager = new AdvancedTlsX509KeyManager();
        reloads.add(keyManager.updateIdentityCredentials(settings.cert().toFile(), settings.key().toFile(), period,
            TimeUnit.MILLISECONDS, reloader));
      } else {
        keyManager = null;
      }
      boolean verifiesPeers = !server || settings.clientAuth() != TlsSettings.ClientAuth.NONE;
      if (verifiesPeers) {
        // A server checks client certificates against the CA only: clients have no host name to check.
        trustManager = AdvancedTlsX509TrustManager.newBuilder()
            .setVerification(server ? Verification.CERTIFICATE_ONLY_VERIFICATION
                : Verification.CERTIFICATE_AND_HOST_NAME_VERIFICATION)
            .build();
        if (settings.ca() != null) {
          reloads.add(trustManager.updateTrustCredentials(settings.ca().toFile(), period, TimeUnit.MILLISECONDS,
              reloader));
        } else {
          trustManager.useSystemDefaultTrustCerts();
        }
      } else {
        trustManager = null;
      }
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      close();
      throw e;
    }
  }

  /**
   * {@code forServer} loads a listener's material.
   *
   * @throws IllegalArgumentException when no certificate is set, or client certificates are asked for
   *     without a CA
   * @throws IOException when a file cannot be read
   * @throws GeneralSecurityException when a file is not a valid certificate, key or bundle
   */
  public static ReloadingTls forServer(TlsSettings settings) throws IOException, GeneralSecurityException {
    if (!settings.hasIdentity()) {
      throw new IllegalArgumentException("a TLS listener needs a certificate and a key");
    }
    if (settings.clientAuth() != TlsSettings.ClientAuth.NONE && settings.ca() == null) {
      throw new IllegalArgumentException("client certificates (" + settings.clientAuth() + ") need a CA to verify them");
    }
    return new ReloadingTls(settings, true);
  }

  /**
   * {@code forClient} loads a client's material: the CA it trusts and, for mutual TLS, its certificate.
   *
   * @throws IOException when a file cannot be read
   * @throws GeneralSecurityException when a file is not a valid certificate, key or bundle
   */
  public static ReloadingTls forClient(TlsSettings settings) throws IOException, GeneralSecurityException {
    return new ReloadingTls(settings, false);
  }

  /** {@code settings} returns the files this material comes from. */
  public TlsSettings settings() {
    return settings;
  }

  /** {@code keyManager} returns the reloading key manager, or null when no certificate is set. */
  public X509ExtendedKeyManager keyManager() {
    return keyManager;
  }

  /**
   * {@code trustManager} returns the reloading trust manager, or null on a server that asks for no
   * client certificate.
   */
  public X509ExtendedTrustManager trustManager() {
    return trustManager;
  }

  /** {@code serverCredentials} returns gRPC server credentials backed by this material. */
  public ServerCredentials serverCredentials() {
    if (!server) {
      throw new IllegalStateException("client-side material has no server credentials");
    }
    TlsServerCredentials.Builder b = TlsServerCredentials.newBuilder().keyManager(keyManager);
    if (trustManager != null) {
      b.trustManager(trustManager).clientAuth(settings.clientAuth() == TlsSettings.ClientAuth.REQUIRE
          ? TlsServerCredentials.ClientAuth.REQUIRE : TlsServerCredentials.ClientAuth.OPTIONAL);
    }
    return b.build();
  }

  /** {@code channelCredentials} returns gRPC channel credentials backed by this material. */
  public ChannelCredentials channelCredentials() {
    if (server) {
      throw new IllegalStateException("server-side material has no channel credentials");
    }
    TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder().trustManager(trustManager);
    if (keyManager != null) {
      b.keyManager(keyManager);
    }
    return b.build();
  }

  /**
   * {@code sslContext} returns a JDK {@link SSLContext} backed by this material (for {@code
   * HttpsServer} or {@code HttpClient}); it follows reloads too.
   */
  public SSLContext sslContext() {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keyManager == null ? null : new KeyManager[] {keyManager},
          trustManager == null ? null : new TrustManager[] {trustManager}, new SecureRandom());
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has no TLS context", e);
    }
  }

  /** {@code close} stops re-reading the files; the material already loaded stays usable. */
  @Override
  public void close() {
    for (Closeable c : reloads) {
      try {
        c.close();
      } catch (IOException e) {
        // Closing a scheduled reload does no I/O.
      }
    }
    reloader.shutdownNow();
  }
}
