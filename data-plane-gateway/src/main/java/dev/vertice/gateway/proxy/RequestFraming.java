package dev.vertice.gateway.proxy;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code RequestFraming} refuses HTTP/1.x request heads whose message length is ambiguous, the raw
 * material of request smuggling (RFC 9112 section 6): Content-Length together with
 * Transfer-Encoding, a transfer coding other than exactly {@code chunked}, Transfer-Encoding in
 * HTTP/1.0, a Content-Length that is not plain digits, and a missing or repeated Host; also HTTP
 * versions other than 1.0 and 1.1 (505) and request targets that break {@link RequestTarget}'s rule
 * (which upstreams parse each their own way; HTTP/2 targets get the same rule in
 * {@link Http2TargetCheck}). Netty's decoder (4.2) already
 * refuses Content-Length beside Transfer-Encoding and conflicting Content-Length values; the tests
 * hold it to that. Every refusal closes the connection: what follows on it cannot be framed with
 * certainty.
 */
final class RequestFraming {

  private RequestFraming() {}

  /** {@code Problem} is why a request head is refused, and the answer. */
  record Problem(HttpResponseStatus status, String code, String message) {}

  /** Returns why {@code req}, an HTTP/1.x request head, must be refused, or null when it is fine. */
  static Problem check(HttpRequest req) {
    HttpVersion version = req.protocolVersion();
    if (!"HTTP".equals(version.protocolName()) || version.majorVersion() != 1 || version.minorVersion() > 1) {
      return new Problem(HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED, "http_version_not_supported",
          "the gateway speaks HTTP/1.0, HTTP/1.1 and HTTP/2");
    }
    if (!RequestTarget.isValid(req.uri())) {
      return bad("malformed request target: only visible ASCII characters and valid percent-encoding");
    }
    HttpHeaders h = req.headers();
    // Header lists are made only for the headers present (most requests have neither of these two).
    List<String> te = h.contains(HttpHeaderNames.TRANSFER_ENCODING) ? h.getAll(HttpHeaderNames.TRANSFER_ENCODING)
        : List.of();
    if (!te.isEmpty()) {
      if (req.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
        return bad("Transfer-Encoding is not allowed in an HTTP/1.0 request");
      }
      List<String> codings = new ArrayList<>();
      for (String v : te) {
        for (String c : v.split(",", -1)) {
          codings.add(c.strip().toLowerCase(Locale.ROOT));
        }
      }
      if (!codings.equals(List.of("chunked"))) {
        if (codings.contains("chunked") || codings.contains("identity")) {
          return bad("Transfer-Encoding must be exactly chunked");
        }
        return new Problem(HttpResponseStatus.NOT_IMPLEMENTED, "unsupported_transfer_coding",
            "the gateway supports no transfer coding but chunked");
      }
    }
    if (h.contains(HttpHeaderNames.CONTENT_LENGTH)) {
      for (String v : h.getAll(HttpHeaderNames.CONTENT_LENGTH)) {
        if (!isDecimal(v)) {
          return bad("Content-Length must be a decimal number of bytes");
        }
      }
    }
    int hosts = h.getAll(HttpHeaderNames.HOST).size();
    if (hosts > 1) {
      return bad("the request has more than one Host header");
    }
    if (hosts == 0 && req.protocolVersion().equals(HttpVersion.HTTP_1_1)) {
      return bad("an HTTP/1.1 request needs a Host header");
    }
    return null;
  }

  /** Whether {@code v} is 1-18 ASCII digits (a Content-Length a long holds), as {@code [0-9]{1,18}}. */
  static boolean isDecimal(String v) {
    int n = v.length();
    if (n < 1 || n > 18) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      char c = v.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }

  private static Problem bad(String message) {
    return new Problem(HttpResponseStatus.BAD_REQUEST, "bad_request", message);
  }
}
