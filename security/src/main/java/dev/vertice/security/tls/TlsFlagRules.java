package dev.vertice.security.tls;

import dev.vertice.security.auth.BearerTokenCredentials;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Locale;

/**
 * {@code TlsFlagRules} holds the one set of rules by which every command's TLS flags are checked
 * and turned into settings and loaded material, so that a bad flag is reported by its name before
 * anything listens or connects. It knows no command-line framework: a bad flag is an {@link
 * InvalidFlagException}, which each command maps to its own usage error (exit code 2).
 *
 * <p>Each command names its flags with a {@link ListenerFlags} (the TLS listener: certificate,
 * key, client CA, client-auth mode, refresh) and a {@link ClientFlags} (the connection to the
 * control plane: CA, client certificate and key, bearer-token file), so messages name the flags the
 * user actually typed. The rules:
 *
 * <ul>
 *   <li>a file flag names an existing, readable regular file; blank means "not set";
 *   <li>a certificate and its key are set together or not at all;
 *   <li>client authentication ({@code none}, {@code optional}, {@code require}; default {@code
 *       require} with a client CA, else {@code none}) needs TLS, and anything but {@code none}
 *       needs a client CA, which {@code none} would ignore;
 *   <li>the refresh period is positive;
 *   <li>a bearer token is sent over TLS only, and its file is not empty;
 *   <li>a file that cannot be parsed, or a key not matching its certificate, names its flag.
 * </ul>
 *
 * Errors name files, never their contents.
 */
public final class TlsFlagRules {

  /**
   * {@code ListenerFlags} names the flags of a TLS listener, for messages.
   *
   * @param cert the certificate flag, e.g. {@code --tls-cert}
   * @param key the private-key flag
   * @param clientCa the flag of the CA that client certificates are verified against
   * @param clientAuth the client-authentication mode flag
   * @param refresh the reload-period flag
   */
  public record ListenerFlags(String cert, String key, String clientCa, String clientAuth, String refresh) {
    /** The listener flags of the control plane, the gateway and the sidecar. */
    public static final ListenerFlags TLS =
        new ListenerFlags("--tls-cert", "--tls-key", "--tls-client-ca", "--tls-client-auth", "--tls-refresh");
  }

  /**
   * {@code ClientFlags} names the flags of a connection to the control plane, for messages, and
   * says whether TLS may trust the JDK's default store when no CA is given.
   *
   * @param ca the flag of the CA the server's certificate is verified against
   * @param cert the client-certificate flag
   * @param key the client-key flag
   * @param tokenFile the bearer-token file flag
   * @param defaultTrust true: a client certificate without {@code ca} means TLS trusting the JDK's
   *     default store; false: TLS is on only with {@code ca}, so a client certificate needs it
   */
  public record ClientFlags(String ca, String cert, String key, String tokenFile, boolean defaultTrust) {
    /** The gateway's and the sidecar's connection to the control plane. */
    public static final ClientFlags CONTROL_PLANE = new ClientFlags("--control-plane-ca", "--control-plane-cert",
        "--control-plane-key", "--control-plane-token-file", true);
    /** The connection of a short CLI call (canary). */
    public static final ClientFlags CLI = new ClientFlags("--ca", "--cert", "--key", "--token-file", false);
  }

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

  private TlsFlagRules() {}

