package dev.vertice.launcher;

import dev.vertice.security.tls.ReloadingTls;
import dev.vertice.security.tls.TlsFlagRules;
import dev.vertice.security.tls.TlsFlagRules.ClientFlags;
import dev.vertice.security.tls.TlsFlagRules.ListenerFlags;
import dev.vertice.security.tls.TlsSettings;
import io.grpc.CallCredentials;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import java.time.Duration;
import picocli.CommandLine;

/**
 * {@code TlsFlags} adapts {@link TlsFlagRules}, which holds the rules, to picocli: a bad TLS flag
 * becomes a {@link CommandLine.ParameterException} (exit code 2) carrying the rules' message, which
 * names the flag and the file, never its contents.
 */
final class TlsFlags {

  /** The warning a listener configured without TLS logs at start (every mode but dev). */
  static final String PLAINTEXT_WARNING = "plaintext: anyone on the network can read and steer the registry"
      + " (register, deregister, rollouts); set --tls-cert and --tls-key, and --tls-client-ca for mutual TLS";

  private TlsFlags() {}

  /**
   * {@code server} loads a listener's material from the {@code --tls-*} flags, or returns null when
   * neither a certificate nor a key is set (plaintext).
   *
   * @throws CommandLine.ParameterException naming the flag at fault
   */
  static ReloadingTls server(CommandLine.Model.CommandSpec spec, String cert, String key, String clientCa,
      String clientAuth, Duration refresh) {
    try {
      TlsSettings settings = TlsFlagRules.listener(ListenerFlags.TLS, cert, key, clientCa, clientAuth, refresh);
      return settings == null ? null : TlsFlagRules.loadServer(ListenerFlags.TLS, settings);
    } catch (TlsFlagRules.InvalidFlagException e) {
      throw bad(spec, e);
    }
  }

  /**
   * {@code client} returns the channel credentials of a CLI call to the control plane ({@code --ca},
   * {@code --cert}, {@code --key}): TLS when {@code ca} is set, plaintext otherwise. The files are
   * read once (a CLI call is short-lived, so no reload thread is left behind).
   *
   * @throws CommandLine.ParameterException naming the flag at fault
   */
  static ChannelCredentials client(CommandLine.Model.CommandSpec spec, String ca, String cert, String key) {
    try {
      TlsSettings settings = TlsFlagRules.client(ClientFlags.CLI, ca, cert, key, TlsSettings.DEFAULT_REFRESH);
      if (settings == null) {
        return InsecureChannelCredentials.create();
      }
      try (ReloadingTls tls = TlsFlagRules.loadClient(ClientFlags.CLI, settings)) {
        return tls.channelCredentials();
      }
    } catch (TlsFlagRules.InvalidFlagException e) {
      throw bad(spec, e);
    }
  }

  /**
   * {@code token} returns call credentials sending the bearer token of {@code --token-file}, or null
   * when it is not set.
   *
   * @throws CommandLine.ParameterException naming {@code --token-file} when the file cannot be read
   *     or is empty, or the call is plaintext (a token is sent over TLS only)
   */
  static CallCredentials token(CommandLine.Model.CommandSpec spec, String tokenFile, String ca, String cert,
      String key) {
    try {
      TlsSettings settings = TlsFlagRules.client(ClientFlags.CLI, ca, cert, key, TlsSettings.DEFAULT_REFRESH);
      return TlsFlagRules.token(ClientFlags.CLI, tokenFile, settings);
    } catch (TlsFlagRules.InvalidFlagException e) {
      throw bad(spec, e);
    }
  }

  private static CommandLine.ParameterException bad(CommandLine.Model.CommandSpec spec,
      TlsFlagRules.InvalidFlagException e) {
    return new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
  }
}
