package dev.vertice.security.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.security.tls.TlsFlagRules.ClientFlags;
import dev.vertice.security.tls.TlsFlagRules.InvalidFlagException;
import dev.vertice.security.tls.TlsFlagRules.ListenerFlags;
import dev.vertice.testkit.TestCerts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

class TlsFlagRulesTest {

  private static final Duration REFRESH = Duration.ofSeconds(30);
  /** Names no real command uses, to show that every message takes the caller's names. */
  private static final ListenerFlags LISTEN = new ListenerFlags("--l-cert", "--l-key", "--l-ca", "--l-auth",
      "--l-refresh");

  @TempDir
  Path dir;

  private TestCerts ca;
  private TestCerts.Pair server;
  private String caCert;
  private String cert;
  private String key;

  @BeforeEach
  void certs() throws IOException {
    ca = TestCerts.ca(dir.resolve("ca"), "rules-ca");
    server = ca.server("server", "localhost");
    caCert = ca.caCert().toString();
    cert = server.cert().toString();
    key = server.key().toString();
  }

  /** Asserts that {@code call} fails naming {@code flag} and returns the message. */
  private static String fails(String flag, Executable call) {
    InvalidFlagException e = assertThrows(InvalidFlagException.class, call);
    assertEquals(flag, e.flag(), e.getMessage());
    assertEquals("invalid " + flag + ": " + e.problem(), e.getMessage());
    return e.getMessage();
  }

  @Test
  void listenerIsPlaintextWithoutCertificateAndTlsWithOne() {
    assertNull(TlsFlagRules.listener(LISTEN, null, " ", "", null, REFRESH));
    TlsSettings tls = TlsFlagRules.listener(LISTEN, cert, key, null, null, REFRESH);
    assertEquals(TlsSettings.ClientAuth.NONE, tls.clientAuth());
    TlsSettings mutual = TlsFlagRules.listener(LISTEN, cert, key, caCert, "", REFRESH);
    assertEquals(TlsSettings.ClientAuth.REQUIRE, mutual.clientAuth(), "a client CA defaults to require");
    assertEquals(TlsSettings.ClientAuth.OPTIONAL,
        TlsFlagRules.listener(LISTEN, cert, key, caCert, " Optional ", REFRESH).clientAuth());
    TlsFlagRules.loadServer(LISTEN, mutual).close();
  }

  @Test
  void listenerRulesNameTheCallersFlags() {
    String missing = dir.resolve("missing.pem").toString();
    assertTrue(fails("--l-cert", () -> TlsFlagRules.listener(LISTEN, missing, key, null, null, REFRESH))
        .contains("does not exist"));
    fails("--l-key", () -> TlsFlagRules.listener(LISTEN, cert, dir.toString(), null, null, REFRESH));
    assertTrue(fails("--l-cert", () -> TlsFlagRules.listener(LISTEN, null, key, null, null, REFRESH))
        .contains("--l-key"));
    fails("--l-key", () -> TlsFlagRules.listener(LISTEN, cert, null, null, null, REFRESH));
    fails("--l-refresh", () -> TlsFlagRules.listener(LISTEN, null, null, null, null, Duration.ZERO));
    fails("--l-auth", () -> TlsFlagRules.listener(LISTEN, cert, key, caCert, "sometimes", REFRESH));
    assertTrue(fails("--l-auth", () -> TlsFlagRules.listener(LISTEN, cert, key, null, "require", REFRESH))
        .contains("--l-ca"));
    assertTrue(fails("--l-auth", () -> TlsFlagRules.listener(LISTEN, cert, key, caCert, "none", REFRESH))
        .contains("--l-ca"));
    fails("--l-ca", () -> TlsFlagRules.listener(LISTEN, null, null, caCert, null, REFRESH));
    fails("--l-auth", () -> TlsFlagRules.listener(LISTEN, null, null, null, "optional", REFRESH));
  }

