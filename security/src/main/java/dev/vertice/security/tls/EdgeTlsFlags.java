package dev.vertice.security.tls;

import dev.vertice.security.auth.BearerTokenCredentials;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Locale;

/**
 * {@code EdgeTlsFlags} turns the TLS flags that the gateway and the sidecar share into settings and
 * loaded material, checking them first so that a bad one is reported by its flag name before
 * anything listens:
 *
 * <ul>
 *   <li>listeners: {@code --tls-cert}, {@code --tls-key}, {@code --tls-client-ca}, {@code
 *       --tls-client-auth} ({@code none}, {@code optional}, {@code require}; default {@code require}
 *       with a client CA, else {@code none}), {@code --tls-refresh};
 *   <li>the control-plane connection: {@code --control-plane-ca}, {@code --control-plane-cert},
 *       {@code --control-plane-key}, {@code --control-plane-token-file}.
 * </ul>
 *
 * Blank values mean "not set". Errors name files, never their contents.
 */
public final class EdgeTlsFlags {

  /** {@code InvalidFlagException} says which flag is wrong and why. */
  public static final class InvalidFlagException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** The flag, e.g. {@code --tls-cert}. */
    private final String flag;
    /** What is wrong with it. */
    private final String problem;

    InvalidFlagException(String flag, String problem) {
      super("invalid " + flag + ": " + problem);
      this.flag = flag;
      this.problem = problem;
    }

    /** {@code flag} returns the flag's name, e.g. {@code --tls-cert}. */
    public String flag() {
      return flag;
    }

