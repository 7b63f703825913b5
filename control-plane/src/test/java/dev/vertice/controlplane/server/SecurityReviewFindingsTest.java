package dev.vertice.controlplane.server;

import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.RegisterRequest;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.common.Ticker;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.ControlPlaneServer;
import dev.vertice.security.auth.AuthInterceptor;
import dev.vertice.security.auth.AuthPolicy;
import dev.vertice.security.auth.BearerTokenCredentials;
import dev.vertice.security.auth.DenialLog;
import dev.vertice.security.auth.IdentityMapper;
import dev.vertice.security.auth.JwtVerifier;
import dev.vertice.security.auth.PolicyAuthorizer;
import dev.vertice.security.auth.RateLimits;
import dev.vertice.testkit.TestJwts;
import io.grpc.CompositeChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Adversarial review of issue 9 on a real control plane on loopback. Each test states the secure
 * behaviour; a failing test is an open finding (see the review report). They run only with
 * {@code -Dvertice.review.findings=true} so that main stays green until each is fixed.
 */
@EnabledIfSystemProperty(named = "vertice.review.findings", matches = "true")
class SecurityReviewFindingsTest {

  private static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
  private static final byte[] SECRET = "security-review-test-secret-0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  private ControlPlaneServer server;
  private ManagedChannel channel;

  @AfterEach
  void stop() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.stop(Duration.ofSeconds(1));
    }
  }

  /**
   * SECURITY.md says "Tokens are only sent over TLS: gRPC refuses to attach call credentials to a
   * plaintext channel". grpc-java leaves that check to the CallCredentials, and
   * BearerTokenCredentials.applyRequestMetadata does not look at {@code info.getSecurityLevel()}: a
   * client configured with a token but no CA (or a control plane run with --auth on over plaintext,
   * which only warns) sends the bearer token in the clear, and it is accepted. Secure behaviour: the
   * credentials refuse (UNAUTHENTICATED) below PRIVACY_AND_INTEGRITY, so the call never leaves.
   */
  @Test
  void aBearerTokenIsNeverSentOverPlaintext() throws Exception {
    AuthPolicy policy = AuthPolicy.empty();
    DenialLog denials = new DenialLog(Ticker.system(), 10_000);
    ControlPlane cp = ControlPlane.builder()
        .authorizer(new PolicyAuthorizer(policy, RateLimits.ofDefaults(), denials)).build();
    JwtVerifier jwt = JwtVerifier.builder().hs256Secret(SECRET).clock(Clock.fixed(NOW, ZoneOffset.UTC)).build();
    AuthInterceptor auth = new AuthInterceptor(new IdentityMapper("vertice", policy), jwt, denials);
    server = new ControlPlaneServer(cp, "127.0.0.1", 0, ControlPlaneServer.DEFAULT_MAX_MESSAGE_BYTES, List.of(auth),
        InsecureServerCredentials.create());
    String token = TestJwts.hs256(SECRET, TestJwts.claims("orders", NOW.plusSeconds(300).getEpochSecond(), null));
    channel = Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(),
        CompositeChannelCredentials.create(InsecureChannelCredentials.create(), BearerTokenCredentials.of(token)))
        .build();
    RegisterRequest request = RegisterRequest.newBuilder().setInstance(Instance.newBuilder().setService("orders")
        .setInstanceId("o-1").setAddress("10.0.0.1").setPort(8080)).build();
    assertThrows(StatusRuntimeException.class,
        () -> RegistryServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS).register(request),
        "the Register call carrying a bearer token over plaintext was sent and accepted");
  }
}
