package dev.vertice.gateway.proxy;

/**
 * {@code RequestTarget} is the gateway's rule for the characters of a request target, the same on
 * every listener: HTTP/1 request lines ({@link RequestFraming}), HTTP/2 {@code :path}s
 * ({@link Http2TargetCheck}) and gRPC method paths ({@code GrpcProxyServer}). Only visible ASCII
 * (0x21-0x7E), and each {@code %} starts two hex digits (RFC 3986): anything else is parsed each its
 * own way by upstreams, which is how requests get routed past a rule or smuggled.
 */
public final class RequestTarget {

  private RequestTarget() {}

  /** {@code isValid} says whether {@code target} is non-empty, visible ASCII and validly percent-encoded. */
  public static boolean isValid(CharSequence target) {
    int n = target.length();
    if (n == 0) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      char c = target.charAt(i);
      if (c <= 0x20 || c >= 0x7f) {
        return false;
      }
      if (c == '%' && (i + 2 >= n || Character.digit(target.charAt(i + 1), 16) < 0
          || Character.digit(target.charAt(i + 2), 16) < 0)) {
        return false;
      }
    }
    return true;
  }

  /**
   * {@code isValidGrpcMethod} says whether {@code fullMethodName} (the {@code :path} without its
   * leading {@code /}) is {@code <service>/<method>}: two non-empty parts, one {@code /}, each
   * {@link #isValid valid}.
   */
  public static boolean isValidGrpcMethod(String fullMethodName) {
    int slash = fullMethodName.indexOf('/');
    return slash > 0 && slash < fullMethodName.length() - 1 && fullMethodName.indexOf('/', slash + 1) < 0
        && isValid(fullMethodName);
  }
}
