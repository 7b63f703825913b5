package dev.vertice.testkit;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * {@code TestJwts} signs compact JWS tokens for tests with real keys (JDK HmacSHA256 and Ed25519),
 * including deliberately bad ones ({@code alg: none}, tampered payloads).
 *
 * <pre>{@code
 * String token = TestJwts.hs256(secret, "{\"sub\":\"orders\",\"exp\":" + exp + "}");
 * }</pre>
 */
public final class TestJwts {

  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  private TestJwts() {}

  /** {@code hs256} signs {@code claimsJson} with HMAC-SHA256 under {@code secret}. */
  public static String hs256(byte[] secret, String claimsJson) {
    String input = part("{\"alg\":\"HS256\",\"typ\":\"JWT\"}") + "." + part(claimsJson);
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      return input + "." + B64.encodeToString(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
    } catch (GeneralSecurityException e) {
      throw new AssertionError(e);
    }
  }

  /** {@code eddsa} signs {@code claimsJson} with Ed25519 private key {@code key}, header {@code alg: EdDSA}. */
  public static String eddsa(PrivateKey key, String claimsJson) {
    return signEd25519(key, "{\"alg\":\"EdDSA\",\"typ\":\"JWT\"}", claimsJson);
  }

  /** {@code signEd25519} signs {@code claimsJson} with {@code key} under any {@code headerJson} (alg confusion tests). */
  public static String signEd25519(PrivateKey key, String headerJson, String claimsJson) {
    String input = part(headerJson) + "." + part(claimsJson);
    try {
      Signature s = Signature.getInstance("Ed25519");
      s.initSign(key);
      s.update(input.getBytes(StandardCharsets.US_ASCII));
      return input + "." + B64.encodeToString(s.sign());
    } catch (GeneralSecurityException e) {
      throw new AssertionError(e);
    }
  }

  /** {@code unsigned} builds an {@code alg: none} token with an empty signature. */
  public static String unsigned(String claimsJson) {
    return part("{\"alg\":\"none\"}") + "." + part(claimsJson) + ".";
  }

  /** {@code withPayload} replaces the payload of {@code token}, keeping its header and signature (tampering). */
  public static String withPayload(String token, String claimsJson) {
    String[] p = token.split("\\.", -1);
    return p[0] + "." + part(claimsJson) + "." + p[2];
  }

  /** {@code ed25519} generates an Ed25519 key pair. */
  public static KeyPair ed25519() {
    try {
      return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new AssertionError(e);
    }
  }

  /** {@code publicKeyPem} renders {@code key} as a PEM {@code PUBLIC KEY} (X.509 SubjectPublicKeyInfo). */
  public static String publicKeyPem(PublicKey key) {
    return "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
        .encodeToString(key.getEncoded()) + "\n-----END PUBLIC KEY-----\n";
  }

  /** {@code claims} renders the usual claims: subject, expiry (epoch seconds) and an optional audience. */
  public static String claims(String sub, long exp, String aud) {
    return "{\"sub\":\"" + sub + "\",\"exp\":" + exp + (aud == null ? "" : ",\"aud\":\"" + aud + "\"") + "}";
  }

  private static String part(String json) {
    return B64.encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }
}
