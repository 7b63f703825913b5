/**
 * Who is calling and what they may do: identities from mTLS client certificates (SPIFFE URI SAN or
 * CN) or signed JWTs, deny-by-default authorization per service, an admin role, and per-identity
 * rate limits.
 */
package dev.vertice.security.auth;
