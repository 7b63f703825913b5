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

/** Bad TLS flags of the sidecar exit 2 naming the flag and its variable, before anything listens or registers. */
class SidecarTlsFlagsTest {

  @TempDir
  Path dir;
  private TestCerts ca;
  private TestCerts.Pair server;

  @BeforeEach
  void setUp() throws IOException {
    ca = TestCerts.ca(dir, "ca");
    server = ca.server("sidecar", "localhost");
  }

  private static String fails(String named, String... extra) {
    List<String> args = new ArrayList<>(List.of("--service-name", "orders", "--port", "8080", "--api-port", "0",
        "--admin-port", "-1"));
    args.addAll(List.of(extra));
    StringWriter err = new StringWriter();
    int code = SidecarCommand.run(new PrintWriter(new StringWriter()), new PrintWriter(err, true),
        args.toArray(String[]::new));
    assertEquals(2, code, err.toString());
    assertTrue(err.toString().contains("invalid " + named + " (" + SidecarFlags.envOf(named) + ")"), err.toString());
    return err.toString();
  }

  @Test
  void badTlsFlagsAreNamedWithTheirVariables() throws IOException {
    String missing = dir.resolve("missing.pem").toString();
    fails("--tls-cert", "--tls-cert", missing, "--tls-key", server.key().toString());
    fails("--tls-key", "--tls-cert", server.cert().toString());
    fails("--tls-cert", "--tls-key", server.key().toString());
    fails("--tls-client-auth", "--tls-cert", server.cert().toString(), "--tls-key", server.key().toString(),
        "--tls-client-auth", "optional");
    fails("--control-plane-key", "--control-plane-cert", server.cert().toString());
    fails("--control-plane-ca", "--control-plane-ca", missing);
    Path token = Files.writeString(dir.resolve("token"), "very-secret-token");
    String err = fails("--control-plane-token-file", "--control-plane-token-file", token.toString());
    assertFalse(err.contains("very-secret"), err);
  }

  @Test
  void helpDocumentsTheTlsFlagsAndTheirVariables() {
    StringWriter out = new StringWriter();
    assertEquals(0, SidecarCommand.run(new PrintWriter(out, true), new PrintWriter(new StringWriter()), "--help"));
    String help = out.toString().replaceAll("\\s+", " ");
    for (String s : List.of("--tls-cert", "VERTICE_TLS_CERT", "--tls-key", "--tls-client-ca", "--tls-client-auth",
        "--tls-refresh", "Default: 30s", "--control-plane-ca", "VERTICE_CONTROL_PLANE_CA", "--control-plane-cert",
        "--control-plane-key", "--control-plane-token-file", "VERTICE_CONTROL_PLANE_TOKEN_FILE")) {
      assertTrue(help.contains(s), "help lacks " + s + ":\n" + out);
    }
  }

  @Test
  void plaintextWarningIsOneLineNamingWhatIsPlaintext() {
    assertEquals("PLAINTEXT: the local API and the admin port, the control-plane connection are not encrypted; set"
        + " --tls-cert and --tls-key (local API) and --control-plane-ca (control plane) outside development",
        SidecarCommand.plaintextWarning(false, true, false));
    assertTrue(SidecarCommand.plaintextWarning(true, true, false).startsWith(
        "PLAINTEXT: the control-plane connection is not encrypted"));
    assertTrue(SidecarCommand.plaintextWarning(false, false, true).startsWith("PLAINTEXT: the local API is not"));
    assertNull(SidecarCommand.plaintextWarning(true, true, true));
  }
}
