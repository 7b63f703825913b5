package dev.vertice.security.tls;

import io.grpc.ChannelCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.util.AdvancedTlsX509KeyManager;
import io.grpc.util.AdvancedTlsX509TrustManager;
import io.grpc.util.AdvancedTlsX509TrustManager.Verification;
import io.grpc.util.CertificateUtils;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * {@code ReloadingTls} is the live TLS material of one listener or client: a key manager and a trust
 * manager loaded from the PEM files of {@link TlsSettings} and re-read every {@code refresh} when the
 * files changed (grpc-util's {@link AdvancedTlsX509KeyManager} and {@link
 * AdvancedTlsX509TrustManager}, fed by our own polling: grpc-util's would not check more often than
 * once a minute). Established connections keep their session; new handshakes use the new files. A
 * file that fails to load, or a key that does not match its certificate (files replaced one at a
 * time), is logged and the previous material stays until the next check.
 *
 * <p>The same material serves gRPC ({@link #serverCredentials()}, {@link #channelCredentials()}),
 * Netty (build an {@code SslContext} from {@link #keyManager()} and {@link #trustManager()}) and the
 * JDK's HTTPS server ({@link #sslContext()}). Thread-safe; {@link #close()} stops the reloads.
 */
public final class ReloadingTls implements AutoCloseable {

  private static final Logger log = Logger.getLogger(ReloadingTls.class.getName());

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
        // grpc-util's own scheduled reload raises any period below one minute to one minute: poll
        // here so that the refresh setting means what it says.
        FileWatch identity = new FileWatch(List.of(settings.cert(), settings.key()));
        loadIdentity();
        reloads.add(schedule(identity, this::loadIdentity, "certificate " + settings.cert() + " and key "
            + settings.key(), period));
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
          FileWatch ca = new FileWatch(List.of(settings.ca()));
          trustManager.updateTrustCredentials(settings.ca().toFile());
          reloads.add(schedule(ca, () -> trustManager.updateTrustCredentials(settings.ca().toFile()),
              "CA bundle " + settings.ca(), period));
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

  /** A load of files that may fail; the previous material stays when it does. */
  private interface Load {
    void run() throws IOException, GeneralSecurityException;
  }

  /** The modification times (and sizes) of some files, to tell when they changed. */
  private static final class FileWatch {
    private final List<Path> files;
    private List<String> seen;

    FileWatch(List<Path> files) {
      this.files = files;
      this.seen = stamp();
    }

    private List<String> stamp() {
      List<String> out = new ArrayList<>();
      for (Path f : files) {
        try {
          out.add(Files.getLastModifiedTime(f) + "/" + Files.size(f));
        } catch (IOException e) {
          out.add("missing");
        }
      }
      return out;
    }
  }

  private Closeable schedule(FileWatch watch, Load load, String what, long periodMillis) {
    ScheduledFuture<?> task = reloader.scheduleWithFixedDelay(() -> {
      List<String> now = watch.stamp();
      if (now.equals(watch.seen)) {
        return;
      }
      try {
        load.run();
        watch.seen = now;
        log.info(() -> "reloaded TLS " + what);
      } catch (IOException | GeneralSecurityException | RuntimeException e) {
        // Retried at the next check: files are often replaced one at a time.
        log.warning(() -> "cannot reload TLS " + what + " (keeping the previous ones): "
            + e.getClass().getSimpleName() + ": " + e.getMessage());
      }
    }, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
    return () -> task.cancel(false);
  }

  /**
   * Loads the certificate chain and key, checking that the key belongs to the certificate: when
   * the files are replaced one at a time, the half-replaced pair is not installed.
   */
  private void loadIdentity() throws IOException, GeneralSecurityException {
    X509Certificate[] chain;
    PrivateKey key;
    try (InputStream in = Files.newInputStream(settings.cert())) {
      chain = CertificateUtils.getX509Certificates(in);
    }
    try (InputStream in = Files.newInputStream(settings.key())) {
      key = CertificateUtils.getPrivateKey(in);
    }
    if (chain.length == 0) {
      throw new GeneralSecurityException("no certificate in " + settings.cert());
    }
    String algorithm = switch (key.getAlgorithm()) {
      case "EC" -> "SHA256withECDSA";
      case "RSA" -> "SHA256withRSA";
      case "Ed25519", "EdDSA" -> "Ed25519";
      default -> null;
    };
    if (algorithm != null) {
      byte[] probe = new byte[32];
      new SecureRandom().nextBytes(probe);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(chain[0].getPublicKey());
      verifier.update(probe);
      if (!verifier.verify(signature)) {
        throw new GeneralSecurityException("the key " + settings.key() + " does not belong to the certificate "
            + settings.cert());
      }
    }
    keyManager.updateIdentityCredentials(chain, key);
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