  /**
   * {@code listener} checks the listener flags and returns their settings, or null when neither
   * certificate nor key is set (plaintext).
   *
   * @param clientAuth none, optional or require; blank means require when {@code clientCa} is set,
   *     else none
   * @throws InvalidFlagException naming the first bad flag
   */
  public static TlsSettings listener(ListenerFlags names, String cert, String key, String clientCa,
      String clientAuth, Duration refresh) {
    Path c = file(names.cert(), cert);
    Path k = file(names.key(), key);
    Path ca = file(names.clientCa(), clientCa);
    checkRefresh(names.refresh(), refresh);
    checkPair(names.cert(), c, names.key(), k);
    TlsSettings.ClientAuth auth = clientAuth(names.clientAuth(), clientAuth, ca != null);
    if (c == null) {
      if (ca != null) {
        throw new InvalidFlagException(names.clientCa(), "needs " + names.cert() + " and " + names.key()
            + " (client certificates are checked only over TLS)");
      }
      if (auth != TlsSettings.ClientAuth.NONE) {
        throw new InvalidFlagException(names.clientAuth(), "needs " + names.cert() + ", " + names.key() + " and "
            + names.clientCa());
      }
      return null;
    }
    if (auth != TlsSettings.ClientAuth.NONE && ca == null) {
      throw new InvalidFlagException(names.clientAuth(), auth.name().toLowerCase(Locale.ROOT) + " needs "
          + names.clientCa() + ", the CA that client certificates are verified against");
    }
    if (auth == TlsSettings.ClientAuth.NONE && ca != null) {
      throw new InvalidFlagException(names.clientAuth(), "is none, so " + names.clientCa() + " would be ignored;"
          + " use optional or require, or drop " + names.clientCa());
    }
    return new TlsSettings(c, k, ca, auth, refresh);
  }

  /**
   * {@code client} checks the flags of a connection to the control plane and returns their
   * settings, or null when the connection is plaintext (no CA set and, with {@link
   * ClientFlags#defaultTrust()}, no client certificate either).
   *
   * @param refresh how often the files are reloaded; must be positive (commands check their refresh
   *     flag with {@link #listener})
   * @throws InvalidFlagException naming the first bad flag
   */
  public static TlsSettings client(ClientFlags names, String ca, String cert, String key, Duration refresh) {
    Path a = file(names.ca(), ca);
    Path c = file(names.cert(), cert);
    Path k = file(names.key(), key);
    checkPair(names.cert(), c, names.key(), k);
    if (a == null && c != null && !names.defaultTrust()) {
      throw new InvalidFlagException(names.ca(), "is needed with " + names.cert() + " and " + names.key()
          + " (a client certificate is sent over TLS only)");
    }
    if (a == null && c == null) {
      return null;
    }
    return new TlsSettings(c, k, a, TlsSettings.ClientAuth.NONE, refresh);
  }

  /**
   * {@code token} checks the bearer-token file flag and returns its call credentials, or null when
   * it is not set. A bearer token is only ever sent over TLS.
   *
   * @param clientTls the connection's settings from {@link #client}, null when it is plaintext
   * @throws InvalidFlagException when the file is missing, unreadable or empty, or the connection is
   *     plaintext
   */
  public static BearerTokenCredentials token(ClientFlags names, String file, TlsSettings clientTls) {
    Path f = file(names.tokenFile(), file);
    if (f == null) {
      return null;
    }
    if (clientTls == null) {
      throw new InvalidFlagException(names.tokenFile(), "a bearer token is only sent over TLS: set " + names.ca()
          + " (and, for mutual TLS, " + names.cert() + " and " + names.key() + ")");
    }
    try {
      if (Files.readString(f).isBlank()) {
        throw new InvalidFlagException(names.tokenFile(), f + " is empty");
      }
    } catch (IOException e) {
      throw new InvalidFlagException(names.tokenFile(), "cannot read " + f + ": " + e.getClass().getSimpleName());
    }
    return BearerTokenCredentials.fromFile(f);
  }

  /**
   * {@code loadServer} loads a listener's material.
   *
   * @throws InvalidFlagException naming the flag of a file that cannot be used (unparsable, or a
   *     key not matching its certificate)
   */
  public static ReloadingTls loadServer(ListenerFlags names, TlsSettings settings) {
    try {
      return ReloadingTls.forServer(settings);
    } catch (TlsFileException e) {
      throw new InvalidFlagException(switch (e.role()) {
        case CERT -> names.cert();
        case KEY -> names.key();
        case CA -> names.clientCa();
      }, e.getMessage());
    } catch (IOException | GeneralSecurityException e) {
      throw new InvalidFlagException(names.cert(), e.getClass().getSimpleName());
    }
  }

