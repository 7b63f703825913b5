package dev.vertice.security.auth;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import dev.vertice.testkit.TestCerts;
import dev.vertice.testkit.TestJwts;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Findings of the adversarial review of issue 9 (identity mapping and JWT handling), fixed: a
 * subject with several CNs is refused, white space never maps a name onto another's role, and
 * out-of-range exp/nbf claims are authentication failures, never wrapped or thrown.
 */
class SecurityReviewTest {

  private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
  private static final byte[] SECRET = "0123456789abcdef0123456789abcdef-review".getBytes(StandardCharsets.US_ASCII);

  private final IdentityMapper mapper = new IdentityMapper("vertice",
      AuthPolicy.parse(new StringReader("role.edge-1 = gateway\nrole.alice = admin\n")));

  private static JwtVerifier verifier() {
    return JwtVerifier.builder().hs256Secret(SECRET).clock(Clock.fixed(NOW, ZoneOffset.UTC)).build();
  }

  /**
   * A subject with two CN values (a multi-valued RDN {@code CN=orders+CN=alice}) is ambiguous: which
   * one a CA checked is unknown, and the mapper picks the one that sorts first ("alice", an admin).
   * Secure behaviour: refuse a certificate whose subject holds more than one CN.
   */
  @Test
  void aCertificateWithTwoCommonNamesInOneRdnIsRefused(@TempDir Path dir) throws Exception {
    TestCerts ca = TestCerts.ca(dir, "ca");
    X509Certificate cert = load(ca.issue("orders+CN=alice", List.of(), "clientAuth").cert());
    assertRefused(cert);
  }

  /** Same with two RDNs ({@code CN=orders, CN=alice}): the first in DER order is taken, others ignored. */
  @Test
  void aCertificateWithTwoCommonNameRdnsIsRefused(@TempDir Path dir) throws Exception {
    TestCerts ca = TestCerts.ca(dir, "ca");
    X509Certificate cert = load(ca.issue("alice/CN=orders", List.of(), "clientAuth").cert());
    assertRefused(cert);
  }

  /**
   * {@code fromName} strips (Unicode) white space before the role lookup, so a CN or JWT subject
   * {@code "alice\u2003"} or {@code " alice"} — a different name to whoever issued it — takes the
   * admin role of {@code alice}. Secure behaviour: a name with surrounding white space is no name.
   */
  @Test
  void aNameWithSurroundingWhiteSpaceDoesNotTakeAnotherNamesRole() throws Exception {
    for (String name : List.of(" alice", "alice\u2003", "\talice\n")) {
      Identity id;
      try {
        id = mapper.fromName(name, "jwt:", Identity.Source.JWT);
      } catch (AuthenticationException refused) {
        continue;
      }
      assertNotEquals(Identity.Kind.ADMIN, id.kind(), "'" + name + "' became " + id.describe());
    }
  }

  /**
   * A signed token whose exp is far in the past (beyond Instant's range) makes {@code verify} throw
   * {@link java.time.DateTimeException} while building its error message, not an
   * AuthenticationException: AuthInterceptor does not catch it, so the call fails with UNKNOWN and
   * an exception escapes into gRPC's logs. Same for a far-future nbf.
   */
  @Test
  void anOutOfRangeExpOrNbfIsAnAuthenticationFailure() {
    JwtVerifier v = verifier();
    String farPast = TestJwts.hs256(SECRET, "{\"sub\":\"orders\",\"exp\":-40000000000000000}");
    assertThrows(AuthenticationException.class, () -> v.verify(farPast));
    String farFutureNbf = TestJwts.hs256(SECRET, "{\"sub\":\"orders\",\"exp\":" + (NOW.getEpochSecond() + 60)
        + ",\"nbf\":40000000000000000}");
    assertThrows(AuthenticationException.class, () -> v.verify(farFutureNbf));
  }

  /**
   * exp and nbf are read with {@code BigDecimal.longValue()}, which wraps silently: nbf = 2^64 (a
   * token not valid for ages) becomes 0 and the token is accepted now. Secure behaviour: a claim
   * outside the long range is refused.
   */
  @Test
  void aNumericClaimBeyondTheLongRangeIsRefusedNotWrapped() {
    JwtVerifier v = verifier();
    String wrapped = TestJwts.hs256(SECRET, "{\"sub\":\"orders\",\"exp\":" + (NOW.getEpochSecond() + 60)
        + ",\"nbf\":18446744073709551616}");
    assertThrows(AuthenticationException.class, () -> v.verify(wrapped));
  }

  private void assertRefused(X509Certificate cert) {
    Identity id;
    try {
      id = mapper.fromCertificate(cert);
    } catch (AuthenticationException refused) {
      return;
    }
    fail("subject " + cert.getSubjectX500Principal().getName() + " maps to " + id.describe());
  }

  private static X509Certificate load(Path pem) throws Exception {
    try (InputStream in = Files.newInputStream(pem)) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }
}
