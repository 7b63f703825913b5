package dev.vertice.gateway.grpc;

import io.grpc.Status;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * {@code GrpcWire} holds what the relay needs of gRPC's HTTP/2 mapping: its header names, the
 * answers the gateway writes itself (trailers, trailers-only responses), the {@code grpc-timeout}
 * format, and the status a reset stream stands for (as grpc-java maps them).
 */
final class GrpcWire {

  static final AsciiString GRPC_STATUS = AsciiString.cached("grpc-status");
  static final AsciiString GRPC_MESSAGE = AsciiString.cached("grpc-message");
  static final AsciiString GRPC_TIMEOUT = AsciiString.cached("grpc-timeout");
  static final AsciiString CONTENT_TYPE = AsciiString.cached("content-type");
  static final AsciiString APPLICATION_GRPC = AsciiString.cached("application/grpc");
  static final AsciiString SERVICE_HEADER = AsciiString.cached("x-vertice-service");
  static final AsciiString POST = AsciiString.cached("POST");
  static final AsciiString HTTP = AsciiString.cached("http");
  private static final AsciiString OK_200 = AsciiString.cached("200");

  /** The longest {@code grpc-timeout} value: 8 digits and a unit (gRPC's HTTP/2 protocol). */
  private static final int MAX_TIMEOUT_DIGITS = 8;

  private GrpcWire() {}

  /** {@code trailers} returns the trailers that end a call with {@code code} and {@code message}. */
  static Http2Headers trailers(Status.Code code, String message) {
    Http2Headers h = new DefaultHttp2Headers();
    h.set(GRPC_STATUS, Integer.toString(code.value()));
    if (message != null) {
      h.set(GRPC_MESSAGE, percentEncode(message));
    }
    return h;
  }

  /** {@code trailersOnly} returns a response that is only its trailers (HTTP 200, gRPC content type). */
  static Http2Headers trailersOnly(Status.Code code, String message) {
    Http2Headers h = trailers(code, message);
    h.status(OK_200);
    h.set(CONTENT_TYPE, APPLICATION_GRPC);
    return h;
  }

  /** {@code httpError} returns a non-gRPC answer: an HTTP status and a text body's content type. */
  static Http2Headers httpError(int status) {
    Http2Headers h = new DefaultHttp2Headers();
    h.status(Integer.toString(status));
    h.set(CONTENT_TYPE, "text/plain; charset=utf-8");
    return h;
  }

  /**
   * {@code statusOf} returns the code a response's trailers (or trailers-only headers) carry:
   * UNKNOWN when {@code grpc-status} is missing or not a number, as a gRPC client would see it.
   */
  static Status.Code statusOf(Http2Headers trailers) {
    CharSequence v = trailers.get(GRPC_STATUS);
    if (v == null || v.length() == 0 || v.length() > 2) {
      return Status.Code.UNKNOWN;
    }
    int n = 0;
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c < '0' || c > '9') {
        return Status.Code.UNKNOWN;
      }
      n = n * 10 + (c - '0');
    }
    return Status.fromCodeValue(n).getCode();
  }

  /**
   * {@code timeoutNanos} parses a {@code grpc-timeout} value (1 to 8 digits and a unit: H, M, S,
   * m, u, n) to nanoseconds; -1 when it is malformed.
   */
  static long timeoutNanos(CharSequence v) {
    int digits = v.length() - 1;
    if (digits < 1 || digits > MAX_TIMEOUT_DIGITS) {
      return -1;
    }
    long n = 0;
    for (int i = 0; i < digits; i++) {
      char c = v.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      n = n * 10 + (c - '0');
    }
    TimeUnit unit = switch (v.charAt(digits)) {
      case 'H' -> TimeUnit.HOURS;
      case 'M' -> TimeUnit.MINUTES;
      case 'S' -> TimeUnit.SECONDS;
      case 'm' -> TimeUnit.MILLISECONDS;
      case 'u' -> TimeUnit.MICROSECONDS;
      case 'n' -> TimeUnit.NANOSECONDS;
      default -> null;
    };
    return unit == null ? -1 : unit.toNanos(n);
  }

  /**
   * {@code resetStatus} returns the status of a call whose stream the other side reset with {@code
   * errorCode}: REFUSED_STREAM → UNAVAILABLE (it never started), CANCEL → CANCELLED,
   * ENHANCE_YOUR_CALM → RESOURCE_EXHAUSTED, INADEQUATE_SECURITY → PERMISSION_DENIED, others INTERNAL.
   */
  static Status.Code resetStatus(long errorCode) {
    if (errorCode == Http2Error.REFUSED_STREAM.code()) {
      return Status.Code.UNAVAILABLE;
    }
    if (errorCode == Http2Error.CANCEL.code()) {
      return Status.Code.CANCELLED;
    }
    if (errorCode == Http2Error.ENHANCE_YOUR_CALM.code()) {
      return Status.Code.RESOURCE_EXHAUSTED;
    }
    if (errorCode == Http2Error.INADEQUATE_SECURITY.code()) {
      return Status.Code.PERMISSION_DENIED;
    }
    return Status.Code.INTERNAL;
  }

  /** {@code percentEncode} encodes a status message as {@code grpc-message} carries it. */
  static String percentEncode(String message) {
    byte[] utf8 = message.getBytes(StandardCharsets.UTF_8);
    StringBuilder b = new StringBuilder(utf8.length + 8);
    for (byte x : utf8) {
      int c = x & 0xff;
      if (c >= ' ' && c <= '~' && c != '%') {
        b.append((char) c);
      } else {
        b.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return b.toString();
  }

  /**
   * {@code MessageSizes} follows gRPC's length-prefixed messages (a flag byte, a 4-byte length,
   * the message) across DATA frames of one direction of a call, to refuse a message longer than the
   * limit as soon as its prefix arrives; the bytes themselves are never copied.
   */
  static final class MessageSizes {
    private final long max;
    private int prefixSeen;
    private long length;
    private long remaining;

    MessageSizes(long max) {
      this.max = max;
    }

    /** {@code tooLong} returns the announced length of a message over the limit in {@code data}, else -1. */
    long tooLong(ByteBuf data) {
      int i = data.readerIndex();
      int end = data.writerIndex();
      while (i < end) {
        if (remaining > 0) {
          int skip = (int) Math.min(remaining, end - i);
          i += skip;
          remaining -= skip;
          continue;
        }
        int b = data.getByte(i++) & 0xff;
        if (prefixSeen > 0) {
          length = (length << 8) | b;
        }
        if (++prefixSeen == 5) {
          if (length > max) {
            return length;
          }
          remaining = length;
          prefixSeen = 0;
          length = 0;
        }
      }
      return -1;
    }
  }
}
