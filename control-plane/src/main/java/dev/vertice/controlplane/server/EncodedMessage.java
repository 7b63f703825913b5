package dev.vertice.controlplane.server;

import com.google.protobuf.CodedOutputStream;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * {@code EncodedMessage} is a protobuf message already in wire form, as pieces written one after
 * the other: small per-response fields and pieces shared by many responses (a resource encoded once
 * for every stream that receives it). Protobuf allows it: a message is the concatenation of its
 * fields, and a repeated message field is one (tag, length, bytes) piece per element.
 *
 * <p>gRPC writes it with {@link #drainTo} straight into the transport's buffers (it is {@link
 * Drainable} and {@link KnownLength}), with no copy of the shared pieces into a per-response array;
 * {@link #read()} serves transports that read instead (in-process). One instance is sent once; the
 * pieces are never modified.
 */
public final class EncodedMessage extends InputStream implements KnownLength, Drainable {

  private final byte[][] pieces;
  private final int count;
  private final int length;
  /** Read position: the piece, and the offset in it (for {@link #read()}). */
  private int piece;
  private int offset;

  private EncodedMessage(byte[][] pieces, int count, int length) {
    this.pieces = pieces;
    this.count = count;
    this.length = length;
  }

  /** Returns the message's serialized size in bytes. */
  public int length() {
    return length;
  }

  /** Returns the message's bytes in one array (tests, and transports that need them). */
  public byte[] toByteArray() {
    byte[] out = new byte[length];
    int at = 0;
    for (int i = 0; i < count; i++) {
      System.arraycopy(pieces[i], 0, out, at, pieces[i].length);
      at += pieces[i].length;
    }
    return out;
  }

  @Override
  public int drainTo(OutputStream target) throws IOException {
    int drained = available();
    for (; piece < count; piece++) {
      byte[] p = pieces[piece];
      target.write(p, offset, p.length - offset);
      offset = 0;
    }
    return drained;
  }

  @Override
  public int available() {
    int left = 0;
    for (int i = piece; i < count; i++) {
      left += pieces[i].length;
    }
    return left - offset;
  }

  @Override
  public int read() {
    while (piece < count) {
      byte[] p = pieces[piece];
      if (offset < p.length) {
        return p[offset++] & 0xff;
      }
      piece++;
      offset = 0;
    }
    return -1;
  }

  @Override
  public int read(byte[] b, int off, int len) {
    if (len == 0) {
      return 0;
    }
    int n = 0;
    while (n < len && piece < count) {
      byte[] p = pieces[piece];
      int take = Math.min(len - n, p.length - offset);
      System.arraycopy(p, offset, b, off + n, take);
      n += take;
      offset += take;
      if (offset == p.length) {
        piece++;
        offset = 0;
      }
    }
    return n == 0 ? -1 : n;
  }

  /** Returns a builder of a message of about {@code pieces} pieces. */
  public static Builder builder(int pieces) {
    return new Builder(pieces);
  }

  /**
   * Returns field {@code field} holding the embedded message {@code message} as one piece: tag,
   * length and bytes, ready to be shared by every message that repeats it.
   */
  public static byte[] messageField(int field, byte[] message) {
    int tag = CodedOutputStream.computeTagSize(field) + CodedOutputStream.computeUInt32SizeNoTag(message.length);
    byte[] out = new byte[tag + message.length];
    CodedOutputStream o = CodedOutputStream.newInstance(out);
    try {
      o.writeUInt32NoTag(field << 3 | 2);
      o.writeUInt32NoTag(message.length);
      o.flush();
    } catch (IOException e) {
      throw new IllegalStateException("an array-backed CodedOutputStream failed", e);
    }
    System.arraycopy(message, 0, out, tag, message.length);
    return out;
  }

  /** Returns string field {@code field} as one piece, or an empty array for "" (proto3 omits it). */
  public static byte[] stringField(int field, String value) {
    if (value.isEmpty()) {
      return EMPTY;
    }
    return messageField(field, value.getBytes(StandardCharsets.UTF_8));
  }

  private static final byte[] EMPTY = new byte[0];

  /** {@code Builder} appends the pieces of one message in field-number order, as protobuf writes them. */
  public static final class Builder {
    private byte[][] pieces;
    private int count;
    private int length;

    private Builder(int pieces) {
      this.pieces = new byte[Math.max(pieces, 1)][];
    }

    /** Appends a piece (any whole number of fields); empty pieces are skipped. */
    public Builder add(byte[] piece) {
      if (piece.length == 0) {
        return this;
      }
      if (count == pieces.length) {
        pieces = Arrays.copyOf(pieces, count * 2);
      }
      pieces[count++] = piece;
      length += piece.length;
      return this;
    }

    /** Returns the message. */
    public EncodedMessage build() {
      return new EncodedMessage(pieces, count, length);
    }
  }
}
