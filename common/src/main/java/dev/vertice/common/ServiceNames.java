package dev.vertice.common;

import java.util.Locale;
import java.util.Optional;

/**
 * {@code ServiceNames} is the one place where service names are normalised and checked.
 *
 * <p>The canonical form is a lower-case DNS label: 1-63 characters of {@code a-z}, {@code 0-9} and
 * {@code -}, starting and ending with a letter or digit. Other spellings are accepted and normalised:
 * surrounding white space is trimmed, letters are lower-cased, and {@code _} and {@code .} become
 * {@code -}, so that the environment-variable style {@code OSINT_SERVICE} names {@code
 * osint-service}.
 */
public final class ServiceNames {

  /** The longest canonical name, as for a DNS label. */
  public static final int MAX_LENGTH = 63;

  private ServiceNames() {}

  /**
   * Returns the canonical form of {@code name}, or empty when no canonical form exists (empty,
   * too long, or containing characters other than letters, digits, {@code -}, {@code _} and {@code
   * .}).
   */
  public static Optional<String> normalize(String name) {
    if (name == null) {
      return Optional.empty();
    }
    String candidate = name.strip().toLowerCase(Locale.ROOT).replace('_', '-').replace('.', '-');
    return isCanonical(candidate) ? Optional.of(candidate) : Optional.empty();
  }

  /** Returns whether {@code name} is already in canonical form. */
  public static boolean isCanonical(String name) {
    return name != null && isCanonical(name, 0, name.length());
  }

  /**
   * Returns whether {@code s[from, to)} is a name in canonical form (the gateway checks the first
   * path segment in place, without cutting it out). No regular expression, nothing allocated.
   */
  public static boolean isCanonical(CharSequence s, int from, int to) {
    int len = to - from;
    if (len < 1 || len > MAX_LENGTH || !isLetterOrDigit(s.charAt(from)) || !isLetterOrDigit(s.charAt(to - 1))) {
      return false;
    }
    for (int i = from + 1; i < to - 1; i++) {
      char c = s.charAt(i);
      if (c != '-' && !isLetterOrDigit(c)) {
        return false;
      }
    }
    return true;
  }

  private static boolean isLetterOrDigit(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  }

  /** Explains why {@code name} has no canonical form, for error messages. */
  public static String describeRule() {
    return "a service name must normalise to a lower-case DNS label: 1-" + MAX_LENGTH
        + " characters of a-z, 0-9 and '-' ('_' and '.' become '-'), starting and ending with a"
        + " letter or digit";
  }
}
