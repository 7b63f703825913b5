package dev.vertice.security.auth;

import java.util.Objects;

/**
 * {@code Identity} is who is calling, as derived from a verified mTLS client certificate or a
 * verified JWT. It never holds a token or a key: {@link #principal} names what it was derived from
 * (a SPIFFE id, {@code cn:<name>} or {@code jwt:<sub>}), which is safe to log.
 *
 * @param kind what the caller may be granted
 * @param name the service name (canonical) for {@link Kind#SERVICE}; the gateway's or admin's name
 *     otherwise
 * @param principal what the identity was derived from, for logs
 * @param source how it was proven
 */
public record Identity(Kind kind, String name, String principal, Source source) {

  /** {@code Kind} is the role of an identity. */
  public enum Kind {
    /** A workload: writes only its own service's instances, watches its own and granted services. */
    SERVICE,
    /** A data-plane gateway: watches every service, reports stats. */
    GATEWAY,
    /** An operator: everything, including canary operations. */
    ADMIN
  }

  /** {@code Source} says how an identity was proven. */
  public enum Source {
    /** A client certificate verified by the TLS handshake. */
    MTLS,
    /** A signed token verified by {@link JwtVerifier}. */
    JWT
  }

  public Identity {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(principal, "principal");
    Objects.requireNonNull(source, "source");
  }

  /** Returns whether {@code other} names the same caller (same kind and name), whatever proved it. */
  public boolean sameAs(Identity other) {
    return kind == other.kind && name.equals(other.name);
  }

  /** Returns a short form for logs and error messages: {@code service orders (spiffe://vertice/service/orders)}. */
  public String describe() {
    return kind.name().toLowerCase(java.util.Locale.ROOT) + " " + name + " (" + principal + ")";
  }
}
