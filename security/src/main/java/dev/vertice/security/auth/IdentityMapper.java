package dev.vertice.security.auth;

import dev.vertice.common.ServiceNames;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * {@code IdentityMapper} turns what a verified certificate or token names into an {@link Identity}.
 *
 * <ul>
 *   <li>A SPIFFE id {@code spiffe://<trust-domain>/service/<svc>} is SERVICE {@code svc} (normalised
 *       with {@link ServiceNames}), {@code /gateway/<name>} GATEWAY, {@code /admin/<name>} ADMIN. Another
 *       trust domain or another path is no identity.
 *   <li>A certificate with a SPIFFE URI SAN is mapped from it (exactly one SPIFFE URI SAN allowed);
 *       without one, from its subject CN, which is only ever a plain name: a CN spelled like a SPIFFE
 *       id ({@code CN=spiffe://vertice/admin/x}) is no identity, since SPIFFE ids are carried by URI
 *       SANs and a CA that checks names may not check a CN's path.
 *   <li>A JWT {@code sub} that is a SPIFFE id is mapped as above (the token's signer vouches for it).
 *   <li>A plain name (a CN or a {@code sub}) gets its role from the {@link AuthPolicy}
 *       ({@code role.<name>}), and is otherwise SERVICE {@code name}.
 * </ul>
 *
 * Immutable and thread-safe.
 */
public final class IdentityMapper {

  /** The trust domain used when none is configured. */
  public static final String DEFAULT_TRUST_DOMAIN = "vertice";

  private static final Pattern TRUST_DOMAIN = Pattern.compile("[a-z0-9._-]{1,255}");
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._-]{1,128}");
  /** Subject alternative name type of a URI (RFC 5280). */
  private static final int SAN_URI = 6;

  private final String trustDomain;
  private final AuthPolicy policy;

  /**
   * Creates a mapper accepting SPIFFE ids of {@code trustDomain} and plain-name roles from {@code policy}.
   *
   * @throws IllegalArgumentException when the trust domain is not a valid SPIFFE trust domain
   */
  public IdentityMapper(String trustDomain, AuthPolicy policy) {
    if (trustDomain == null || !TRUST_DOMAIN.matcher(trustDomain).matches()) {
      throw new IllegalArgumentException("trust domain '" + trustDomain
          + "' is not valid: 1-255 characters of a-z, 0-9, '.', '_' and '-'");
    }
    this.trustDomain = trustDomain;
    this.policy = policy;
  }

  /** Returns the accepted trust domain. */
  public String trustDomain() {
    return trustDomain;
  }

  /** Returns the policy giving plain names their roles. */
  public AuthPolicy policy() {
    return policy;
  }

  /** Maps a SPIFFE id; {@code source} says how it was proven. */
  public Identity fromSpiffeId(String id, Identity.Source source) throws AuthenticationException {
    String prefix = "spiffe://";
    if (!id.regionMatches(true, 0, prefix, 0, prefix.length())) {
      throw new AuthenticationException("'" + clip(id) + "' is not a SPIFFE id");
    }
    String rest = id.substring(prefix.length());
    int slash = rest.indexOf('/');
    String domain = slash < 0 ? rest : rest.substring(0, slash);
    if (!domain.toLowerCase(Locale.ROOT).equals(trustDomain)) {
      throw new AuthenticationException("SPIFFE id '" + clip(id) + "' is not in trust domain '" + trustDomain + "'");
    }
    String[] path = slash < 0 ? new String[0] : rest.substring(slash + 1).split("/", -1);
    if (path.length != 2 || !SEGMENT.matcher(path[1]).matches()) {
      throw new AuthenticationException("SPIFFE id '" + clip(id)
          + "' has no identity path: expected /service/<name>, /gateway/<name> or /admin/<name>");
    }
    return switch (path[0]) {
      case "service" -> new Identity(Identity.Kind.SERVICE, service(path[1], id), id, source);
      case "gateway" -> new Identity(Identity.Kind.GATEWAY, path[1], id, source);
      case "admin" -> new Identity(Identity.Kind.ADMIN, path[1], id, source);
      default -> throw new AuthenticationException("SPIFFE id '" + clip(id)
          + "' has no identity path: expected /service/<name>, /gateway/<name> or /admin/<name>");
    };
  }

  /**
   * Maps a JWT subject: a SPIFFE id or a plain name; {@code principalPrefix} ({@code jwt:}) marks
   * where a plain name came from in {@link Identity#principal}. Never use it for a certificate's CN
   * ({@link #fromCertificate} maps a CN as a plain name only).
   */
  public Identity fromName(String name, String principalPrefix, Identity.Source source)
      throws AuthenticationException {
    if (name != null && name.regionMatches(true, 0, "spiffe://", 0, "spiffe://".length())) {
      return fromSpiffeId(name, source);
    }
    return fromPlainName(name, principalPrefix, source);
  }

  /** Maps a plain name (never a SPIFFE id): its role from the policy, else SERVICE {@code name}. */
  private Identity fromPlainName(String name, String principalPrefix, Identity.Source source)
      throws AuthenticationException {
    if (name == null || name.isBlank()) {
      throw new AuthenticationException("no subject name");
    }
    // Never stripped: " alice" or "alice\u2003" may be another name to the issuer, and must not take
    // alice's role. White space fails the name pattern below.
    String n = name;
    if (!SEGMENT.matcher(n).matches()) {
      throw new AuthenticationException("subject '" + clip(n) + "' is not a name: 1-128 characters of A-Z, a-z,"
          + " 0-9, '.', '_' and '-'");
    }
    Optional<Identity.Kind> role = policy.role(n);
    if (role.isPresent()) {
      return new Identity(role.get(), n, principalPrefix + n, source);
    }
    return new Identity(Identity.Kind.SERVICE, service(n, n), principalPrefix + n, source);
  }

  /**
   * Maps a client certificate verified by the TLS handshake: its SPIFFE URI SAN, else its CN as a
   * plain name (a CN that looks like a SPIFFE id is refused).
   */
  public Identity fromCertificate(X509Certificate cert) throws AuthenticationException {
    List<String> spiffe = new ArrayList<>();
    try {
      Collection<List<?>> sans = cert.getSubjectAlternativeNames();
      if (sans != null) {
        for (List<?> san : sans) {
          if (san.size() >= 2 && Integer.valueOf(SAN_URI).equals(san.get(0)) && san.get(1) instanceof String uri
              && uri.regionMatches(true, 0, "spiffe://", 0, "spiffe://".length())) {
            spiffe.add(uri);
          }
        }
      }
    } catch (CertificateParsingException e) {
      throw new AuthenticationException("the client certificate's subject alternative names cannot be parsed");
    }
    if (spiffe.size() > 1) {
      throw new AuthenticationException("the client certificate has " + spiffe.size()
          + " SPIFFE URI SANs; exactly one is allowed");
    }
    if (spiffe.size() == 1) {
      return fromSpiffeId(spiffe.get(0), Identity.Source.MTLS);
    }
    String cn = commonName(cert);
    if (cn == null) {
      throw new AuthenticationException("the client certificate has neither a SPIFFE URI SAN nor a CN");
    }
    if (cn.regionMatches(true, 0, "spiffe://", 0, "spiffe://".length())) {
      // A CA that vouches for names may never have looked at a CN's path: only a URI SAN is a SPIFFE id.
      throw new AuthenticationException("the client certificate's CN '" + clip(cn) + "' looks like a SPIFFE id;"
          + " a SPIFFE id is taken only from a URI SAN, a CN only as a plain name");
    }
    return fromPlainName(cn, "cn:", Identity.Source.MTLS);
  }

  /**
   * The subject's one CN, or null without one. A subject with several CNs (in one multi-valued RDN
   * or in several RDNs) is refused: which of them the CA vouched for is ambiguous.
   */
  private static String commonName(X509Certificate cert) throws AuthenticationException {
    List<String> cns = new ArrayList<>();
    try {
      LdapName dn = new LdapName(cert.getSubjectX500Principal().getName());
      for (Rdn rdn : dn.getRdns()) {
        javax.naming.NamingEnumeration<? extends javax.naming.directory.Attribute> attributes = rdn.toAttributes().getAll();
        while (attributes.hasMore()) {
          javax.naming.directory.Attribute a = attributes.next();
          if (a.getID().equalsIgnoreCase("CN")) {
            for (int i = 0; i < a.size(); i++) {
              cns.add(String.valueOf(a.get(i)));
            }
          }
        }
      }
    } catch (javax.naming.NamingException e) {
      throw new AuthenticationException("the client certificate's subject cannot be parsed");
    }
    if (cns.size() > 1) {
      throw new AuthenticationException("the client certificate's subject has " + cns.size()
          + " common names; exactly one is allowed");
    }
    return cns.isEmpty() ? null : cns.get(0);
  }

  private static String service(String raw, String from) throws AuthenticationException {
    Optional<String> s = ServiceNames.normalize(raw);
    if (s.isEmpty()) {
      throw new AuthenticationException("'" + clip(from) + "' names no valid service: " + ServiceNames.describeRule());
    }
    return s.get();
  }

  static String clip(String s) {
    return s.length() <= 200 ? s : s.substring(0, 200) + "...";
  }
}
