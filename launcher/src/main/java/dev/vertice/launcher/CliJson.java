package dev.vertice.launcher;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;

/**
 * {@code CliJson} writes what the CLI's {@code --json} prints: API messages in protobuf's JSON
 * mapping (the field names of grpcurl and of the other languages' clients: {@code instanceId},
 * enums by name), every field present even when it holds its default, and strings quoted for the
 * objects the CLI builds around them.
 */
final class CliJson {

  private static final JsonFormat.Printer PRETTY = JsonFormat.printer().alwaysPrintFieldsWithNoPresence();
  private static final JsonFormat.Printer COMPACT = PRETTY.omittingInsignificantWhitespace();

  private CliJson() {}

  /** {@code pretty} returns {@code m} as indented JSON, over several lines. */
  static String pretty(MessageOrBuilder m) {
    return print(PRETTY, m);
  }

  /** {@code compact} returns {@code m} as JSON on one line. */
  static String compact(MessageOrBuilder m) {
    return print(COMPACT, m);
  }

  /** {@code quote} returns {@code s} as a JSON string literal. */
  static String quote(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }

  private static String print(JsonFormat.Printer printer, MessageOrBuilder m) {
    try {
      return printer.print(m);
    } catch (InvalidProtocolBufferException e) {
      // Only messages holding an Any of an unknown type fail; the CLI prints none.
      throw new IllegalStateException("cannot print " + m.getClass().getSimpleName() + " as JSON", e);
    }
  }
}