  /**
   * {@code loadClient} loads a connection's material.
   *
   * @throws InvalidFlagException naming the flag of a file that cannot be used
   */
  public static ReloadingTls loadClient(ClientFlags names, TlsSettings settings) {
    try {
      return ReloadingTls.forClient(settings);
    } catch (TlsFileException e) {
      throw new InvalidFlagException(switch (e.role()) {
        case CERT -> names.cert();
        case KEY -> names.key();
        case CA -> names.ca();
      }, e.getMessage());
    } catch (IOException | GeneralSecurityException e) {
      throw new InvalidFlagException(names.ca(), e.getClass().getSimpleName());
    }
  }

  /**
   * {@code Material} is the loaded TLS material of a command that both listens and connects to the
   * control plane; any part may be null (plaintext, no token). Closing it stops the reloads.
   *
   * @param listeners the listeners' material, or null when they are plaintext
   * @param controlPlane the control-plane connection's material, or null when it is plaintext
   * @param token the bearer token sent to the control plane, or null
   */
  public record Material(ReloadingTls listeners, ReloadingTls controlPlane, BearerTokenCredentials token)
      implements AutoCloseable {
    @Override
    public void close() {
      if (listeners != null) {
        listeners.close();
      }
      if (controlPlane != null) {
        controlPlane.close();
      }
    }
  }

  /**
   * {@code load} checks a command's listener flags ({@link #listener}) and control-plane flags
   * ({@link #client}, {@link #token}), all before loading anything, then loads the material. On a
   * bad flag nothing is left open.
   *
   * @param refresh how often both sides' files are reloaded
   * @throws InvalidFlagException naming the first bad flag
   */
  public static Material load(ListenerFlags listenerNames, String cert, String key, String clientCa,
      String clientAuth, ClientFlags clientNames, String ca, String clientCert, String clientKey, String tokenFile,
      Duration refresh) {
    TlsSettings listen = listener(listenerNames, cert, key, clientCa, clientAuth, refresh);
    TlsSettings connect = client(clientNames, ca, clientCert, clientKey, refresh);
    BearerTokenCredentials token = token(clientNames, tokenFile, connect);
    ReloadingTls listeners = listen == null ? null : loadServer(listenerNames, listen);
    try {
      return new Material(listeners, connect == null ? null : loadClient(clientNames, connect), token);
    } catch (RuntimeException e) {
      if (listeners != null) {
        listeners.close();
      }
      throw e;
    }
  }

  private static void checkPair(String certFlag, Path cert, String keyFlag, Path key) {
    if (cert == null && key != null) {
      throw new InvalidFlagException(certFlag, "is not set but " + keyFlag + " is; set both");
    }
    if (key == null && cert != null) {
      throw new InvalidFlagException(keyFlag, "is not set but " + certFlag + " is; set both");
    }
  }

  private static TlsSettings.ClientAuth clientAuth(String flag, String value, boolean hasCa) {
    if (value == null || value.isBlank()) {
      return hasCa ? TlsSettings.ClientAuth.REQUIRE : TlsSettings.ClientAuth.NONE;
    }
    return switch (value.strip().toLowerCase(Locale.ROOT)) {
      case "none" -> TlsSettings.ClientAuth.NONE;
      case "optional" -> TlsSettings.ClientAuth.OPTIONAL;
      case "require" -> TlsSettings.ClientAuth.REQUIRE;
      default -> throw new InvalidFlagException(flag, "'" + value + "' is not none, optional or require");
    };
  }

  private static void checkRefresh(String flag, Duration refresh) {
    if (refresh == null || refresh.isNegative() || refresh.isZero()) {
      throw new InvalidFlagException(flag, refresh + " is not positive");
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
