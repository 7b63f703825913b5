package dev.vertice.security.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.vertice.security.tls.ReloadingTls;
import dev.vertice.security.tls.TlsSettings;
import dev.vertice.testkit.TestCerts;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client certificates over real mutual TLS, through {@link AuthInterceptor} on a Netty gRPC server:
 * a SPIFFE identity comes only from a URI SAN, and a subject CN is only ever a plain name, so a CN
 * spelled like a SPIFFE id claims no role.
 */
@Timeout(60)
class CertificateIdentityTest {

  /** An admin-only method (AuthInterceptor requires ADMIN for the canary service). */
  private static final MethodDescriptor<String, String> ADMIN_ONLY = method("vertice.canary.v1.CanaryService/Probe");
  /** A method open to every identity; answers the caller's principal. */
  private static final MethodDescriptor<String, String> WHO_AM_I = method("vertice.test.v1.Echo/WhoAmI");

  @TempDir
  Path dir;

  private TestCerts ca;
  private Server server;
  private final List<AutoCloseable> closing = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    ca = TestCerts.ca(dir.resolve("ca"), "ca");
    TestCerts.Pair serverPair = ca.server("server", "localhost", "127.0.0.1");
    ReloadingTls tls = ReloadingTls.forServer(TlsSettings.server(serverPair.cert(), serverPair.key())
        .withClientAuth(TlsSettings.ClientAuth.REQUIRE, ca.caCert()));
    closing.add(tls);
    IdentityMapper mapper = new IdentityMapper("vertice",
        AuthPolicy.parse(new StringReader("role.alice = admin\nrole.edge-1 = gateway\n")));
    ServerServiceDefinition canary = ServerServiceDefinition.builder("vertice.canary.v1.CanaryService")
        .addMethod(ADMIN_ONLY, ServerCalls.asyncUnaryCall((req, out) -> {
          out.onNext("admin-ok");
          out.onCompleted();
        }))
        .build();
    ServerServiceDefinition echo = ServerServiceDefinition.builder("vertice.test.v1.Echo")
        .addMethod(WHO_AM_I, ServerCalls.asyncUnaryCall((req, out) -> {
          Identity id = AuthContext.identity().orElseThrow();
          out.onNext(id.kind() + " " + id.principal());
          out.onCompleted();
        }))
        .build();
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0), tls.serverCredentials())
        .addService(io.grpc.ServerInterceptors.intercept(canary, new AuthInterceptor(mapper, null, DenialLog.ofDefaults())))
        .addService(io.grpc.ServerInterceptors.intercept(echo, new AuthInterceptor(mapper, null, DenialLog.ofDefaults())))
        .build()
        .start();
  }

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
    for (AutoCloseable c : closing) {
      c.close();
    }
  }

  @Test
  void aCommonNameSpelledAsAnAdminSpiffeIdIsNoAdmin() throws Exception {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> call(ca.client(slashes("spiffe://vertice/admin/x"), null), ADMIN_ONLY));
    assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode(), e.getStatus().toString());
  }

  @Test
  void aCommonNameSpelledAsAServiceSpiffeIdIsNoIdentity() throws Exception {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> call(ca.client(slashes("spiffe://vertice/service/orders"), null), WHO_AM_I));
    assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode(), e.getStatus().toString());
  }

  @Test
  void aUriSanCarriesTheSpiffeIdentityWhateverTheCommonName() throws Exception {
    assertEquals("admin-ok", call(ca.client("orders", "spiffe://vertice/admin/ops"), ADMIN_ONLY));
    assertEquals("SERVICE spiffe://vertice/service/orders",
        call(ca.client(slashes("spiffe://vertice/admin/x"), "spiffe://vertice/service/orders"), WHO_AM_I));
  }

  @Test
  void aPlainCommonNameTakesItsRoleFromThePolicy() throws Exception {
    assertEquals("admin-ok", call(ca.client("alice", null), ADMIN_ONLY));
    assertEquals("SERVICE cn:orders", call(ca.client("orders", null), WHO_AM_I));
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> call(ca.client("orders", null), ADMIN_ONLY));
    assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode(), e.getStatus().toString());
  }

  private String call(TestCerts.Pair client, MethodDescriptor<String, String> method) throws Exception {
    ReloadingTls tls = ReloadingTls.forClient(TlsSettings.client(ca.caCert()).withIdentity(client.cert(), client.key()));
    closing.add(tls);
    ManagedChannel channel = NettyChannelBuilder.forAddress("localhost", server.getPort(), tls.channelCredentials())
        .build();
    try {
      return ClientCalls.blockingUnaryCall(channel, method, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
          "hello");
    } finally {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  /** A CN for openssl's {@code -subj}, where an unescaped '/' starts the next RDN. */
  private static String slashes(String commonName) {
    return commonName.replace("/", "\\/");
  }

  private static MethodDescriptor<String, String> method(String fullName) {
    return MethodDescriptor.<String, String>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(fullName)
        .setRequestMarshaller(Utf8.INSTANCE)
        .setResponseMarshaller(Utf8.INSTANCE)
        .build();
  }

  /** Strings as UTF-8 bytes: no protobuf needed for an authentication test. */
  private enum Utf8 implements MethodDescriptor.Marshaller<String> {
    INSTANCE;

    @Override
    public InputStream stream(String value) {
      return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String parse(InputStream stream) {
      try {
        return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
