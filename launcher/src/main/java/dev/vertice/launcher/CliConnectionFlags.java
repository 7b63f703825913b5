package dev.vertice.launcher;

import dev.vertice.client.ControlPlaneAddresses;
import dev.vertice.client.WatchClient;
import io.grpc.CallCredentials;
import io.grpc.ChannelCredentials;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code CliConnectionFlags} are the options of every short-lived CLI call to the control plane
 * ({@code vertice canary ...}, {@code services}, {@code instances}, {@code watch}, {@code
 * deregister}, {@code set-health}), declared once as a picocli mixin: where the control plane is
 * ({@code --control-plane}, one replica), the deadline of each call ({@code --timeout}) and how
 * to reach it ({@code --ca}, {@code --cert}, {@code --key}, {@code --token-file}, each with its
 * {@code VERTICE_*} variable). A bad value is a {@link CommandLine.ParameterException} naming the
 * flag: exit code 2.
 *
 * <p>A command using it names {@link Texts} (or a subclass) as its resource bundle: it holds the
 * default of {@code --control-plane}.
 */
final class CliConnectionFlags {

  /** Deadline of each call when {@code --timeout} is not given. */
  static final String DEFAULT_TIMEOUT = "10s";

  /** What the shared flags say in the CLI commands; picocli loads it by name. */
  public static class Texts extends FlagTexts {
    /** {@code Texts} holds the CLI commands' words. */
    public Texts() {
      this(null);
    }

    /** {@code Texts} holds the CLI commands' words, with {@code --timeout}'s description when not null. */
    protected Texts(String timeoutDescription) {
      super("localhost:7700", "The control plane, host:port (VERTICE_CONTROL_PLANE). Default: ${DEFAULT-VALUE}.",
          null, timeoutDescription);
    }
  }

  @Mixin
  ControlPlaneAddressFlag controlPlaneFlag;

  @Option(names = "--timeout", defaultValue = DEFAULT_TIMEOUT, converter = DurationConverter.class,
      descriptionKey = FlagTexts.TIMEOUT, description = "Deadline of each call. Default: ${DEFAULT-VALUE}.")
  Duration timeout;

  @Option(names = "--ca", defaultValue = "${env:VERTICE_CA}", paramLabel = "PEM",
      description = "CA bundle (PEM) the control plane's certificate is verified against; turns TLS on"
          + " (VERTICE_CA). Default: none, plaintext.")
  String ca;

  @Option(names = "--cert", defaultValue = "${env:VERTICE_CERT}", paramLabel = "PEM",
      description = "Client certificate (PEM) for mutual TLS, with --key (VERTICE_CERT).")
  String cert;

  @Option(names = "--key", defaultValue = "${env:VERTICE_KEY}", paramLabel = "PEM",
      description = "Private key (PEM, PKCS#8) of --cert (VERTICE_KEY).")
  String key;

  @Option(names = "--token-file", defaultValue = "${env:VERTICE_TOKEN_FILE}", paramLabel = "FILE",
      description = "File holding a bearer token sent with every call; needs --ca (VERTICE_TOKEN_FILE).")
  String tokenFile;

  /** Returns {@code --control-plane} as given: one host:port. */
  String controlPlane() {
    return controlPlaneFlag.value();
  }

  /** Returns {@code --timeout}. */
  Duration timeout() {
    return timeout;
  }

  /**
   * {@code check} validates {@code --control-plane} (exactly one host:port) and {@code --timeout}
   * (positive) and returns the address.
   *
   * @throws CommandLine.ParameterException naming the flag at fault
   */
  String check(CommandLine.Model.CommandSpec spec) {
    String controlPlane = controlPlane();
    ControlPlaneAddresses a;
    try {
      a = ControlPlaneAddresses.parse(controlPlane);
      if (a.size() != 1) {
        throw new IllegalArgumentException("give one host:port");
      }
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "invalid --control-plane: '" + controlPlane
          + "': " + e.getMessage());
    }
    if (timeout.isZero()) {
      throw new CommandLine.ParameterException(spec.commandLine(), "invalid --timeout: must be positive");
    }
    return a.addresses().get(0);
  }

  /**
   * {@code channelCredentials} returns TLS credentials from {@code --ca}, {@code --cert} and {@code
   * --key}, or plaintext ones when {@code --ca} is not set.
   *
   * @throws CommandLine.ParameterException naming the flag at fault
   */
  ChannelCredentials channelCredentials(CommandLine.Model.CommandSpec spec) {
    return TlsFlags.client(spec, ca, cert, key);
  }

  /**
   * {@code callCredentials} returns the bearer token of {@code --token-file}, or null when not set.
   *
   * @throws CommandLine.ParameterException naming {@code --token-file} (unreadable, empty, or without TLS)
   */
  CallCredentials callCredentials(CommandLine.Model.CommandSpec spec) {
    return TlsFlags.token(spec, tokenFile, ca, cert, key);
  }

  /**
   * {@code open} checks every flag and returns a channel to the control plane through {@code
   * interceptors}, with the call credentials each stub must carry; the channel connects on its
   * first call. Nothing is opened when a flag is bad.
   *
   * @throws CommandLine.ParameterException naming the flag at fault
   */
  Connection open(CommandLine.Model.CommandSpec spec, List<? extends ClientInterceptor> interceptors) {
    String address = check(spec);
    ChannelCredentials credentials = channelCredentials(spec);
    CallCredentials token = callCredentials(spec);
    // An explicit scheme: a host named like a registered scheme ("vertice") must still mean DNS.
    ManagedChannel channel = NettyChannelBuilder.forTarget("dns:///" + address, credentials)
        .maxInboundMessageSize(WatchClient.DEFAULT_MAX_INBOUND_MESSAGE_BYTES)
        .intercept(List.copyOf(interceptors))
        .build();
    return new Connection(channel, token);
  }

  /**
   * {@code Connection} is an open channel and the credentials (null: none) every call on it carries.
   * Closing it shuts the channel down, cancelling calls in flight.
   */
  record Connection(ManagedChannel channel, CallCredentials callCredentials) implements AutoCloseable {
    @Override
    public void close() {
      channel.shutdownNow();
      try {
        channel.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