  @Test
  void unusableFilesAreNamedWithoutQuotingThem() throws IOException {
    Path garbage = Files.writeString(dir.resolve("garbage.pem"),
        "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END PRIVATE KEY-----\n");
    TlsSettings badKey = TlsFlagRules.listener(LISTEN, cert, garbage.toString(), null, null, REFRESH);
    assertFalse(fails("--l-key", () -> TlsFlagRules.loadServer(LISTEN, badKey)).contains("c2VjcmV0"));
    TlsSettings otherKey = TlsFlagRules.listener(LISTEN, cert, ca.server("other", "localhost").key().toString(),
        null, null, REFRESH);
    fails("--l-key", () -> TlsFlagRules.loadServer(LISTEN, otherKey));
    TlsSettings badCa = TlsFlagRules.client(ClientFlags.CLI, garbage.toString(), null, null, REFRESH);
    fails("--ca", () -> TlsFlagRules.loadClient(ClientFlags.CLI, badCa));
  }

  @Test
  void clientWithoutCaTrustsTheJdkStoreOnlyWhenTheCommandAllowsIt() {
    for (ClientFlags names : new ClientFlags[] {ClientFlags.CLI, ClientFlags.CONTROL_PLANE}) {
      assertNull(TlsFlagRules.client(names, null, "", null, REFRESH), names.ca());
      assertEquals(ca.caCert(), TlsFlagRules.client(names, caCert, null, null, REFRESH).ca());
      fails(names.key(), () -> TlsFlagRules.client(names, caCert, cert, null, REFRESH));
      fails(names.cert(), () -> TlsFlagRules.client(names, caCert, null, key, REFRESH));
    }
    TlsSettings defaultTrust = TlsFlagRules.client(ClientFlags.CONTROL_PLANE, null, cert, key, REFRESH);
    assertNull(defaultTrust.ca());
    assertTrue(fails("--ca", () -> TlsFlagRules.client(ClientFlags.CLI, null, cert, key, REFRESH))
        .contains("--cert"));
  }

  @Test
  void aTokenNeedsTlsAndAReadableNonEmptyFile() throws IOException {
    Path token = Files.writeString(dir.resolve("token"), "s3cr3t-token\n");
    TlsSettings tls = TlsFlagRules.client(ClientFlags.CLI, caCert, null, null, REFRESH);
    assertNull(TlsFlagRules.token(ClientFlags.CLI, " ", null));
    assertNotNull(TlsFlagRules.token(ClientFlags.CLI, token.toString(), tls));
    String plaintext = fails("--token-file", () -> TlsFlagRules.token(ClientFlags.CLI, token.toString(), null));
    assertTrue(plaintext.contains("--ca"), plaintext);
    assertFalse(plaintext.contains("s3cr3t"), plaintext);
    Path empty = Files.writeString(dir.resolve("empty"), " \n");
    fails("--control-plane-token-file", () -> TlsFlagRules.token(ClientFlags.CONTROL_PLANE, empty.toString(), tls));
    fails("--control-plane-token-file",
        () -> TlsFlagRules.token(ClientFlags.CONTROL_PLANE, dir.resolve("none").toString(), tls));
  }

  @Test
  void loadChecksEveryFlagThenLoadsBothSides() throws IOException {
    Path token = Files.writeString(dir.resolve("token"), "t0ken\n");
    try (TlsFlagRules.Material m = TlsFlagRules.load(LISTEN, cert, key, caCert, null, ClientFlags.CONTROL_PLANE,
        caCert, null, null, token.toString(), REFRESH)) {
      assertNotNull(m.listeners());
      assertNotNull(m.controlPlane());
      assertNotNull(m.token());
    }
    try (TlsFlagRules.Material plain = TlsFlagRules.load(LISTEN, "", "", "", "", ClientFlags.CONTROL_PLANE, "", "",
        "", "", REFRESH)) {
      assertNull(plain.listeners());
      assertNull(plain.controlPlane());
      assertNull(plain.token());
    }
    fails("--control-plane-token-file", () -> TlsFlagRules.load(LISTEN, cert, key, null, null,
        ClientFlags.CONTROL_PLANE, null, null, null, token.toString(), REFRESH));
    Path garbage = Files.writeString(dir.resolve("garbage-ca.pem"), "not a certificate\n");
    fails("--control-plane-ca", () -> TlsFlagRules.load(LISTEN, cert, key, null, null, ClientFlags.CONTROL_PLANE,
        garbage.toString(), null, null, null, REFRESH));
  }
}
