package dev.vertice.common;

/**
 * {@code JsonStrings} quotes strings for the small JSON documents components write by hand (error
 * bodies, local APIs): quotes, backslashes and control characters escaped.
 */
public final class JsonStrings {

  private JsonStrings() {}

  /** Returns {@code s} as a JSON string literal, with quotes; {@code null} becomes {@code null}. */
  public static String quote(String s) {
    if (s == null) {
      return "null";
    }
    StringBuilder b = new StringBuilder(s.length() + 2);
    quote(b, s);
    return b.toString();
  }

  /** Appends {@code s} to {@code b} as a JSON string literal, with quotes. */
  public static void quote(StringBuilder b, String s) {
    b.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          // U+2028 and U+2029 too: valid in JSON, but line breaks to JavaScript and to some log viewers.
          if (c < 0x20 || c == 0x2028 || c == 0x2029) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    b.append('"');
  }
}
