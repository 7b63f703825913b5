package dev.vertice.gateway.proxy;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/** {@code Headers} strips hop-by-hop headers and sets the forwarding ones. */
final class Headers {

  static final AsciiString X_REQUEST_ID = AsciiString.cached("x-request-id");
  static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
  static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
  static final AsciiString X_FORWARDED_HOST = AsciiString.cached("x-forwarded-host");

  /** RFC 9110 §7.6.1 hop-by-hop headers, plus the de-facto ones. */
  private static final AsciiString[] HOP_BY_HOP = {
      HttpHeaderNames.CONNECTION, AsciiString.cached("keep-alive"), HttpHeaderNames.PROXY_AUTHENTICATE,
      HttpHeaderNames.PROXY_AUTHORIZATION, HttpHeaderNames.TE, HttpHeaderNames.TRAILER,
      HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderNames.UPGRADE, AsciiString.cached("proxy-connection"),
  };

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private Headers() {}

  /**
   * {@code stripHopByHop} removes hop-by-hop headers and those the Connection header names. The
   * usual Connection values ({@code keep-alive}, {@code close}, {@code upgrade}...) name headers that
   * are removed anyway: only other tokens are cut out as strings.
   */
  static void stripHopByHop(HttpHeaders h) {
    if (h.contains(HttpHeaderNames.CONNECTION)) {
      List<String> named = null;
      for (String v : h.getAll(HttpHeaderNames.CONNECTION)) {
        int i = 0;
        int n = v.length();
        while (i < n) {
          int comma = v.indexOf(',', i);
          int end = comma < 0 ? n : comma;
          int s = i;
          int e = end;
          while (s < e && isSpace(v.charAt(s))) {
            s++;
          }
          while (e > s && isSpace(v.charAt(e - 1))) {
            e--;
          }
          if (e > s && !isHopByHop(v, s, e)) {
            if (named == null) {
              named = new ArrayList<>(2);
            }
            named.add(v.substring(s, e));
          }
          i = end + 1;
        }
      }
      if (named != null) {
        named.forEach(h::remove);
      }
    }
    for (AsciiString n : HOP_BY_HOP) {
      h.remove(n);
    }
    // What the HTTP/2 to HTTP/1 conversion adds (x-http2-stream-id, x-http2-scheme, ...).
    if (h.contains("x-http2-stream-id")) {
      List<String> ext = new ArrayList<>(4);
      for (var e : h) {
        if (e.getKey().regionMatches(true, 0, "x-http2-", 0, 8)) {
          ext.add(e.getKey());
        }
      }
      ext.forEach(h::remove);
    }
  }

  private static boolean isSpace(char c) {
    return c == ' ' || c == '\t';
  }

  /** Whether {@code v[s, e)} names a header {@link #stripHopByHop} removes anyway, or none ({@code close}). */
  private static boolean isHopByHop(String v, int s, int e) {
    int len = e - s;
    if (len == 5 && v.regionMatches(true, s, "close", 0, 5)) {
      return true;
    }
    for (AsciiString n : HOP_BY_HOP) {
      if (n.length() == len && v.regionMatches(true, s, n.toString(), 0, len)) {
        return true;
      }
    }
    return false;
  }

  /** {@code requestId} returns the incoming X-Request-Id when it is sane (1-128 visible ASCII), else a new one. */
  static String requestId(HttpHeaders h) {
    String id = h.get(X_REQUEST_ID);
    if (id != null && !id.isEmpty() && id.length() <= 128) {
      boolean ok = true;
      for (int i = 0; i < id.length() && ok; i++) {
        char c = id.charAt(i);
        ok = c > 0x20 && c < 0x7f;
      }
      if (ok) {
        return id;
      }
    }
    return newRequestId();
  }

  /** {@code newRequestId} returns 32 random hex digits. */
  static String newRequestId() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    char[] out = new char[32];
    long a = r.nextLong();
    long b = r.nextLong();
    for (int i = 0; i < 16; i++) {
      out[i] = HEX[(int) (a >>> (60 - 4 * i)) & 0xf];
      out[16 + i] = HEX[(int) (b >>> (60 - 4 * i)) & 0xf];
    }
    return new String(out);
  }
}
