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

  private static String print(JsonFormat.Printer printer, MessageOrBuilder m) {
    try {
      return printer.print(m);
    } catch (InvalidProtocolBufferException e) {
      // Only messages holding an Any of an unknown type fail; the CLI prints none.
      throw new IllegalStateException("cannot print " + m.getClass().getSimpleName() + " as JSON", e);
    }
  }
}
