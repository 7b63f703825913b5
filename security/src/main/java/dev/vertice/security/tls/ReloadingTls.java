package dev.vertice.security.tls;

import dev.vertice.security.tls.TlsFileException.Role;
import io.grpc.ChannelCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.util.AdvancedTlsX509KeyManager;
import io.grpc.util.AdvancedTlsX509TrustManager;
import io.grpc.util.AdvancedTlsX509TrustManager.Verification;
import io.grpc.util.CertificateUtils;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * {@code ReloadingTls} is the live TLS material of one listener or client: a key manager and a trust
 * manager (grpc-util's {@link AdvancedTlsX509KeyManager} and {@link AdvancedTlsX509TrustManager})
 * loaded from the PEM files of {@link TlsSettings}, whose files are checked every {@code refresh} and
 * loaded again when they changed (modification time, size or inode: an atomic rename or a Kubernetes
 * secret's symlink swap counts). Established connections keep their session; new handshakes use the
 * new files.
 *
 * <p>A replacement that fails to load (unparsable PEM, empty bundle, or a key that does not match
 * the certificate, as when the key was replaced but the certificate not yet) is logged as a WARNING
 * naming the file, counted in {@link #reloadFailures()}, and the previous material stays; the files
 * are tried again at the next check, so a rotation written in two steps lands once both are there.
 * (grpc-util's own file watcher is not used: it silently raises any period under one minute to one
 * minute and would install a key with a certificate it does not match.)
 *
 * <p>The same material serves gRPC ({@link #serverCredentials()}, {@link #channelCredentials()}),
 * Netty (build an {@code SslContext} from {@link #keyManager()} and {@link #trustManager()}) and the
 * JDK's HTTPS server ({@link #sslContext()}). Thread-safe; {@link #close()} stops the checks.
 */
public final class ReloadingTls implements AutoCloseable {

  private static final Logger log = Logger.getLogger(ReloadingTls.class.getName());

  private final TlsSettings settings;
  private final boolean server;
  private final AdvancedTlsX509KeyManager keyManager;
  private final AdvancedTlsX509TrustManager trustManager;
  private final ScheduledExecutorService reloader;
  private final AtomicLong reloads = new AtomicLong();
  private final AtomicLong reloadFailures = new AtomicLong();
  // Touched by the constructor, then only by the single reloader thread.
  private List<Stamp> identityStamps;
  private List<Stamp> trustStamps;
  private List<Stamp> failedIdentityStamps;
  private List<Stamp> failedTrustStamps;

  /** What identifies one version of a file: a changed stamp means the file changed. */
  private record Stamp(FileTime modified, long size, Object fileKey) {}

  private ReloadingTls(TlsSettings settings, boolean server) throws IOException, GeneralSecurityException {
    this.settings = settings;
    this.server = server;
    if (settings.hasIdentity()) {
      keyManager = new AdvancedTlsX509KeyManager();
      identityStamps = stamps(settings.cert(), settings.key());
      loadIdentity();
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
        trustStamps = stamps(settings.ca());
        loadTrust();
      } else {
        trustManager.useSystemDefaultTrustCerts();
      }
    } else {
      trustManager = null;
    }
    this.reloader = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "vertice-tls-reload");
      t.setDaemon(true);
      return t;
    });
    long period = settings.refresh().toMillis();
    reloader.scheduleWithFixedDelay(this::reloadIfChanged, period, period, TimeUnit.MILLISECONDS);
  }

  /**
   * {@code forServer} loads a listener's material.
   *
   * @throws IllegalArgumentException when no certificate is set, or client certificates are asked for
   *     without a CA
   * @throws TlsFileException when a file is missing, unreadable, not a valid certificate, key or
   *     bundle, or the key does not match the certificate
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
   * @throws TlsFileException when a file is missing, unreadable, not a valid certificate, key or
   *     bundle, or the key does not match the certificate
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

  /** {@code reloads} returns how many times changed files were loaded since start (the first load not counted). */
  public long reloads() {
    return reloads.get();
  }

  /** {@code reloadFailures} returns how many times changed files failed to load (the old material stayed). */
  public long reloadFailures() {
    return reloadFailures.get();
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

  /** {@code close} stops checking the files; the material already loaded stays usable. */
  @Override
  public void close() {
    reloader.shutdownNow();
  }

  private void reloadIfChanged() {
    if (keyManager != null) {
      List<Stamp> now = stampsQuietly(settings.cert(), settings.key());
      if (now != null && !now.equals(identityStamps) && !now.equals(failedIdentityStamps)) {
        try {
          loadIdentity();
          identityStamps = now;
          failedIdentityStamps = null;
          reloads.incrementAndGet();
        } catch (TlsFileException | RuntimeException e) {
          failedIdentityStamps = now;
          failed(e);
        }
      }
    }
    if (trustStamps != null) {
      List<Stamp> now = stampsQuietly(settings.ca());
      if (now != null && !now.equals(trustStamps) && !now.equals(failedTrustStamps)) {
        try {
          loadTrust();
          trustStamps = now;
          failedTrustStamps = null;
          reloads.incrementAndGet();
        } catch (TlsFileException | RuntimeException e) {
          failedTrustStamps = now;
          failed(e);
        }
      }
    }
  }

  private void failed(Exception e) {
    reloadFailures.incrementAndGet();
    log.log(Level.WARNING, "TLS files changed but cannot be used; keeping the previous ones: " + e.getMessage());
  }

  private void loadIdentity() throws TlsFileException {
    X509Certificate[] chain = certificates(Role.CERT, settings.cert());
    PrivateKey key;
    try (InputStream in = Files.newInputStream(settings.key())) {
      key = CertificateUtils.getPrivateKey(in);
    } catch (NoSuchFileException e) {
      throw new TlsFileException(Role.KEY, settings.key(), "no such file", e);
    } catch (IOException e) {
      throw new TlsFileException(Role.KEY, settings.key(), "cannot be read (" + e.getClass().getSimpleName() + ")", e);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      // The message of a parse error is not echoed: it could quote bytes of the key.
      throw new TlsFileException(Role.KEY, settings.key(), "is not a PEM private key (PKCS#8, BEGIN PRIVATE KEY)",
          null);
    }
    if (key == null) {
      throw new TlsFileException(Role.KEY, settings.key(), "holds no private key", null);
    }
    if (!matches(key, chain[0])) {
      throw new TlsFileException(Role.KEY, settings.key(), "does not match the certificate in " + settings.cert(),
          null);
    }
    keyManager.updateIdentityCredentials(chain, key);
    log.info("TLS identity loaded from " + settings.cert() + ": " + describe(chain[0]));
  }

  private void loadTrust() throws TlsFileException {
    X509Certificate[] bundle = certificates(Role.CA, settings.ca());
    try {
      trustManager.updateTrustCredentials(bundle);
    } catch (IOException | GeneralSecurityException e) {
      throw new TlsFileException(Role.CA, settings.ca(), "cannot be used as a trust bundle: " + e.getMessage(), e);
    }
    log.info("TLS trust bundle loaded from " + settings.ca() + ": " + bundle.length + " certificate(s), first "
        + describe(bundle[0]));
  }

  private static X509Certificate[] certificates(Role role, Path file) throws TlsFileException {
    X509Certificate[] certs;
    try (InputStream in = Files.newInputStream(file)) {
      certs = CertificateUtils.getX509Certificates(in);
    } catch (NoSuchFileException e) {
      throw new TlsFileException(role, file, "no such file", e);
    } catch (IOException e) {
      throw new TlsFileException(role, file, "cannot be read (" + e.getClass().getSimpleName() + ")", e);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new TlsFileException(role, file, "is not PEM certificates: " + e.getMessage(), e);
    }
    if (certs == null || certs.length == 0) {
      throw new TlsFileException(role, file, "holds no PEM certificate (BEGIN CERTIFICATE)", null);
    }
    return certs;
  }

  /** Whether {@code key} signs what {@code cert}'s public key verifies. */
  private static boolean matches(PrivateKey key, X509Certificate cert) {
    String algorithm = switch (key.getAlgorithm()) {
      case "EC" -> "SHA256withECDSA";
      case "RSA" -> "SHA256withRSA";
      case "Ed25519", "EdDSA" -> "Ed25519";
      default -> null;
    };
    if (algorithm == null) {
      return true; // an algorithm we cannot check; the handshake will tell
    }
    try {
      byte[] probe = "vertice key check".getBytes(StandardCharsets.US_ASCII);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(cert.getPublicKey());
      verifier.update(probe);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static String describe(X509Certificate cert) {
    return "subject " + cert.getSubjectX500Principal().getName() + ", serial " + cert.getSerialNumber().toString(16)
        + ", not after " + cert.getNotAfter().toInstant();
  }

  private List<Stamp> stamps(Path... files) throws TlsFileException {
    List<Stamp> out = new ArrayList<>();
    for (int i = 0; i < files.length; i++) {
      Path f = Objects.requireNonNull(files[i]);
      try {
        BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
        out.add(new Stamp(a.lastModifiedTime(), a.size(), a.fileKey()));
      } catch (NoSuchFileException e) {
        throw new TlsFileException(roleOfSetting(f), f, "no such file", e);
      } catch (IOException e) {
        throw new TlsFileException(roleOfSetting(f), f, "cannot be read (" + e.getClass().getSimpleName() + ")", e);
      }
    }
    return out;
  }

  private Role roleOfSetting(Path f) {
    if (f.equals(settings.key())) {
      return Role.KEY;
    }
    return f.equals(settings.ca()) ? Role.CA : Role.CERT;
  }

  private List<Stamp> stampsQuietly(Path... files) {
    try {
      return stamps(files);
    } catch (TlsFileException e) {
      // Mid-rotation a file may be briefly missing: try again at the next check.
      return null;
    }
  }
}
