package dev.vertice.security.auth;

/**
 * {@code AuthenticationException} says why a credential proves no identity. Its message is safe to
 * log and to return to the caller: it never contains the token, a key or a signature.
 */
public final class AuthenticationException extends Exception {

  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message that holds no secret. */
  public AuthenticationException(String message) {
    super(message, null, false, false);
  }
}
