package dev.vertice.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.ControlPlaneServer;
import dev.vertice.security.tls.ReloadingTls;
import dev.vertice.security.tls.TlsSettings;
import dev.vertice.testkit.TestCerts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code vertice canary --ca --cert --key --token-file} against a real control plane requiring mutual TLS. */
class CanaryCommandTlsTest {

  private static final String TOKEN = "tok-3f9a-never-printed";

  @TempDir
  Path dir;

  private TestCerts ca;
  private TestCerts.Pair client;
  private Path tokenFile;
  private ReloadingTls tls;
  private ControlPlaneServer server;
  private String address;
  private final List<String> authorizations = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    ca = TestCerts.ca(dir.resolve("ca"), "ca");
    TestCerts.Pair pair = ca.server("control-plane", "127.0.0.1");
    client = ca.client("operator", "spiffe://vertice/user/operator");
    tokenFile = dir.resolve("token");
    Files.writeString(tokenFile, TOKEN + "\n");
    tls = ReloadingTls.forServer(TlsSettings.server(pair.cert(), pair.key())
        .withClientAuth(TlsSettings.ClientAuth.REQUIRE, ca.caCert()));
    ServerInterceptor recordAuthorization = new ServerInterceptor() {
      @Override
      public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
          ServerCallHandler<ReqT, RespT> next) {
        String a = headers.get(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER));
        authorizations.add(a == null ? "none" : a);
        return next.startCall(call, headers);
      }
    };
    server = new ControlPlaneServer(ControlPlane.builder().build(), "127.0.0.1", 0, 1 << 20,
        List.of(recordAuthorization), tls.serverCredentials());
    address = "127.0.0.1:" + server.port();
  }

  @AfterEach
  void tearDown() {
    server.stop(Duration.ofSeconds(1));
    tls.close();
  }

  private record Result(int code, String out, String err) {}

  private Result canary(String... args) {
    List<String> all = new ArrayList<>(List.of("canary"));
    all.addAll(List.of(args));
    all.addAll(List.of("--control-plane", address));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), all.toArray(String[]::new));
    return new Result(code, out.toString(), err.toString());
  }

  @Test
  void listWithCaClientCertificateAndTokenWorks() {
    Result r = canary("list", "--ca", ca.caCert().toString(), "--cert", client.cert().toString(), "--key",
        client.key().toString(), "--token-file", tokenFile.toString());

    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("no rollouts"), r.out());
    assertEquals(List.of("Bearer " + TOKEN), authorizations);
  }

  @Test
  void withoutClientCertificateTheMutualTlsControlPlaneIsUnreachable() {
    Result r = canary("list", "--ca", ca.caCert().toString(), "--timeout", "30s");

    assertEquals(1, r.code(), r.out() + r.err());
    assertTrue(r.err().contains("cannot reach the control plane"), r.err());
    assertEquals(List.of(), authorizations);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "--cert CERT|--key",
    "--key KEY|--cert",
    "--cert CERT --key KEY|--ca",
    "--ca MISSING|--ca",
    "--ca CA --cert MISSING --key KEY|--cert",
    "--ca CA --cert CERT --key TOKEN|--key",
    "--token-file TOKEN|--token-file",
    "--ca CA --token-file MISSING|--token-file"
  })
  void invalidTransportFlagsExitWith2NamingTheFlag(String flags, String named) {
    List<String> args = new ArrayList<>(List.of("list"));
    for (String f : flags.split(" ")) {
      args.add(switch (f) {
        case "CA" -> ca.caCert().toString();
        case "CERT" -> client.cert().toString();
        case "KEY" -> client.key().toString();
        case "TOKEN" -> tokenFile.toString();
        case "MISSING" -> dir.resolve("missing").toString();
        default -> f;
      });
    }
    Result r = canary(args.toArray(String[]::new));

    assertEquals(2, r.code(), r.out() + r.err());
    assertTrue(r.err().contains("invalid " + named), r.err());
    assertFalse(r.err().contains(TOKEN), "the token never appears in messages: " + r.err());
    assertEquals(List.of(), authorizations, "nothing was sent");
  }
}
