package dev.vertice.security.auth;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Objects;
import java.util.Set;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * {@code AuthInterceptor} authenticates every call and applies the per-method role rules that need
 * no request content; it puts the caller's {@link Identity} in the call's context for the services
 * ({@link AuthContext#identity()}).
 *
 * <p>Identity: from the client certificate of the TLS session ({@link IdentityMapper#fromCertificate})
 * and from an {@code authorization: Bearer <JWT>} header ({@link JwtVerifier}, subject mapped with
 * {@link IdentityMapper#fromName}). When both are present they must name the same caller (kind and
 * name) and the certificate's identity is used; when they disagree the call is refused. A call with
 * neither, or with one that does not verify, is refused with UNAUTHENTICATED (the message says why,
 * never quoting the token). {@code grpc.health.v1.Health} is open to everyone.
 *
 * <p>Roles per gRPC service: CanaryService needs ADMIN; StatsService GATEWAY or ADMIN; every other
 * service (registry, discovery, ADS, reflection) any identity, with request-dependent checks left to
 * the {@link Authorizer}. Refusals are logged to the {@link DenialLog}. Failed authentications are
 * counted per client address ({@link PeerFailureLimit}). Place it after tracing and
 * metrics so that refused calls are still traced and counted.
 */
public final class AuthInterceptor implements ServerInterceptor {

  /** The gRPC health service, open to everyone. */
  public static final String HEALTH_SERVICE = "grpc.health.v1.Health";
  /** Services that need the ADMIN role. */
  public static final Set<String> ADMIN_SERVICES = Set.of("vertice.canary.v1.CanaryService");
  /** Services that need the GATEWAY or ADMIN role. */
  public static final Set<String> GATEWAY_SERVICES = Set.of("vertice.stats.v1.StatsService");

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final IdentityMapper mapper;
  private final JwtVerifier jwt;
  private final DenialLog denials;
  private final PeerFailureLimit failures;

  /**
   * Creates the interceptor with {@link PeerFailureLimit#ofDefaults()}.
   *
   * @param jwt verifies bearer tokens; null when tokens are not accepted (then only mTLS identifies)
   */
  public AuthInterceptor(IdentityMapper mapper, JwtVerifier jwt, DenialLog denials) {
    this(mapper, jwt, denials, PeerFailureLimit.ofDefaults());
  }

  /**
   * Creates the interceptor; an address that failed to authenticate more than {@code failures}
   * allows is refused with RESOURCE_EXHAUSTED before anything is verified.
   */
  public AuthInterceptor(IdentityMapper mapper, JwtVerifier jwt, DenialLog denials, PeerFailureLimit failures) {
    this.mapper = Objects.requireNonNull(mapper, "mapper");
    this.jwt = jwt;
    this.denials = Objects.requireNonNull(denials, "denials");
    this.failures = Objects.requireNonNull(failures, "failures");
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
      ServerCallHandler<ReqT, RespT> next) {
    String service = call.getMethodDescriptor().getServiceName();
    if (HEALTH_SERVICE.equals(service)) {
      return next.startCall(call, headers);
    }
    String method = call.getMethodDescriptor().getFullMethodName();
    SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
    InetAddress ip = remote instanceof InetSocketAddress isa ? isa.getAddress() : null;
    if (ip != null && !failures.mayAttempt(ip)) {
      String why = "more than " + failures.limit() + " failed authentications from this address";
      denials.denied(peer(remote), method, why);
      return refuse(call, Status.RESOURCE_EXHAUSTED.withDescription(why + "; retry later"));
    }
    Identity id;
    try {
      id = authenticate(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION), headers.get(AUTHORIZATION));
    } catch (AuthenticationException e) {
      if (ip != null) {
        failures.failed(ip);
      }
      denials.denied(peer(remote), method, e.getMessage());
      return refuse(call, Status.UNAUTHENTICATED.withDescription(e.getMessage()));
    }
    String roleProblem = roleProblem(id, service);
    if (roleProblem != null) {
      denials.denied(id.describe(), method, roleProblem);
      return refuse(call, Status.PERMISSION_DENIED.withDescription(method + " by " + id.describe() + ": "
          + roleProblem));
    }
    Context ctx = AuthContext.with(Context.current(), id);
    return Contexts.interceptCall(ctx, call, headers, next);
  }

  /**
   * {@code authenticateHttp} identifies the caller of an HTTP request (the web console on the admin
   * port) exactly as a gRPC call: from the client certificate of {@code session} (null over plain
   * HTTP) and the {@code authorization} header (null when absent), with the same failure limit per
   * client address and the same denial log.
   *
   * @param what what was asked for, for the denial log (a method and path)
   * @throws AuthenticationException when the caller cannot be identified, or its address failed too often
   */
  public Identity authenticateHttp(InetAddress ip, SSLSession session, String authorization, String what)
      throws AuthenticationException {
    if (ip != null && !failures.mayAttempt(ip)) {
      String why = "more than " + failures.limit() + " failed authentications from this address; retry later";
      denials.denied("unauthenticated peer " + ip.getHostAddress(), what, why);
      throw new AuthenticationException(why);
    }
    try {
      return authenticate(session, authorization);
    } catch (AuthenticationException e) {
      if (ip != null) {
        failures.failed(ip);
      }
      denials.denied(ip == null ? "an unauthenticated peer" : "unauthenticated peer " + ip.getHostAddress(), what,
          e.getMessage());
      throw e;
    }
  }

  /** Returns why {@code id} may not call {@code service} at all, or null when it may. */
  static String roleProblem(Identity id, String service) {
    if (ADMIN_SERVICES.contains(service) && id.kind() != Identity.Kind.ADMIN) {
      return "the admin role is required";
    }
    if (GATEWAY_SERVICES.contains(service) && id.kind() != Identity.Kind.GATEWAY
        && id.kind() != Identity.Kind.ADMIN) {
      return "the gateway or admin role is required";
    }
    return null;
  }

  /** Derives the caller's identity from the TLS session and the authorization header. */
  Identity authenticate(SSLSession session, String authorization) throws AuthenticationException {
    Identity fromCert = null;
    if (session != null) {
      X509Certificate cert = peerCertificate(session);
      if (cert != null) {
        fromCert = mapper.fromCertificate(cert);
      }
    }
    Identity fromToken = null;
    if (authorization != null) {
      fromToken = fromToken(authorization);
    }
    if (fromCert != null && fromToken != null) {
      if (!fromCert.sameAs(fromToken)) {
        throw new AuthenticationException("the client certificate identifies " + fromCert.describe()
            + " but the bearer token " + fromToken.describe() + "; they must agree");
      }
      return fromCert;
    }
    if (fromCert != null) {
      return fromCert;
    }
    if (fromToken != null) {
      return fromToken;
    }
    throw new AuthenticationException("authentication required: present a client certificate (mTLS)"
        + (jwt != null ? " or an authorization: Bearer <JWT> header" : ""));
  }

  private Identity fromToken(String authorization) throws AuthenticationException {
    String prefix = "bearer ";
    if (authorization.length() <= prefix.length()
        || !authorization.regionMatches(true, 0, prefix, 0, prefix.length())) {
      throw new AuthenticationException("the authorization header is not 'Bearer <token>'");
    }
    if (jwt == null) {
      throw new AuthenticationException("bearer tokens are not accepted by this server (no JWT key configured)");
    }
    String sub = jwt.verify(authorization.substring(prefix.length()).strip());
    return mapper.fromName(sub, "jwt:", Identity.Source.JWT);
  }

  private static X509Certificate peerCertificate(SSLSession session) {
    try {
      Certificate[] chain = session.getPeerCertificates();
      return chain.length > 0 && chain[0] instanceof X509Certificate x ? x : null;
    } catch (SSLPeerUnverifiedException e) {
      return null;
    }
  }

  private static String peer(SocketAddress address) {
    return address == null ? "an unauthenticated peer" : "unauthenticated peer " + address;
  }

  private static <ReqT, RespT> ServerCall.Listener<ReqT> refuse(ServerCall<ReqT, RespT> call, Status status) {
    call.close(status, new Metadata());
    return new ServerCall.Listener<>() {};
  }
}
