package dev.vertice.launcher;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code DurationFormat} is the command line's duration format: a whole number with {@code ms}, {@code s},
 * {@code m} or {@code h}, such as {@code 500ms}, {@code 30s}, {@code 5m} or {@code 1h}. Picocli commands
 * read it through {@link DurationConverter}, the sidecar's {@link SidecarFlags} directly.
 */
final class DurationFormat {

  private static final Pattern FORMAT = Pattern.compile("(\\d{1,9})(ms|s|m|h)");

  private DurationFormat() {
  }

  /**
   * {@code parse} reads {@code value}.
   *
   * @throws IllegalArgumentException naming the value when it is not a duration
   */
  static Duration parse(String value) {
    Matcher m = FORMAT.matcher(String.valueOf(value).strip());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "'" + value + "' is not a duration; use a whole number with ms, s, m or h, such as 30s");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      default -> Duration.ofHours(n);
    };
  }

  /** {@code format} returns {@code d} as {@link #parse} reads it: {@code 10s}, {@code 1500ms}, {@code 5m}. */
  static String format(Duration d) {
    long ms = d.toMillis();
    if (ms % 1000 != 0) {
      return ms + "ms";
    }
    long s = ms / 1000;
    if (s % 3600 == 0 && s > 0) {
      return s / 3600 + "h";
    }
    return s % 60 == 0 && s > 0 ? s / 60 + "m" : s + "s";
  }
}
