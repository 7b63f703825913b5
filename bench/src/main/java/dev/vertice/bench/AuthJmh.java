package dev.vertice.bench;

import dev.vertice.security.auth.AuthPolicy;
import dev.vertice.security.auth.AuthenticationException;
import dev.vertice.security.auth.Identity;
import dev.vertice.security.auth.IdentityMapper;
import dev.vertice.security.auth.JwtVerifier;
import dev.vertice.security.auth.RateLimits;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * {@code AuthJmh} measures what auth adds to a control-plane call: verifying a bearer token (HS256,
 * EdDSA) and mapping its subject to an identity, which every call with a token pays — a token seen
 * before (the verifier remembers {@link JwtVerifier#CACHE_SIZE} verified tokens) and a token seen for
 * the first time (cycling through twice as many distinct tokens as are remembered) — and taking a
 * per-identity rate-limit permit (Register, SetHealth, Watch subscribe).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class AuthJmh {

  private JwtVerifier verifier;
  private IdentityMapper mapper;
  private String hs256Token;
  private String eddsaToken;
  private RateLimits limits;
  private Identity identity;
  private String[] hs256Fresh;
  private String[] eddsaFresh;
  private int next;

  /** Signs one token of each kind, valid for an hour. */
  @Setup
  public void setUp() throws GeneralSecurityException {
    byte[] secret = "bench-secret-bench-secret-bench-secret".getBytes(StandardCharsets.US_ASCII);
    KeyPair ed = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    verifier = JwtVerifier.builder().hs256Secret(secret).ed25519PublicKey(ed.getPublic()).audience("vertice").build();
    mapper = new IdentityMapper("vertice", AuthPolicy.empty());
    long exp = Instant.now().plus(Duration.ofHours(1)).getEpochSecond();
    String claims = "{\"sub\":\"spiffe://vertice/service/orders\",\"aud\":\"vertice\",\"exp\":" + exp + "}";
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    int fresh = JwtVerifier.CACHE_SIZE * 2;
    hs256Fresh = new String[fresh];
    eddsaFresh = new String[fresh];
    Mac hmac = Mac.getInstance("HmacSHA256");
    hmac.init(new SecretKeySpec(secret, "HmacSHA256"));
    Signature signer = Signature.getInstance("Ed25519");
    signer.initSign(ed.getPrivate());
    for (int i = 0; i < fresh; i++) {
      String c = "{\"sub\":\"spiffe://vertice/service/orders\",\"aud\":\"vertice\",\"jti\":\"" + i
          + "\",\"exp\":" + exp + "}";
      String hs = b64.encodeToString("{\"alg\":\"HS256\"}".getBytes(StandardCharsets.UTF_8)) + "."
          + b64.encodeToString(c.getBytes(StandardCharsets.UTF_8));
      hs256Fresh[i] = hs + "." + b64.encodeToString(hmac.doFinal(hs.getBytes(StandardCharsets.US_ASCII)));
      String e = b64.encodeToString("{\"alg\":\"EdDSA\"}".getBytes(StandardCharsets.UTF_8)) + "."
          + b64.encodeToString(c.getBytes(StandardCharsets.UTF_8));
      signer.update(e.getBytes(StandardCharsets.US_ASCII));
      eddsaFresh[i] = e + "." + b64.encodeToString(signer.sign());
    }
    String hsInput = b64.encodeToString("{\"alg\":\"HS256\"}".getBytes(StandardCharsets.UTF_8)) + "."
        + b64.encodeToString(claims.getBytes(StandardCharsets.UTF_8));
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret, "HmacSHA256"));
    hs256Token = hsInput + "." + b64.encodeToString(mac.doFinal(hsInput.getBytes(StandardCharsets.US_ASCII)));
    String edInput = b64.encodeToString("{\"alg\":\"EdDSA\"}".getBytes(StandardCharsets.UTF_8)) + "."
        + b64.encodeToString(claims.getBytes(StandardCharsets.UTF_8));
    Signature s = Signature.getInstance("Ed25519");
    s.initSign(ed.getPrivate());
    s.update(edInput.getBytes(StandardCharsets.US_ASCII));
    eddsaToken = edInput + "." + b64.encodeToString(s.sign());
    // Permits never run out here: the cost measured is the lookup and the permit, not a refusal.
    limits = new RateLimits(RateLimits.Limit.perSecond(Integer.MAX_VALUE / 2),
        RateLimits.Limit.perSecond(Integer.MAX_VALUE / 2), RateLimits.Limit.perSecond(Integer.MAX_VALUE / 2),
        RateLimits.DEFAULT_MAX_IDENTITIES);
    identity = new Identity(Identity.Kind.SERVICE, "orders", "spiffe://vertice/service/orders", Identity.Source.JWT);
  }

  /** An HS256 token never seen (or long forgotten): signature checked. */
  @Benchmark
  public Identity hs256TokenFirstSeen() throws AuthenticationException {
    String t = hs256Fresh[next++ & (hs256Fresh.length - 1)];
    return mapper.fromName(verifier.verify(t), "jwt:", Identity.Source.JWT);
  }

  /** An EdDSA token never seen (or long forgotten): Ed25519 signature checked. */
  @Benchmark
  public Identity eddsaTokenFirstSeen() throws AuthenticationException {
    String t = eddsaFresh[next++ & (eddsaFresh.length - 1)];
    return mapper.fromName(verifier.verify(t), "jwt:", Identity.Source.JWT);
  }

  /** The same HS256 token again (a client's calls until it rotates its token). */
  @Benchmark
  public Identity hs256Token() throws AuthenticationException {
    return mapper.fromName(verifier.verify(hs256Token), "jwt:", Identity.Source.JWT);
  }

  /** The same EdDSA token again. */
  @Benchmark
  public Identity eddsaToken() throws AuthenticationException {
    return mapper.fromName(verifier.verify(eddsaToken), "jwt:", Identity.Source.JWT);
  }

  /** One per-identity rate-limit permit. */
  @Benchmark
  public boolean rateLimitPermit() {
    return limits.tryAcquire(identity, RateLimits.Operation.REGISTER);
  }
}
