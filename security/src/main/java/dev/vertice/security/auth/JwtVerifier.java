package dev.vertice.security.auth;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * {@code JwtVerifier} checks compact JWS tokens (RFC 7515/7519) signed with HS256 (a shared
 * secret) or EdDSA (an Ed25519 key pair; the control plane holds the public key) and returns their
 * subject.
 *
 * <p>Rules: the header's {@code alg} must be one for which a key is configured ({@code none} and
 * every other algorithm are rejected, so no algorithm confusion is possible); {@code exp} is
 * required, {@code nbf} is honoured, both with {@link #DEFAULT_CLOCK_SKEW} of allowance; {@code aud}, when an audience is configured, must name it (a string or an
 * array); {@code sub} is required. Tokens longer than {@link #MAX_TOKEN_CHARS} are rejected
 * unparsed. Errors never quote the token.
 *
 * <p>Signature checks are costly (Ed25519 in the JDK takes hundreds of microseconds), and a client
 * sends the same token on every call until it rotates it: the subject and validity window of the
 * last {@link #CACHE_SIZE} tokens that verified are kept, keyed by the SHA-256 of the whole token,
 * and {@code exp}/{@code nbf} are checked against the clock on every call. Thread-safe.
 */
public final class JwtVerifier {

  /** Shortest HS256 secret accepted (RFC 7518 3.2: at least the hash size). */
  public static final int MIN_HS256_SECRET_BYTES = 32;
  /** Longest token accepted. */
  public static final int MAX_TOKEN_CHARS = 8192;
  /** Verified tokens remembered (by digest) so that a repeated token skips the signature check. */
  public static final int CACHE_SIZE = 4096;
  /** Clock difference allowed between the token issuer and the control plane. */
  public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(30);

  private final byte[] hs256Secret;
  private final PublicKey ed25519;
  private final String audience;
  private final Clock clock;
  private final Duration skew;
  /** What a verified token established; time is checked on every use. */
  private record Verified(String subject, long exp, Long nbf) {}

  private final java.util.LinkedHashMap<String, Verified> verified = new java.util.LinkedHashMap<>(256, 0.75f, true) {
    private static final long serialVersionUID = 1L;

    @Override
    protected boolean removeEldestEntry(java.util.Map.Entry<String, Verified> eldest) {
      return size() > CACHE_SIZE;
    }
  }; // guarded by itself

  private JwtVerifier(Builder b) {
    this.hs256Secret = b.hs256Secret;
    this.ed25519 = b.ed25519;
    this.audience = b.audience;
    this.clock = b.clock;
    this.skew = DEFAULT_CLOCK_SKEW;
  }

  /** Returns a builder; at least one key must be set. */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns the verified subject ({@code sub}) of {@code token}. */
  public String verify(String token) throws AuthenticationException {
    if (token == null || token.isEmpty()) {
      throw new AuthenticationException("the bearer token is empty");
    }
    if (token.length() > MAX_TOKEN_CHARS) {
      throw new AuthenticationException("the bearer token is longer than " + MAX_TOKEN_CHARS + " characters");
    }
    String key = digest(token);
    Verified v;
    synchronized (verified) {
      v = verified.get(key);
    }
    if (v == null) {
      v = verifySignatureAndClaims(token);
      synchronized (verified) {
        verified.put(key, v);
      }
    }
    long now = clock.instant().getEpochSecond();
    long skewSeconds = skew.toSeconds();
    if (now - skewSeconds >= v.exp()) {
      throw new AuthenticationException("the token expired at " + java.time.Instant.ofEpochSecond(v.exp()));
    }
    if (v.nbf() != null && now + skewSeconds < v.nbf()) {
      throw new AuthenticationException("the token is not valid before " + java.time.Instant.ofEpochSecond(v.nbf()));
    }
    return v.subject();
  }

  private static String digest(String token) throws AuthenticationException {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
      return new String(d, StandardCharsets.ISO_8859_1);
    } catch (GeneralSecurityException e) {
      throw new AuthenticationException("SHA-256 is not available in this JVM");
    }
  }

  /** Checks everything but time: form, algorithm, signature, audience, subject, and that exp is present. */
  private Verified verifySignatureAndClaims(String token) throws AuthenticationException {
    int dot1 = token.indexOf('.');
    int dot2 = dot1 < 0 ? -1 : token.indexOf('.', dot1 + 1);
    if (dot1 < 0 || dot2 < 0 || token.indexOf('.', dot2 + 1) >= 0) {
      throw new AuthenticationException("the bearer token is not a compact JWS (header.payload.signature)");
    }
    JsonObject header = json(token.substring(0, dot1), "header");
    byte[] signingInput = token.substring(0, dot2).getBytes(StandardCharsets.US_ASCII);
    byte[] signature = base64(token.substring(dot2 + 1), "signature");
    String alg = string(header, "alg", "header");
    if (alg == null) {
      throw new AuthenticationException("the token header has no alg");
    }
    if (header.has("crit")) {
      throw new AuthenticationException("the token header has critical extensions, which are not supported");
    }
    switch (alg) {
      case "HS256" -> {
        if (hs256Secret == null) {
          throw new AuthenticationException("the token algorithm is not accepted (accepted: " + accepted() + ")");
        }
        if (!hmacMatches(signingInput, signature)) {
          throw new AuthenticationException("the token signature is invalid");
        }
      }
      case "EdDSA" -> {
        if (ed25519 == null) {
          throw new AuthenticationException("the token algorithm is not accepted (accepted: " + accepted() + ")");
        }
        if (!ed25519Matches(signingInput, signature)) {
          throw new AuthenticationException("the token signature is invalid");
        }
      }
      default -> throw new AuthenticationException("the token algorithm is not accepted (accepted: "
          + accepted() + ")");
    }
    // Claims are read only once the signature holds.
    JsonObject claims = json(token.substring(dot1 + 1, dot2), "payload");
    Long exp = number(claims, "exp");
    if (exp == null) {
      throw new AuthenticationException("the token has no exp (expiry) claim");
    }
    Long nbf = number(claims, "nbf");
    if (audience != null && !audienceMatches(claims.get("aud"))) {
      throw new AuthenticationException("the token is not meant for audience '" + audience + "'");
    }
    String sub = string(claims, "sub", "payload");
    if (sub == null || sub.isBlank()) {
      throw new AuthenticationException("the token has no sub (subject) claim");
    }
    return new Verified(sub, exp, nbf);
  }

  private String accepted() {
    return hs256Secret != null && ed25519 != null ? "HS256, EdDSA" : hs256Secret != null ? "HS256" : "EdDSA";
  }

  private boolean hmacMatches(byte[] input, byte[] signature) throws AuthenticationException {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(hs256Secret, "HmacSHA256"));
      return MessageDigest.isEqual(mac.doFinal(input), signature);
    } catch (GeneralSecurityException e) {
      throw new AuthenticationException("HS256 is not available in this JVM");
    }
  }

  private boolean ed25519Matches(byte[] input, byte[] signature) throws AuthenticationException {
    try {
      Signature verifier = Signature.getInstance("Ed25519");
      verifier.initVerify(ed25519);
      verifier.update(input);
      return verifier.verify(signature);
    } catch (java.security.SignatureException e) {
      return false;
    } catch (GeneralSecurityException e) {
      throw new AuthenticationException("Ed25519 is not available in this JVM");
    }
  }

  private boolean audienceMatches(JsonElement aud) {
    if (aud == null) {
      return false;
    }
    if (aud.isJsonPrimitive() && aud.getAsJsonPrimitive().isString()) {
      return audience.equals(aud.getAsString());
    }
    if (aud.isJsonArray()) {
      JsonArray a = aud.getAsJsonArray();
      for (JsonElement e : a) {
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isString() && audience.equals(e.getAsString())) {
          return true;
        }
      }
    }
    return false;
  }

  private static JsonObject json(String part, String what) throws AuthenticationException {
    byte[] raw = base64(part, what);
    try {
      JsonElement e = JsonParser.parseString(new String(raw, StandardCharsets.UTF_8));
      if (!e.isJsonObject()) {
        throw new AuthenticationException("the token " + what + " is not a JSON object");
      }
      return e.getAsJsonObject();
    } catch (JsonParseException | IllegalStateException e) {
      throw new AuthenticationException("the token " + what + " is not valid JSON");
    }
  }

  private static byte[] base64(String part, String what) throws AuthenticationException {
    try {
      return Base64.getUrlDecoder().decode(part);
    } catch (IllegalArgumentException e) {
      throw new AuthenticationException("the token " + what + " is not base64url");
    }
  }

  private static String string(JsonObject o, String name, String what) throws AuthenticationException {
    JsonElement e = o.get(name);
    if (e == null || e.isJsonNull()) {
      return null;
    }
    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
      throw new AuthenticationException("the token " + what + "'s " + name + " is not a string");
    }
    return e.getAsString();
  }

  private static Long number(JsonObject o, String name) throws AuthenticationException {
    JsonElement e = o.get(name);
    if (e == null || e.isJsonNull()) {
      return null;
    }
    if (!e.isJsonPrimitive() || !((JsonPrimitive) e).isNumber()) {
      throw new AuthenticationException("the token's " + name + " claim is not a number");
    }
    java.math.BigDecimal v;
    try {
      v = e.getAsBigDecimal();
    } catch (NumberFormatException | ArithmeticException x) {
      throw new AuthenticationException("the token's " + name + " claim is not a number");
    }
    // A NumericDate between 1970 and the end of year 9999: never wrapped (2^64 must not become 0) and
    // always printable as an Instant.
    if (v.signum() < 0 || v.compareTo(MAX_NUMERIC_DATE) > 0) {
      throw new AuthenticationException("the token's " + name + " claim is outside 0.." + MAX_NUMERIC_DATE);
    }
    return v.longValue();
  }

  /** Latest NumericDate accepted in a claim: 9999-12-31T23:59:59Z. */
  private static final java.math.BigDecimal MAX_NUMERIC_DATE = java.math.BigDecimal.valueOf(253_402_300_799L);

  @Override
  public String toString() {
    // Never the secret.
    return "JwtVerifier[" + accepted() + (audience == null ? "" : ", audience " + audience) + ", skew " + skew + "]";
  }

  /** {@code Builder} configures a {@link JwtVerifier}; setters fail fast on bad keys. */
  public static final class Builder {
    private byte[] hs256Secret;
    private PublicKey ed25519;
    private String audience;
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    /** Accepts HS256 tokens signed with {@code secret} (at least {@link #MIN_HS256_SECRET_BYTES} bytes). */
    public Builder hs256Secret(byte[] secret) {
      if (secret == null || secret.length < MIN_HS256_SECRET_BYTES) {
        throw new IllegalArgumentException("the HS256 secret has " + (secret == null ? 0 : secret.length)
            + " bytes; at least " + MIN_HS256_SECRET_BYTES + " are required");
      }
      this.hs256Secret = Arrays.copyOf(secret, secret.length);
      return this;
    }

    /**
     * Accepts HS256 tokens signed with the secret held in {@code file} (its bytes, trailing
     * white space — a final newline — removed).
     */
    public Builder hs256SecretFile(Path file) {
      byte[] raw;
      try {
        raw = Files.readAllBytes(file);
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read the HS256 secret file " + file + ": "
            + e.getClass().getSimpleName());
      }
      int end = raw.length;
      while (end > 0 && (raw[end - 1] == '\n' || raw[end - 1] == '\r' || raw[end - 1] == ' ' || raw[end - 1] == '\t')) {
        end--;
      }
      try {
        return hs256Secret(Arrays.copyOf(raw, end));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("HS256 secret file " + file + ": " + e.getMessage());
      } finally {
        Arrays.fill(raw, (byte) 0);
      }
    }

    /** Accepts EdDSA tokens verified with Ed25519 public key {@code key}. */
    public Builder ed25519PublicKey(PublicKey key) {
      Objects.requireNonNull(key, "key");
      try {
        Signature.getInstance("Ed25519").initVerify(key);
      } catch (InvalidKeyException e) {
        throw new IllegalArgumentException("not an Ed25519 public key: " + key.getAlgorithm());
      } catch (GeneralSecurityException e) {
        throw new IllegalArgumentException("Ed25519 is not available in this JVM");
      }
      this.ed25519 = key;
      return this;
    }

    /** Accepts EdDSA tokens verified with the Ed25519 public key in PEM file {@code file} ({@code BEGIN PUBLIC KEY}). */
    public Builder ed25519PublicKeyFile(Path file) {
      String pem;
      try {
        pem = Files.readString(file, StandardCharsets.US_ASCII);
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read the Ed25519 public key file " + file + ": "
            + e.getClass().getSimpleName());
      }
      int begin = pem.indexOf("-----BEGIN PUBLIC KEY-----");
      int end = pem.indexOf("-----END PUBLIC KEY-----");
      if (begin < 0 || end < begin) {
        throw new IllegalArgumentException("Ed25519 public key file " + file
            + " holds no PEM public key (-----BEGIN PUBLIC KEY-----)");
      }
      String body = pem.substring(begin + "-----BEGIN PUBLIC KEY-----".length(), end).replaceAll("\\s", "");
      try {
        PublicKey key = KeyFactory.getInstance("Ed25519")
            .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(body)));
        return ed25519PublicKey(key);
      } catch (GeneralSecurityException | IllegalArgumentException e) {
        throw new IllegalArgumentException("Ed25519 public key file " + file + " holds no Ed25519 public key");
      }
    }

    /** Requires tokens to name {@code audience} in {@code aud}; null (default) checks no audience. */
    public Builder audience(String audience) {
      if (audience != null && audience.isBlank()) {
        throw new IllegalArgumentException("the JWT audience is blank");
      }
      this.audience = audience;
      return this;
    }

    /** The wall clock that {@code exp} and {@code nbf} are compared with; tests pass a fake one. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Builds the verifier. */
    public JwtVerifier build() {
      if (hs256Secret == null && ed25519 == null) {
        throw new IllegalArgumentException("no JWT key configured: set an HS256 secret or an Ed25519 public key");
      }
      return new JwtVerifier(this);
    }
  }
}
