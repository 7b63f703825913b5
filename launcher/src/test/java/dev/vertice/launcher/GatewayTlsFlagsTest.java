package dev.vertice.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.testkit.TestCerts;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad TLS flags of {@code gateway} exit 2 naming the flag, before anything listens, and never print a secret. */
class GatewayTlsFlagsTest {

  @TempDir
  Path dir;
  private TestCerts ca;
  private TestCerts.Pair server;
  private TestCerts.Pair other;

  @BeforeEach
  void setUp() throws IOException {
    ca = TestCerts.ca(dir, "ca");
    server = ca.server("gateway", "localhost");
    other = ca.server("other", "localhost");
  }

  private static String[] args(String... extra) {
    List<String> a = new ArrayList<>(List.of("gateway", "--host", "127.0.0.1", "--port", "0", "--grpc-port", "-1",
        "--admin-port", "-1", "--stats", "false"));
    a.addAll(List.of(extra));
    return a.toArray(String[]::new);
  }

  private static String fails(String named, String... extra) {
    StringWriter err = new StringWriter();
    int code = Main.run(new PrintWriter(new StringWriter()), new PrintWriter(err, true), args(extra));
    assertEquals(2, code, err.toString());
    assertTrue(err.toString().contains("invalid " + named), err.toString());
    return err.toString();
  }

  @Test
  void missingFilesAreNamed() {
    String missing = dir.resolve("nope.pem").toString();
    fails("--tls-cert", "--tls-cert", missing, "--tls-key", server.key().toString());
    fails("--tls-key", "--tls-cert", server.cert().toString(), "--tls-key", missing);
    fails("--tls-client-ca", "--tls-cert", server.cert().toString(), "--tls-key", server.key().toString(),
        "--tls-client-ca", missing);
    fails("--control-plane-ca", "--control-plane-ca", missing);
    fails("--control-plane-token-file", "--control-plane-ca", ca.caCert().toString(), "--control-plane-token-file",
        missing);
  }

  @Test
  void halfPairsAndClientAuthWithoutCaAreRefused() {
    assertTrue(fails("--tls-cert", "--tls-key", server.key().toString()).contains("--tls-key"));
    fails("--tls-key", "--tls-cert", server.cert().toString());
    fails("--control-plane-cert", "--control-plane-key", server.key().toString());
    fails("--control-plane-key", "--control-plane-cert", server.cert().toString());
    fails("--tls-client-auth", "--tls-cert", server.cert().toString(), "--tls-key", server.key().toString(),
        "--tls-client-auth", "require");
    fails("--tls-client-auth", "--tls-cert", server.cert().toString(), "--tls-key", server.key().toString(),
        "--tls-client-auth", "sometimes", "--tls-client-ca", ca.caCert().toString());
    fails("--tls-client-ca", "--tls-client-ca", ca.caCert().toString());
    fails("--tls-refresh", "--tls-refresh", "0s");
  }

  @Test
  void aKeyThatIsNotTheCertificatesIsRefused() {
    fails("--tls-key", "--tls-cert", server.cert().toString(), "--tls-key", other.key().toString());
  }

  @Test
  void aBearerTokenIsNeverSentInPlaintext() throws IOException {
    Path token = Files.writeString(dir.resolve("token"), "s3cr3t-token-value\n");
    String err = fails("--control-plane-token-file", "--control-plane-token-file", token.toString());
    assertFalse(err.contains("s3cr3t"), err);
    fails("--control-plane-token-file", "--control-plane-ca", ca.caCert().toString(), "--control-plane-token-file",
        Files.writeString(dir.resolve("empty"), " \n").toString());
  }

  @Test
  void unreadableKeyIsNamedWithoutQuotingIt() throws IOException {
    Path key = Files.writeString(dir.resolve("bad.key"),
        "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END PRIVATE KEY-----\n");
    String err = fails("--tls-key", "--tls-cert", server.cert().toString(), "--tls-key", key.toString());
    assertFalse(err.contains("c2VjcmV0"), err);
    fails("--tls-cert", "--tls-cert", key.toString(), "--tls-key", server.key().toString());
  }

  @Test
  void helpDocumentsTheTlsFlagsAndTheirVariables() {
    StringWriter out = new StringWriter();
    assertEquals(0, Main.run(new PrintWriter(out, true), new PrintWriter(new StringWriter()), "gateway", "--help"));
    String help = out.toString().replaceAll("\\s+", " ");
    for (String s : List.of("--tls-cert", "VERTICE_GATEWAY_TLS_CERT", "--tls-key", "VERTICE_GATEWAY_TLS_KEY",
        "--tls-client-ca", "VERTICE_GATEWAY_TLS_CLIENT_CA", "--tls-client-auth", "VERTICE_GATEWAY_TLS_CLIENT_AUTH",
        "--tls-refresh", "VERTICE_GATEWAY_TLS_REFRESH", "--control-plane-ca", "VERTICE_CONTROL_PLANE_CA",
        "--control-plane-cert", "--control-plane-key", "--control-plane-token-file",
        "VERTICE_CONTROL_PLANE_TOKEN_FILE")) {
      assertTrue(help.contains(s), "help lacks " + s + ":\n" + out);
    }
  }

  @Test
  void plaintextWarningNamesWhatIsPlaintextOnOneLine() {
    String all = GatewayCommand.plaintextWarning(false, true, true, false);
    assertTrue(all.startsWith("PLAINTEXT: the HTTP listener, the gRPC listener, the admin port, the control-plane"
        + " connection are not encrypted"), all);
    assertFalse(all.contains("\n"));
    assertEquals("PLAINTEXT: the control-plane connection is not encrypted; set --tls-cert and --tls-key (listeners)"
        + " and --control-plane-ca (control plane) outside development",
        GatewayCommand.plaintextWarning(true, true, true, false));
    assertNull(GatewayCommand.plaintextWarning(true, true, true, true));
  }
}
