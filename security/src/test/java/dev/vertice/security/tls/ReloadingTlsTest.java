package dev.vertice.security.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.testkit.Await;
import dev.vertice.testkit.TestCerts;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReloadingTlsTest {

  private static final Duration FAST = Duration.ofMillis(50);

  @TempDir
  Path dir;

  private TestCerts ca;
  private final List<AutoCloseable> closing = new ArrayList<>();

  @BeforeEach
  void makeCa() throws IOException {
    ca = TestCerts.ca(dir.resolve("ca1"), "ca-one");
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closing) {
      c.close();
    }
  }

  private <T extends AutoCloseable> T closing(T c) {
    closing.add(c);
    return c;
  }

  /** Copies {@code pair} to fixed paths in {@code dir}, the files a listener is configured with. */
  private TestCerts.Pair live(String name, TestCerts.Pair pair) throws IOException {
    TestCerts.Pair live = new TestCerts.Pair(dir.resolve(name + ".crt"), dir.resolve(name + ".key"));
    replace(pair.cert(), live.cert());
    replace(pair.key(), live.key());
    return live;
  }

  /** Replaces {@code target} by a copy of {@code source} in one rename, as deployment tools do. */
  private static void replace(Path source, Path target) throws IOException {
    Path tmp = Files.createTempFile(target.getParent(), ".next-", ".pem");
    Files.copy(source, tmp, StandardCopyOption.REPLACE_EXISTING);
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private static BigInteger serial(Path certFile) throws Exception {
    try (var in = Files.newInputStream(certFile)) {
      return ((X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in)).getSerialNumber();
    }
  }

  private ReloadingTls server(TestCerts.Pair pair) throws Exception {
    return closing(ReloadingTls.forServer(TlsSettings.server(pair.cert(), pair.key()).withRefresh(FAST)));
  }

  private ReloadingTls client(Path caFile) throws Exception {
    return closing(ReloadingTls.forClient(TlsSettings.client(caFile).withRefresh(FAST)));
  }

  @Test
  void clientTrustingTheCaCompletesHandshakeAndSeesServerCertificate() throws Exception {
    TestCerts.Pair pair = ca.server("server", "localhost", "127.0.0.1");
    TlsProbe probe = closing(new TlsProbe(server(pair)));

    assertEquals(serial(pair.cert()), probe.connect(client(ca.caCert())));
  }

  @Test
  void clientTrustingAnotherCaIsRefused() throws Exception {
    TestCerts other = TestCerts.ca(dir.resolve("other"), "other-ca");
    TlsProbe probe = closing(new TlsProbe(server(ca.server("server", "localhost"))));

    assertThrows(IOException.class, () -> probe.connect(client(other.caCert())));
  }

  @Test
  void serverCertificateForAnotherHostIsRefused() throws Exception {
    TlsProbe probe = closing(new TlsProbe(server(ca.server("server", "elsewhere.example"))));

    assertThrows(IOException.class, () -> probe.connect(client(ca.caCert())));
  }

  @Test
  void mutualTlsRequiredRefusesClientWithoutCertificateAndAcceptsOneWithIt() throws Exception {
    TestCerts.Pair pair = ca.server("server", "localhost");
    ReloadingTls server = closing(ReloadingTls.forServer(TlsSettings.server(pair.cert(), pair.key())
        .withClientAuth(TlsSettings.ClientAuth.REQUIRE, ca.caCert()).withRefresh(FAST)));
    TlsProbe probe = closing(new TlsProbe(server));

    assertThrows(IOException.class, () -> probe.connect(client(ca.caCert())));

    TestCerts.Pair orders = ca.client("orders", "spiffe://vertice/service/orders");
    ReloadingTls withCert = closing(ReloadingTls.forClient(TlsSettings.client(ca.caCert())
        .withIdentity(orders.cert(), orders.key())));
    assertEquals(serial(pair.cert()), probe.connect(withCert));
    assertEquals("CN=orders", probe.lastClient.get());
  }

  @Test
  void mutualTlsRequiredRefusesClientCertificateFromAnotherCa() throws Exception {
    TestCerts other = TestCerts.ca(dir.resolve("other"), "other-ca");
    TestCerts.Pair pair = ca.server("server", "localhost");
    ReloadingTls server = closing(ReloadingTls.forServer(TlsSettings.server(pair.cert(), pair.key())
        .withClientAuth(TlsSettings.ClientAuth.REQUIRE, ca.caCert())));
    TlsProbe probe = closing(new TlsProbe(server));
    TestCerts.Pair stranger = other.client("stranger", null);

    ReloadingTls client = closing(ReloadingTls.forClient(TlsSettings.client(ca.caCert())
        .withIdentity(stranger.cert(), stranger.key())));
    assertThrows(IOException.class, () -> probe.connect(client));
  }

  @Test
  void optionalClientAuthAcceptsClientsWithAndWithoutCertificate() throws Exception {
    TestCerts.Pair pair = ca.server("server", "localhost");
    ReloadingTls server = closing(ReloadingTls.forServer(TlsSettings.server(pair.cert(), pair.key())
        .withClientAuth(TlsSettings.ClientAuth.OPTIONAL, ca.caCert())));
    TlsProbe probe = closing(new TlsProbe(server));

    probe.connect(client(ca.caCert()));
    assertEquals("none", probe.lastClient.get());
    TestCerts.Pair orders = ca.client("orders", null);
    probe.connect(closing(ReloadingTls.forClient(TlsSettings.client(ca.caCert())
        .withIdentity(orders.cert(), orders.key()))));
    assertEquals("CN=orders", probe.lastClient.get());
  }

  @Test
  void replacedServerCertificateIsUsedByNewHandshakes() throws Exception {
    TestCerts.Pair first = ca.server("first", "localhost");
    TestCerts.Pair second = ca.server("second", "localhost");
    TestCerts.Pair live = live("server", first);
    ReloadingTls server = server(live);
    TlsProbe probe = closing(new TlsProbe(server));
    ReloadingTls client = client(ca.caCert());
    assertEquals(serial(first.cert()), probe.connect(client));

    // Key first, then certificate: in between the pair does not match and must not be installed.
    replace(second.key(), live.key());
    replace(second.cert(), live.cert());

    BigInteger expected = serial(second.cert());
    Await.until("a new handshake presents the replaced certificate",
        () -> expected.equals(probe.tryConnect(client)));
    assertTrue(server.reloads() >= 1);
  }

  @Test
  void unusableReplacementKeepsThePreviousMaterialUntilFixed() throws Exception {
    TestCerts.Pair first = ca.server("first", "localhost");
    TestCerts.Pair second = ca.server("second", "localhost");
    TestCerts.Pair live = live("server", first);
    ReloadingTls server = server(live);
    TlsProbe probe = closing(new TlsProbe(server));
    ReloadingTls client = client(ca.caCert());

    Files.writeString(live.cert(), "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n",
        StandardCharsets.US_ASCII);
    Await.until("the broken certificate file is rejected", () -> server.reloadFailures() >= 1);
    assertEquals(serial(first.cert()), probe.connect(client));

    // A certificate whose key is not the one on disk: rejected as well.
    replace(second.cert(), live.cert());
    Await.until("the mismatched certificate is rejected", () -> server.reloadFailures() >= 2);
    assertEquals(serial(first.cert()), probe.connect(client));
    assertEquals(0, server.reloads());

    replace(second.key(), live.key());
    BigInteger expected = serial(second.cert());
    Await.until("the repaired pair is loaded", () -> expected.equals(probe.tryConnect(client)));
  }

  @Test
  void replacedCaBundleIsTrustedByNewHandshakes() throws Exception {
    TestCerts next = TestCerts.ca(dir.resolve("ca2"), "ca-two");
    Path trusted = dir.resolve("trusted-ca.pem");
    replace(ca.caCert(), trusted);
    ReloadingTls client = client(trusted);
    TestCerts.Pair fromNext = next.server("server", "localhost");
    TlsProbe probe = closing(new TlsProbe(server(fromNext)));
    assertNull(probe.tryConnect(client), "a certificate from a CA not yet trusted");

    // The rotation bundle: old and new CA together.
    Path both = dir.resolve("both.pem");
    Files.writeString(both, Files.readString(ca.caCert()) + Files.readString(next.caCert()));
    replace(both, trusted);

    BigInteger expected = serial(fromNext.cert());
    Await.until("the new CA is trusted", () -> expected.equals(probe.tryConnect(client)));
  }

  @Test
  void replacedClientCaIsUsedToVerifyClientCertificates() throws Exception {
    TestCerts next = TestCerts.ca(dir.resolve("ca2"), "ca-two");
    Path clientCa = dir.resolve("client-ca.pem");
    replace(ca.caCert(), clientCa);
    TestCerts.Pair pair = ca.server("server", "localhost");
    ReloadingTls server = closing(ReloadingTls.forServer(TlsSettings.server(pair.cert(), pair.key())
        .withClientAuth(TlsSettings.ClientAuth.REQUIRE, clientCa).withRefresh(FAST)));
    TlsProbe probe = closing(new TlsProbe(server));
    TestCerts.Pair orders = next.client("orders", null);
    ReloadingTls client = closing(ReloadingTls.forClient(TlsSettings.client(ca.caCert())
        .withIdentity(orders.cert(), orders.key())));
    assertNull(probe.tryConnect(client));

    replace(next.caCert(), clientCa);

    Await.until("client certificates of the new CA are accepted", () -> probe.tryConnect(client) != null);
  }

  @Test
  void missingOrInvalidFilesAtStartNameTheFileAndItsRole() throws Exception {
    TestCerts.Pair pair = ca.server("server", "localhost");
    TestCerts.Pair other = ca.server("other", "localhost");
    Path missing = dir.resolve("missing.pem");
    Path garbage = dir.resolve("garbage.pem");
    String secret = "c2VjcmV0LWtleS1ieXRlcw";
    Files.writeString(garbage, "-----BEGIN PRIVATE KEY-----\n" + secret + "\n-----END PRIVATE KEY-----\n");

    TlsFileException e = assertThrows(TlsFileException.class,
        () -> ReloadingTls.forServer(TlsSettings.server(missing, pair.key())));
    assertEquals(TlsFileException.Role.CERT, e.role());
    assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());

    e = assertThrows(TlsFileException.class, () -> ReloadingTls.forServer(TlsSettings.server(pair.cert(), garbage)));
    assertEquals(TlsFileException.Role.KEY, e.role());
    assertFalse(e.getMessage().contains(secret), "the key's contents never appear in messages");

    e = assertThrows(TlsFileException.class, () -> ReloadingTls.forServer(TlsSettings.server(pair.cert(), other.key())));
    assertEquals(TlsFileException.Role.KEY, e.role());
    assertTrue(e.getMessage().contains("does not match"), e.getMessage());

    e = assertThrows(TlsFileException.class, () -> ReloadingTls.forClient(TlsSettings.client(garbage)));
    assertEquals(TlsFileException.Role.CA, e.role());

    e = assertThrows(TlsFileException.class, () -> ReloadingTls.forServer(TlsSettings.server(pair.cert(), pair.key())
        .withClientAuth(TlsSettings.ClientAuth.REQUIRE, missing)));
    assertEquals(TlsFileException.Role.CA, e.role());
  }

  @Test
  void settingsRejectIncoherentCombinations() {
    Path f = dir.resolve("x");
    assertThrows(IllegalArgumentException.class, () -> new TlsSettings(f, null, null, TlsSettings.ClientAuth.NONE,
        TlsSettings.DEFAULT_REFRESH));
    assertThrows(IllegalArgumentException.class, () -> TlsSettings.client(f).withRefresh(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> ReloadingTls.forServer(TlsSettings.client(f)));
    assertThrows(IllegalArgumentException.class, () -> ReloadingTls.forServer(TlsSettings.server(f, f)
        .withClientAuth(TlsSettings.ClientAuth.REQUIRE, null)));
  }
}