    /** {@code problem} returns what is wrong, without the flag's name. */
    public String problem() {
      return problem;
    }
  }

  private EdgeTlsFlags() {}

  /**
   * {@code listener} checks the listener flags and returns their settings, or null when neither
   * certificate nor key is set (plaintext).
   *
   * @throws InvalidFlagException naming the first bad flag
   */
  public static TlsSettings listener(String cert, String key, String clientCa, String clientAuth, Duration refresh) {
    Path c = file("--tls-cert", cert);
    Path k = file("--tls-key", key);
    Path ca = file("--tls-client-ca", clientCa);
    checkRefresh(refresh);
    if (c == null && k != null) {
      throw new InvalidFlagException("--tls-cert", "is required with --tls-key");
    }
    if (k == null && c != null) {
      throw new InvalidFlagException("--tls-key", "is required with --tls-cert");
    }
    TlsSettings.ClientAuth auth = clientAuth(clientAuth, ca != null);
    if (c == null) {
      if (ca != null) {
        throw new InvalidFlagException("--tls-client-ca", "needs --tls-cert and --tls-key (client certificates are"
            + " a TLS feature)");
      }
      if (auth != TlsSettings.ClientAuth.NONE) {
        throw new InvalidFlagException("--tls-client-auth", "needs --tls-cert, --tls-key and --tls-client-ca");
      }
      return null;
    }
    if (auth != TlsSettings.ClientAuth.NONE && ca == null) {
      throw new InvalidFlagException("--tls-client-auth", auth.name().toLowerCase(Locale.ROOT)
          + " needs --tls-client-ca, the CA that client certificates are verified against");
    }
    if (auth == TlsSettings.ClientAuth.NONE && ca != null) {
      throw new InvalidFlagException("--tls-client-ca", "is unused with --tls-client-auth none");
    }
    return new TlsSettings(c, k, ca, auth, refresh);
  }

  /**
   * {@code controlPlane} checks the control-plane connection flags and returns their settings, or
   * null when neither a CA nor a client certificate is set (plaintext).
   *
   * @throws InvalidFlagException naming the first bad flag
   */
  public static TlsSettings controlPlane(String ca, String cert, String key, Duration refresh) {
    Path a = file("--control-plane-ca", ca);
    Path c = file("--control-plane-cert", cert);
    Path k = file("--control-plane-key", key);
    checkRefresh(refresh);
    if (c == null && k != null) {
      throw new InvalidFlagException("--control-plane-cert", "is required with --control-plane-key");
    }
    if (k == null && c != null) {
      throw new InvalidFlagException("--control-plane-key", "is required with --control-plane-cert");
    }
    if (a == null && c == null) {
      return null;
    }
    return new TlsSettings(c, k, a, TlsSettings.ClientAuth.NONE, refresh);
  }

  /**
   * {@code token} checks {@code --control-plane-token-file} and returns its call credentials, or
   * null when it is not set. A bearer token is only ever sent over TLS.
   *
   * @param controlPlaneTls the control-plane connection's settings, null when it is plaintext
   * @throws InvalidFlagException when the file is missing or empty, or the connection is plaintext
   */
  public static BearerTokenCredentials token(String file, TlsSettings controlPlaneTls) {
    Path f = file("--control-plane-token-file", file);
    if (f == null) {
      return null;
    }
    if (controlPlaneTls == null) {
      throw new InvalidFlagException("--control-plane-token-file", "a bearer token is only sent over TLS: set"
          + " --control-plane-ca (and, for mutual TLS, --control-plane-cert and --control-plane-key)");
    }
    try {
      if (Files.readString(f).isBlank()) {
        throw new InvalidFlagException("--control-plane-token-file", f + " is empty");
      }
    } catch (IOException e) {
      throw new InvalidFlagException("--control-plane-token-file", "cannot read " + f + ": "
          + e.getClass().getSimpleName());
    }
    return BearerTokenCredentials.fromFile(f);
  }

  /**
   * {@code loadServer} loads a listener's material.
   *
   * @throws InvalidFlagException naming the flag of a file that cannot be used (unparsable, or a
   *     key not matching its certificate)
   */
  public static ReloadingTls loadServer(TlsSettings settings) {
    try {
      return ReloadingTls.forServer(settings);
    } catch (TlsFileException e) {
      throw new InvalidFlagException(switch (e.role()) {
        case CERT -> "--tls-cert";
        case KEY -> "--tls-key";
        case CA -> "--tls-client-ca";
      }, e.getMessage());
    } catch (IOException | GeneralSecurityException e) {
      throw new InvalidFlagException("--tls-cert", e.getClass().getSimpleName());
    }
  }

  /**
   * {@code loadClient} loads the control-plane connection's material.
   *
   * @throws InvalidFlagException naming the flag of a file that cannot be used
   */
  public static ReloadingTls loadClient(TlsSettings settings) {
    try {
      return ReloadingTls.forClient(settings);
    } catch (TlsFileException e) {
      throw new InvalidFlagException(switch (e.role()) {
        case CERT -> "--control-plane-cert";
        case KEY -> "--control-plane-key";
        case CA -> "--control-plane-ca";
      }, e.getMessage());
    } catch (IOException | GeneralSecurityException e) {
      throw new InvalidFlagException("--control-plane-ca", e.getClass().getSimpleName());
    }
  }

  private static TlsSettings.ClientAuth clientAuth(String value, boolean hasCa) {
    if (value == null || value.isBlank()) {
      return hasCa ? TlsSettings.ClientAuth.REQUIRE : TlsSettings.ClientAuth.NONE;
    }
    try {
      return TlsSettings.ClientAuth.valueOf(value.strip().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new InvalidFlagException("--tls-client-auth", "'" + value + "' is not none, optional or require");
    }
  }

  private static void checkRefresh(Duration refresh) {
    if (refresh == null || refresh.isNegative() || refresh.isZero()) {
      throw new InvalidFlagException("--tls-refresh", refresh + " is not positive");
    }
  }

  private static Path file(String flag, String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    Path p = Path.of(value.strip());
    if (!Files.exists(p)) {
      throw new InvalidFlagException(flag, p + " does not exist");
    }
    if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
      throw new InvalidFlagException(flag, p + " is not a readable file");
    }
    return p;
  }
}
