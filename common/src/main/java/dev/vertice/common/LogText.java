package dev.vertice.common;

/** {@code LogText} makes text a client sent safe to put in a log line. */
public final class LogText {

  private LogText() {}

  /**
   * {@code safe} returns {@code s} with every control character (newlines included) and the Unicode
   * line and paragraph separators written as a backslash, {@code u} and four hex digits, so that a
   * client's text cannot forge log lines.
   */
  public static String safe(String s) {
    StringBuilder b = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
        if (b == null) {
          b = new StringBuilder(s.length() + 8).append(s, 0, i);
        }
        b.append(String.format("\\u%04x", (int) c));
      } else if (b != null) {
        b.append(c);
      }
    }
    return b == null ? s : b.toString();
  }
}
