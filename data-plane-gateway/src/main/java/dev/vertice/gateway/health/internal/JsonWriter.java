package dev.vertice.gateway.health.internal;

import dev.vertice.common.JsonStrings;

/**
 * {@code JsonWriter} appends JSON (RFC 8259) to a buffer: strings are always escaped (by common's
 * {@link JsonStrings}), so no caller concatenates JSON by hand. Not thread-safe; one per document.
 */
public final class JsonWriter {

  private final StringBuilder out;
  // One bit per nesting level: whether the next member needs a comma. Depth is at most 63.
  private long needComma;
  private int depth;

  /** {@code JsonWriter} writes into a new buffer. */
  public JsonWriter() {
    this.out = new StringBuilder(256);
  }

  /** {@code beginObject} opens an object (as a value, or as the member named by {@link #name}). */
  public JsonWriter beginObject() {
    return open('{');
  }

  /** {@code endObject} closes the current object. */
  public JsonWriter endObject() {
    return close('}');
  }

  /** {@code beginArray} opens an array. */
  public JsonWriter beginArray() {
    return open('[');
  }

  /** {@code endArray} closes the current array. */
  public JsonWriter endArray() {
    return close(']');
  }

  /** {@code name} writes a member name; the next call writes its value. */
  public JsonWriter name(String name) {
    comma();
    string(name);
    out.append(':');
    // The value that follows must not add a comma of its own.
    needComma &= ~(1L << depth);
    return this;
  }

  /** {@code value} writes a string value (null writes {@code null}). */
  public JsonWriter value(String v) {
    comma();
    if (v == null) {
      out.append("null");
    } else {
      string(v);
    }
    return markWritten();
  }

  /** {@code value} writes an integer value. */
  public JsonWriter value(long v) {
    comma();
    out.append(v);
    return markWritten();
  }

  /** {@code value} writes a finite number with up to three decimals. */
  public JsonWriter value(double v) {
    if (!Double.isFinite(v)) {
      throw new IllegalArgumentException("JSON numbers are finite: " + v);
    }
    comma();
    long thousandths = Math.round(v * 1000);
    if (thousandths % 1000 == 0) {
      out.append(thousandths / 1000);
    } else {
      out.append(java.math.BigDecimal.valueOf(thousandths, 3).stripTrailingZeros().toPlainString());
    }
    return markWritten();
  }

  /** {@code value} writes a boolean value. */
  public JsonWriter value(boolean v) {
    comma();
    out.append(v);
    return markWritten();
  }

  /** {@code toString} returns the document written so far. */
  @Override
  public String toString() {
    return out.toString();
  }

  private JsonWriter open(char c) {
    comma();
    out.append(c);
    markWritten();
    if (++depth > 63) {
      throw new IllegalStateException("JSON nested deeper than 63 levels");
    }
    needComma &= ~(1L << depth);
    return this;
  }

  private JsonWriter close(char c) {
    if (depth == 0) {
      throw new IllegalStateException("nothing to close");
    }
    depth--;
    out.append(c);
    return this;
  }

  private void comma() {
    if ((needComma & (1L << depth)) != 0) {
      out.append(',');
    }
  }

  private JsonWriter markWritten() {
    needComma |= 1L << depth;
    return this;
  }

  private void string(String s) {
    JsonStrings.quote(out, s);
  }
}
