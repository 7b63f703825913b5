package dev.vertice.gateway.routing;

import dev.vertice.common.ServiceNames;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * {@code RouteRule} maps requests to a service other than by the default {@code /{service}/rest}
 * path: by Host header ({@code host:api.example.com=orders}) or by path prefix ({@code
 * path:/api/orders=orders}, the prefix stripped), optionally with its own upstream timeout ({@code
 * ...=orders;timeout=5s}).
 *
 * @param kind what the rule matches
 * @param match the host (lower case, no port) or the path prefix (starting with {@code /})
 * @param service the canonical service the matching requests go to
 * @param timeout the upstream timeout of matching requests, or null for the default
 */
public record RouteRule(Kind kind, String match, String service, Duration timeout) {

  /** What a rule matches. */
  public enum Kind {
    /** The Host header (or :authority), without its port. */
    HOST,
    /** A path prefix, stripped before forwarding. */
    PATH
  }

  /** {@code RouteRule} checks the parts. */
  public RouteRule {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(match, "match");
    Objects.requireNonNull(service, "service");
    if (kind == Kind.PATH && !match.startsWith("/")) {
      throw new IllegalArgumentException("path rule prefix must start with '/': '" + match + "'");
    }
  }

  /**
   * {@code parse} reads {@code host:HOST=SERVICE[;timeout=DURATION]} or {@code
   * path:/PREFIX=SERVICE[;timeout=DURATION]}; durations as {@code 500ms}, {@code 5s}, {@code 1m}.
   *
   * @throws IllegalArgumentException quoting the rule and what is wrong with it
   */
  public static RouteRule parse(String text) {
    String s = text.strip();
    Duration timeout = null;
    int semi = s.indexOf(';');
    if (semi >= 0) {
      String opt = s.substring(semi + 1).strip();
      s = s.substring(0, semi).strip();
      if (!opt.startsWith("timeout=")) {
        throw new IllegalArgumentException("route rule '" + text + "': unknown option '" + opt + "' (expected timeout=)");
      }
      timeout = parseDuration(opt.substring("timeout=".length()), text);
    }
    int colon = s.indexOf(':');
    int eq = s.lastIndexOf('=');
    if (colon < 0 || eq < colon) {
      throw new IllegalArgumentException("route rule '" + text + "' is not host:HOST=SERVICE or path:/PREFIX=SERVICE");
    }
    String kind = s.substring(0, colon).strip().toLowerCase(Locale.ROOT);
    String match = s.substring(colon + 1, eq).strip();
    String named = s.substring(eq + 1).strip();
    String service = ServiceNames.normalize(named).orElseThrow(() -> new IllegalArgumentException(
        "route rule '" + text + "': service '" + named + "' is not valid: " + ServiceNames.describeRule()));
    if (match.isEmpty()) {
      throw new IllegalArgumentException("route rule '" + text + "' has nothing to match");
    }
    switch (kind) {
      case "host":
        return new RouteRule(Kind.HOST, match.toLowerCase(Locale.ROOT), service, timeout);
      case "path":
        if (!match.startsWith("/")) {
          throw new IllegalArgumentException("route rule '" + text + "': path prefix must start with '/'");
        }
        return new RouteRule(Kind.PATH, match, service, timeout);
      default:
        throw new IllegalArgumentException("route rule '" + text + "': kind '" + kind + "' is not host or path");
    }
  }

  /** {@code parseDuration} reads {@code 250ms}, {@code 5s}, {@code 2m} or {@code 1h}. */
  static Duration parseDuration(String v, String context) {
    String d = v.strip().toLowerCase(Locale.ROOT);
    try {
      if (d.endsWith("ms")) {
        return positive(Duration.ofMillis(Long.parseLong(d.substring(0, d.length() - 2))), context);
      }
      long n = Long.parseLong(d.substring(0, d.length() - 1));
      switch (d.charAt(d.length() - 1)) {
        case 's':
          return positive(Duration.ofSeconds(n), context);
        case 'm':
          return positive(Duration.ofMinutes(n), context);
        case 'h':
          return positive(Duration.ofHours(n), context);
        default:
          break;
      }
    } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
      // falls through to the error below
    }
    throw new IllegalArgumentException("'" + context + "': duration '" + v + "' is not like 500ms, 5s, 1m or 1h");
  }

  private static Duration positive(Duration d, String context) {
    if (d.isZero() || d.isNegative()) {
      throw new IllegalArgumentException("'" + context + "': duration must be positive");
    }
    return d;
  }

  @Override
  public String toString() {
    return kind.name().toLowerCase(Locale.ROOT) + ":" + match + "=" + service
        + (timeout == null ? "" : ";timeout=" + timeout.toMillis() + "ms");
  }
}
