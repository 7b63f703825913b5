package dev.vertice.launcher;

import dev.vertice.security.auth.BearerTokenCredentials;
import dev.vertice.security.tls.ReloadingTls;
import dev.vertice.security.tls.TlsFileException;
import dev.vertice.security.tls.TlsSettings;
import io.grpc.CallCredentials;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine;

/**
 * {@code TlsFlags} turns the TLS flags of launcher commands into live material, failing with exit
 * code 2 and a message naming the flag when a file is missing, unreadable or invalid, or the flags
 * contradict each other. Messages name files, never their contents.
 */
final class TlsFlags {

  /** The warning a listener configured without TLS logs at start (every mode but dev). */
  static final String PLAINTEXT_WARNING = "plaintext: anyone on the network can read and steer the registry"
      + " (register, deregister, rollouts); set --tls-cert and --tls-key, and --tls-client-ca for mutual TLS";

  private TlsFlags() {}

  /** The names of one command's server-side flags, for messages. */
  record ServerFlagNames(String cert, String key, String clientCa, String clientAuth) {
    static final ServerFlagNames CONTROL_PLANE =
        new ServerFlagNames("--tls-cert", "--tls-key", "--tls-client-ca", "--tls-client-auth");
  }

  /**
   * {@code server} loads a listener's material from the flags, or returns null when neither a
   * certificate nor a key is set (plaintext).
   *
   * @param clientAuth none, optional or require; blank means require when {@code clientCa} is set,
   *     else none
   * @throws CommandLine.ParameterException naming the flag at fault
   */
  static ReloadingTls server(CommandLine.Model.CommandSpec spec, ServerFlagNames names, String cert, String key,
      String clientCa, String clientAuth, Duration refresh) {
    Path certFile = path(cert);
    Path keyFile = path(key);
    Path caFile = path(clientCa);
    String auth = clientAuth == null ? "" : clientAuth.strip().toLowerCase(Locale.ROOT);
    if (certFile == null && keyFile == null) {
      if (caFile != null) {
        throw bad(spec, names.clientCa(), "needs " + names.cert() + " and " + names.key()
            + " (client certificates are checked only over TLS)");
      }
      if (!auth.isEmpty() && !auth.equals("none")) {
        throw bad(spec, names.clientAuth(), "'" + auth + "' needs " + names.cert() + " and " + names.key());
      }
      return null;
    }
    if (certFile == null) {
      throw bad(spec, names.cert(), "is not set but " + names.key() + " is; set both");
    }
    if (keyFile == null) {
      throw bad(spec, names.key(), "is not set but " + names.cert() + " is; set both");
    }
    TlsSettings.ClientAuth mode = switch (auth) {
      case "" -> caFile == null ? TlsSettings.ClientAuth.NONE : TlsSettings.ClientAuth.REQUIRE;
      case "none" -> TlsSettings.ClientAuth.NONE;
      case "optional" -> TlsSettings.ClientAuth.OPTIONAL;
      case "require" -> TlsSettings.ClientAuth.REQUIRE;
      default -> throw bad(spec, names.clientAuth(), "'" + clientAuth + "' is not none, optional or require");
    };
    if (mode != TlsSettings.ClientAuth.NONE && caFile == null) {
      throw bad(spec, names.clientCa(), "is needed to verify client certificates (" + names.clientAuth() + " "
          + auth + ")");
    }
    if (mode == TlsSettings.ClientAuth.NONE && caFile != null) {
      throw bad(spec, names.clientAuth(), "is none, so " + names.clientCa() + " would be ignored; use optional or"
          + " require, or drop " + names.clientCa());
    }
    checkRefresh(spec, refresh);
    TlsSettings settings = new TlsSettings(certFile, keyFile, caFile, mode, refresh);
    try {
      return ReloadingTls.forServer(settings);
    } catch (TlsFileException e) {
      throw bad(spec, switch (e.role()) {
        case CERT -> names.cert();
        case KEY -> names.key();
        case CA -> names.clientCa();
      }, e.getMessage());
    } catch (IOException | GeneralSecurityException e) {
      throw bad(spec, names.cert(), e.getMessage());
    }
  }

  /**
   * {@code client} returns the channel credentials of a control-plane client: TLS when {@code ca}
   * is set (with a client certificate when {@code cert} and {@code key} are), plaintext otherwise.
   * The files are read once (a CLI call is short-lived).
   *
   * @throws CommandLine.ParameterException naming {@code --ca}, {@code --cert} or {@code --key}
   */
  static ChannelCredentials client(CommandLine.Model.CommandSpec spec, String ca, String cert, String key) {
    Path caFile = path(ca);
    Path certFile = path(cert);
    Path keyFile = path(key);
    if ((certFile == null) != (keyFile == null)) {
      throw bad(spec, certFile == null ? "--cert" : "--key", "is not set but "
          + (certFile == null ? "--key" : "--cert") + " is; set both");
    }
    if (caFile == null) {
      if (certFile != null) {
        throw bad(spec, "--ca", "is needed with --cert and --key (a client certificate is sent over TLS only)");
      }
      return InsecureChannelCredentials.create();
    }
    TlsSettings settings = new TlsSettings(certFile, keyFile, caFile, TlsSettings.ClientAuth.NONE,
        TlsSettings.DEFAULT_REFRESH);
    // Read once: a CLI call is short, so no reload thread is left behind.
    try (ReloadingTls tls = ReloadingTls.forClient(settings)) {
      return tls.channelCredentials();
    } catch (TlsFileException e) {
      throw bad(spec, switch (e.role()) {
        case CERT -> "--cert";
        case KEY -> "--key";
        case CA -> "--ca";
      }, e.getMessage());
    } catch (IOException | GeneralSecurityException e) {
      throw bad(spec, "--ca", e.getMessage());
    }
  }

  /**
   * {@code token} returns call credentials sending the bearer token of {@code tokenFile}, or null
   * when it is not set.
   *
   * @throws CommandLine.ParameterException naming {@code --token-file} when the file cannot be read
   *     or is empty, or {@code ca} is not set (a token is sent over TLS only)
   */
  static CallCredentials token(CommandLine.Model.CommandSpec spec, String tokenFile, String ca) {
    Path file = path(tokenFile);
    if (file == null) {
      return null;
    }
    if (path(ca) == null) {
      throw bad(spec, "--token-file", "needs --ca: gRPC sends tokens over TLS only");
    }
    try {
      if (Files.readString(file).isBlank()) {
        throw bad(spec, "--token-file", file + " is empty");
      }
    } catch (IOException e) {
      throw bad(spec, "--token-file", "cannot read " + file + " (" + e.getClass().getSimpleName() + ")");
    }
    return BearerTokenCredentials.fromFile(file);
  }

  static void checkRefresh(CommandLine.Model.CommandSpec spec, Duration refresh) {
    if (refresh.isZero() || refresh.isNegative()) {
      throw bad(spec, "--tls-refresh", "must be positive");
    }
  }

  private static Path path(String value) {
    return value == null || value.isBlank() ? null : Path.of(value.strip());
  }

  private static CommandLine.ParameterException bad(CommandLine.Model.CommandSpec spec, String flag, String problem) {
    return new CommandLine.ParameterException(spec.commandLine(), "invalid " + flag + ": " + problem);
  }
}
