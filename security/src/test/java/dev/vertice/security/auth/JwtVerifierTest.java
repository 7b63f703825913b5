package dev.vertice.security.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.testkit.TestJwts;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JwtVerifierTest {

  private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
  private static final byte[] SECRET = "0123456789abcdef0123456789abcdef-test".getBytes(StandardCharsets.US_ASCII);
  private final KeyPair ed = TestJwts.ed25519();

  private JwtVerifier verifier(Instant now, String audience) {
    return JwtVerifier.builder().hs256Secret(SECRET).ed25519PublicKey(ed.getPublic()).audience(audience)
        .clock(Clock.fixed(now, ZoneOffset.UTC)).build();
  }

  private static long exp(Duration fromNow) {
    return NOW.plus(fromNow).getEpochSecond();
  }

  private static String rejection(JwtVerifier v, String token) {
    AuthenticationException e = assertThrows(AuthenticationException.class, () -> v.verify(token));
    assertFalse(e.getMessage().contains(token), "the message must not echo the token");
    return e.getMessage();
  }

  @Test
  void validHs256AndEdDsaTokensYieldTheirSubject() throws Exception {
    JwtVerifier v = verifier(NOW, null);
    assertEquals("orders", v.verify(TestJwts.hs256(SECRET, TestJwts.claims("orders", exp(Duration.ofMinutes(5)), null))));
    assertEquals("spiffe://vertice/gateway/edge", v.verify(TestJwts.eddsa(ed.getPrivate(),
        TestJwts.claims("spiffe://vertice/gateway/edge", exp(Duration.ofMinutes(5)), null))));
  }

  @Test
  void expiredTokenIsRejectedAfterTheSkew() throws Exception {
    String token = TestJwts.hs256(SECRET, TestJwts.claims("orders", exp(Duration.ZERO), null));
    // Within the 30 s skew it is still accepted; beyond it, not.
    assertEquals("orders", verifier(NOW.plusSeconds(29), null).verify(token));
    assertTrue(rejection(verifier(NOW.plusSeconds(31), null), token).contains("expired"));
  }

  @Test
  void aRememberedTokenStillExpiresAndATamperedCopyIsStillChecked() throws Exception {
    java.util.concurrent.atomic.AtomicReference<Instant> now = new java.util.concurrent.atomic.AtomicReference<>(NOW);
    Clock moving = new Clock() {
      @Override
      public java.time.ZoneId getZone() {
        return ZoneOffset.UTC;
      }

      @Override
      public Clock withZone(java.time.ZoneId zone) {
        return this;
      }

      @Override
      public Instant instant() {
        return now.get();
      }
    };
    JwtVerifier v = JwtVerifier.builder().ed25519PublicKey(ed.getPublic()).clock(moving).build();
    String token = TestJwts.eddsa(ed.getPrivate(), TestJwts.claims("orders", exp(Duration.ofMinutes(1)), null));
    assertEquals("orders", v.verify(token));
    assertEquals("orders", v.verify(token));
    String tampered = TestJwts.withPayload(token, TestJwts.claims("admin", exp(Duration.ofMinutes(1)), null));
    assertTrue(rejection(v, tampered).contains("signature is invalid"));
    now.set(NOW.plus(Duration.ofMinutes(2)));
    assertTrue(rejection(v, token).contains("expired"));
  }

  @Test
  void missingExpAndFutureNbfAreRejected() {
    JwtVerifier v = verifier(NOW, null);
    assertTrue(rejection(v, TestJwts.hs256(SECRET, "{\"sub\":\"orders\"}")).contains("no exp"));
    String early = TestJwts.hs256(SECRET, "{\"sub\":\"orders\",\"exp\":" + exp(Duration.ofHours(1))
        + ",\"nbf\":" + exp(Duration.ofMinutes(5)) + "}");
    assertTrue(rejection(v, early).contains("not valid before"));
  }

  @Test
  void wronglySignedTamperedAndUnsignedTokensAreRejected() {
    JwtVerifier v = verifier(NOW, null);
    byte[] other = Arrays.copyOf(SECRET, SECRET.length);
    other[0] ^= 1;
    String claims = TestJwts.claims("orders", exp(Duration.ofMinutes(5)), null);
    assertTrue(rejection(v, TestJwts.hs256(other, claims)).contains("signature is invalid"));
    assertTrue(rejection(v, TestJwts.eddsa(TestJwts.ed25519().getPrivate(), claims)).contains("signature is invalid"));
    String tampered = TestJwts.withPayload(TestJwts.hs256(SECRET, claims),
        TestJwts.claims("payments", exp(Duration.ofMinutes(5)), null));
    assertTrue(rejection(v, tampered).contains("signature is invalid"));
    assertTrue(rejection(v, TestJwts.unsigned(claims)).contains("algorithm is not accepted"));
    assertTrue(rejection(v, "not-a-token").contains("not a compact JWS"));
  }

  @Test
  void algorithmConfusionIsRejected() throws Exception {
    String claims = TestJwts.claims("orders", exp(Duration.ofMinutes(5)), null);
    // A verifier holding only the Ed25519 public key must not accept HS256 tokens, whatever the secret
    // (classic confusion: HMAC keyed with the public key's bytes).
    JwtVerifier edOnly = JwtVerifier.builder().ed25519PublicKey(ed.getPublic()).clock(Clock.fixed(NOW, ZoneOffset.UTC))
        .build();
    assertTrue(rejection(edOnly, TestJwts.hs256(ed.getPublic().getEncoded(), claims)).contains("algorithm is not accepted"));
    // An Ed25519 signature presented as HS256 does not verify as an HMAC.
    JwtVerifier v = verifier(NOW, null);
    String mislabelled = TestJwts.signEd25519(ed.getPrivate(), "{\"alg\":\"HS256\"}", claims);
    assertTrue(rejection(v, mislabelled).contains("signature is invalid"));
    assertTrue(rejection(v, TestJwts.signEd25519(ed.getPrivate(), "{\"alg\":\"RS256\"}", claims))
        .contains("algorithm is not accepted"));
  }

  @Test
  void audienceIsCheckedWhenConfigured() throws Exception {
    JwtVerifier v = verifier(NOW, "vertice");
    long e = exp(Duration.ofMinutes(5));
    assertEquals("orders", v.verify(TestJwts.hs256(SECRET, TestJwts.claims("orders", e, "vertice"))));
    assertEquals("orders", v.verify(TestJwts.hs256(SECRET, "{\"sub\":\"orders\",\"exp\":" + e
        + ",\"aud\":[\"x\",\"vertice\"]}")));
    assertTrue(rejection(v, TestJwts.hs256(SECRET, TestJwts.claims("orders", e, "elsewhere"))).contains("audience"));
    assertTrue(rejection(v, TestJwts.hs256(SECRET, TestJwts.claims("orders", e, null))).contains("audience"));
  }

  @Test
  void keysAreReadFromFilesAndBadKeysFailNamingTheFile(@TempDir Path dir) throws Exception {
    Path secret = Files.write(dir.resolve("secret"), (new String(SECRET, StandardCharsets.US_ASCII) + "\n")
        .getBytes(StandardCharsets.US_ASCII));
    Path pub = Files.writeString(dir.resolve("ed.pem"), TestJwts.publicKeyPem(ed.getPublic()));
    JwtVerifier v = JwtVerifier.builder().hs256SecretFile(secret).ed25519PublicKeyFile(pub)
        .clock(Clock.fixed(NOW, ZoneOffset.UTC)).build();
    String claims = TestJwts.claims("orders", exp(Duration.ofMinutes(5)), null);
    assertEquals("orders", v.verify(TestJwts.hs256(SECRET, claims)));
    assertEquals("orders", v.verify(TestJwts.eddsa(ed.getPrivate(), claims)));

    Path shortSecret = Files.writeString(dir.resolve("short"), "too-short-secret");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> JwtVerifier.builder().hs256SecretFile(shortSecret));
    assertTrue(e.getMessage().contains(shortSecret.toString()) && e.getMessage().contains("at least 32"));
    assertFalse(e.getMessage().contains("too-short-secret"), "the secret must not appear in errors");
    Path notPem = Files.writeString(dir.resolve("bad.pem"), "hello");
    assertTrue(assertThrows(IllegalArgumentException.class, () -> JwtVerifier.builder().ed25519PublicKeyFile(notPem))
        .getMessage().contains(notPem.toString()));
    assertThrows(IllegalArgumentException.class, () -> JwtVerifier.builder().build());
    assertFalse(v.toString().contains(new String(SECRET, StandardCharsets.US_ASCII)));
  }
}
