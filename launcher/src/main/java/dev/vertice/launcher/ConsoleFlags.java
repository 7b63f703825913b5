package dev.vertice.launcher;

import dev.vertice.console.Console;
import dev.vertice.console.ConsoleConfig;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.observability.AdminServer;
import dev.vertice.security.auth.AuthInterceptor;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * {@code ConsoleFlags} are the web console's options of {@code control-plane} and {@code dev}: whether
 * the admin port serves it under {@code /ui/}, and its limits. Mapped to {@link ConsoleConfig} here.
 */
final class ConsoleFlags {

  @Option(names = "--console", defaultValue = "${env:VERTICE_CONSOLE:-on}",
      description = "Web console under /ui/ on the admin port: on (admins act on rollouts; everyone when --auth"
          + " is off), read-only (no actions) or off (VERTICE_CONSOLE). Default: ${DEFAULT-VALUE}.")
  String console;

  @Option(names = "--console-max-live-pages", defaultValue = "${env:VERTICE_CONSOLE_MAX_LIVE_PAGES:-16}",
      description = "Most console pages receiving live updates at once; the next gets 503 and retries"
          + " (VERTICE_CONSOLE_MAX_LIVE_PAGES). Default: ${DEFAULT-VALUE}.")
  int maxLivePages;

  @Option(names = "--console-event-buffer-bytes", defaultValue = "${env:VERTICE_CONSOLE_EVENT_BUFFER_BYTES:-65536}",
      description = "Bytes of live updates that may wait for one slow page before it is cut off (it reconnects)"
          + " (VERTICE_CONSOLE_EVENT_BUFFER_BYTES). Default: ${DEFAULT-VALUE}.")
  int eventBufferBytes;

  /** Returns the settings, or throws a {@link CommandLine.ParameterException} naming the flag. */
  ConsoleConfig config(CommandLine cmd) {
    ConsoleConfig.Builder b = ConsoleConfig.custom();
    apply(cmd, "--console", () -> b.mode(ConsoleConfig.Mode.parse(console)));
    apply(cmd, "--console-max-live-pages", () -> b.maxEventStreams(maxLivePages));
    apply(cmd, "--console-event-buffer-bytes", () -> b.eventBufferBytes(eventBufferBytes));
    return b.build();
  }

  private static void apply(CommandLine cmd, String flag, Runnable set) {
    try {
      set.run();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cmd, "invalid " + flag + ": " + e.getMessage());
    }
  }

  /**
   * Returns the TLS engines of an admin port that also asks (without requiring) for a client
   * certificate, so that the console can identify a caller by it as gRPC does; null over plain HTTP.
   */
  static Supplier<SSLEngine> adminEngines(SSLContext context, boolean askForCertificates) {
    if (context == null) {
      return null;
    }
    return () -> {
      SSLEngine engine = context.createSSLEngine();
      engine.setUseClientMode(false);
      if (askForCertificates) {
        engine.setWantClientAuth(true);
      }
      return engine;
    };
  }

  /**
   * Installs the console on {@code admin} (before it starts) unless the mode is off; with {@code auth}
   * (auth on) every API call is authenticated as gRPC calls are.
   */
  static Console install(ConsoleConfig config, ControlPlane cp, AdminServer admin, AuthInterceptor auth,
      dev.vertice.console.ConvergenceWindow convergence) {
    if (config.mode() == ConsoleConfig.Mode.OFF) {
      return null;
    }
    Console.Authenticator authenticator = auth == null ? null : r -> auth.authenticateHttp(
        r.remoteAddress() == null ? null : r.remoteAddress().getAddress(), r.tlsSession(), r.header("Authorization"),
        "console " + r.method() + " " + r.path());
    return Console.builder(cp).config(config).authenticator(authenticator).convergence(convergence)
        .executor(admin.routeExecutor()).build().install(admin);
  }
}
