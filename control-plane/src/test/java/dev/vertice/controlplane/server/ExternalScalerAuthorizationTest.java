package dev.vertice.controlplane.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.externalscaler.ExternalScalerGrpc;
import dev.vertice.api.externalscaler.ScaledObjectRef;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.RegisterRequest;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.common.Ticker;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.security.auth.AuthInterceptor;
import dev.vertice.security.auth.AuthPolicy;
import dev.vertice.security.auth.DenialLog;
import dev.vertice.security.auth.IdentityMapper;
import dev.vertice.security.auth.JwtVerifier;
import dev.vertice.security.auth.PolicyAuthorizer;
import dev.vertice.security.auth.RateLimits;
import dev.vertice.testkit.TestJwts;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * KEDA's ExternalScaler with auth on (JWT identities, the real interceptor and policy): a caller
 * reads the signals of the services it may read with GetService, and is refused the others before
 * learning whether they exist. (Over TLS the identities come from certificates instead; that
 * mapping is AuthorizationTest's.)
 */
@Timeout(30)
class ExternalScalerAuthorizationTest {

  private static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
  private static final byte[] SECRET = "external-scaler-test-secret-0123456789".getBytes(StandardCharsets.US_ASCII);

  private ControlPlane cp;
  private Server server;
  private ManagedChannel channel;

  @AfterEach
  void stop() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (cp != null) {
      cp.close();
    }
  }

  private static Metadata bearer(String subject) {
    Metadata h = new Metadata();
    String token = TestJwts.hs256(SECRET, TestJwts.claims(subject, NOW.plusSeconds(300).getEpochSecond(), "vertice"));
    h.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    return h;
  }

  private boolean isActive(String subject, String service) {
    return ExternalScalerGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(bearer(subject)))
        .isActive(ScaledObjectRef.newBuilder().putAllScalerMetadata(Map.of("service", service, "target", "10"))
            .build()).getResult();
  }

  @Test
  void aCallerReadsTheSignalsOfTheServicesItMaySeeOnly() throws Exception {
    AuthPolicy policy = AuthPolicy.parse(new StringReader("role.edge-1 = gateway\nrole.alice = admin\n"
        + "watch.keda = payments\n"));
    DenialLog denials = new DenialLog(Ticker.system(), 10_000);
    cp = ControlPlane.builder().authorizer(new PolicyAuthorizer(policy, RateLimits.ofDefaults(), denials)).build();
    JwtVerifier jwt = JwtVerifier.builder().hs256Secret(SECRET).audience("vertice")
        .clock(Clock.fixed(NOW, ZoneOffset.UTC)).build();
    AuthInterceptor auth = new AuthInterceptor(new IdentityMapper("vertice", policy), jwt, denials);
    String name = InProcessServerBuilder.generateName();
    InProcessServerBuilder b = InProcessServerBuilder.forName(name);
    for (BindableService s : cp.services()) {
      b.addService(ServerInterceptors.intercept(s, auth));
    }
    server = b.build().start();
    channel = InProcessChannelBuilder.forName(name).build();
    for (String service : List.of("payments", "billing")) {
      RegistryServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
          .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(bearer("alice")))
          .register(RegisterRequest.newBuilder().setInstance(Instance.newBuilder().setService(service)
              .setInstanceId(service + "-1").setAddress("10.0.0.1").setPort(8080)).build());
    }

    // A service identity granted payments (the KEDA operator's, say) reads payments...
    assertFalse(isActive("keda", "payments"));
    // ...and is refused billing, and a service that does not exist, alike.
    for (String refused : List.of("billing", "ghost")) {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> isActive("keda", refused));
      assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode(), refused);
      assertTrue(e.getStatus().getDescription().contains(refused), e.getStatus().getDescription());
    }
    // Gateways and admins read every service.
    assertFalse(isActive("edge-1", "billing"));
    assertFalse(isActive("alice", "billing"));
    // No identity: no answer.
    StatusRuntimeException anonymous = assertThrows(StatusRuntimeException.class, () -> ExternalScalerGrpc
        .newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS).isActive(ScaledObjectRef.newBuilder()
            .putAllScalerMetadata(Map.of("service", "payments", "target", "1")).build()));
    assertEquals(Status.Code.UNAUTHENTICATED, anonymous.getStatus().getCode());
  }
}
