package dev.vertice.gateway.proxy;

import dev.vertice.security.tls.ReloadingTls;
import dev.vertice.security.tls.TlsSettings;
import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import javax.net.ssl.SSLException;

/**
 * {@code ServerTls} turns a listener's {@link ReloadingTls} into a Netty {@link SslContext}. The
 * context holds the reloading key and trust managers themselves, not a copy of their material, so
 * each new handshake sees the files as last reloaded.
 */
public final class ServerTls {

  private ServerTls() {}

  /**
   * {@code sslContext} builds a server context offering {@code h2} and {@code http/1.1} by ALPN,
   * with HTTP/2's cipher suites, asking for client certificates as {@code tls} is configured.
   *
   * @throws IllegalStateException when the JDK cannot build the context
   */
  static SslContext sslContext(ReloadingTls tls) {
    return sslContext(tls, ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1);
  }

  /**
   * {@code sslContext} builds a server context offering {@code protocols} by ALPN (the gRPC
   * port: {@code h2} only), with HTTP/2's cipher suites, asking for client certificates as {@code
   * tls} is configured.
   *
   * @throws IllegalStateException when the JDK cannot build the context
   */
  public static SslContext sslContext(ReloadingTls tls, String... protocols) {
    SslContextBuilder b = SslContextBuilder.forServer(tls.keyManager())
        .sslProvider(SslProvider.JDK)
        .ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
        .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
            protocols));
    TlsSettings.ClientAuth auth = tls.settings().clientAuth();
    if (auth != TlsSettings.ClientAuth.NONE) {
      b.trustManager(tls.trustManager())
          .clientAuth(auth == TlsSettings.ClientAuth.REQUIRE ? ClientAuth.REQUIRE : ClientAuth.OPTIONAL);
    }
    try {
      return b.build();
    } catch (SSLException e) {
      throw new IllegalStateException("cannot build the TLS context: " + e.getMessage(), e);
    }
  }
}
