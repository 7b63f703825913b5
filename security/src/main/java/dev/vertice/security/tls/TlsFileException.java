package dev.vertice.security.tls;

import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Objects;

/**
 * {@code TlsFileException} says which PEM file of a {@link TlsSettings} could not be used and why:
 * missing, unreadable, not PEM of the right kind, or a key that does not match its certificate. The
 * message names the file and the problem, never the file's contents.
 */
public final class TlsFileException extends GeneralSecurityException {

  private static final long serialVersionUID = 1L;

  /** {@code Role} is the part a file plays in the settings. */
  public enum Role {
    /** The certificate chain presented to peers. */
    CERT,
    /** The private key of that certificate. */
    KEY,
    /** The CA bundle peers' certificates are verified against. */
    CA
  }

  private final Role role;
  private final transient Path file;

  /** Creates the exception for {@code file} playing {@code role}; {@code problem} says what is wrong. */
  public TlsFileException(Role role, Path file, String problem, Throwable cause) {
    super(describe(role) + " " + file + ": " + problem, cause);
    this.role = Objects.requireNonNull(role, "role");
    this.file = file;
  }

  /** {@code role} returns the part the bad file plays. */
  public Role role() {
    return role;
  }

  /** {@code file} returns the bad file. */
  public Path file() {
    return file;
  }

  private static String describe(Role role) {
    return switch (role) {
      case CERT -> "certificate file";
      case KEY -> "private key file";
      case CA -> "CA file";
    };
  }
}
