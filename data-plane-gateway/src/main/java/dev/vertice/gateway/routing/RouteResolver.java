package dev.vertice.gateway.routing;

import dev.vertice.common.ServiceNames;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code RouteResolver} maps a request's host and path to a service and the path to forward.
 * Host rules are tried first, then path-prefix rules (longest prefix first), then the default
 * {@code /{service}/rest...}: the first segment, normalised as in the registry, names the service
 * and is stripped. Thread-safe: its only mutable state is a cache of service names.
 *
 * <p>The default rule checks the first segment in place and takes its name from a small cache of the
 * names seen (a benign race: a thread that misses cuts the name out again), so the usual request
 * allocates only the forwarded path and its {@link Target}.
 */
public final class RouteResolver {

  private final Map<String, RouteRule> hosts = new HashMap<>();
  private final List<RouteRule> paths = new ArrayList<>();
  /** Canonical service names by a hash of their spelling; entries are replaced, never removed. */
  private final String[] names = new String[NAME_CACHE];

  private static final int NAME_CACHE = 256;

  /** {@code RouteResolver} compiles {@code rules}. */
  public RouteResolver(List<RouteRule> rules) {
    for (RouteRule r : rules) {
      if (r.kind() == RouteRule.Kind.HOST) {
        hosts.putIfAbsent(r.match(), r);
      } else {
        paths.add(r);
      }
    }
    paths.sort(Comparator.comparingInt((RouteRule r) -> r.match().length()).reversed());
  }

  /**
   * {@code Target} is where a request goes.
   *
   * @param service canonical service name
   * @param path the path and query to forward (starts with {@code /})
   * @param timeout the rule's upstream timeout, or null for the default
   */
  public record Target(String service, String path, Duration timeout) {}

  /**
   * {@code resolve} returns the target of a request to {@code host} (the Host header, may be null,
   * port ignored) and {@code uri} (origin form: path and query), or null when it names no valid
   * service.
   */
  public Target resolve(String host, String uri) {
    if (!hosts.isEmpty() && host != null) {
      RouteRule r = hosts.get(stripPort(host).toLowerCase(Locale.ROOT));
      if (r != null) {
        return new Target(r.service(), uri, r.timeout());
      }
    }
    for (RouteRule r : paths) {
      String p = r.match();
      if (uri.startsWith(p) && (uri.length() == p.length() || p.endsWith("/")
          || uri.charAt(p.length()) == '/' || uri.charAt(p.length()) == '?')) {
        String rest = uri.substring(p.length());
        return new Target(r.service(), rest.startsWith("/") ? rest : "/" + rest, r.timeout());
      }
    }
    if (uri.length() < 2 || uri.charAt(0) != '/') {
      return null;
    }
    int end = 1;
    while (end < uri.length() && uri.charAt(end) != '/' && uri.charAt(end) != '?') {
      end++;
    }
    String service = ServiceNames.isCanonical(uri, 1, end) ? cachedName(uri, 1, end)
        : ServiceNames.normalize(uri.substring(1, end)).orElse(null);
    if (service == null) {
      return null;
    }
    String rest = uri.substring(end);
    return new Target(service, rest.isEmpty() ? "/" : rest.startsWith("/") ? rest : "/" + rest, null);
  }

  /** The name {@code uri[from, to)}, from the cache when it holds it, else cut out and cached. */
  private String cachedName(String uri, int from, int to) {
    int h = 0;
    for (int i = from; i < to; i++) {
      h = 31 * h + uri.charAt(i);
    }
    int slot = (h ^ (h >>> 16)) & (NAME_CACHE - 1);
    String[] cache = names;
    String cached = cache[slot];
    int len = to - from;
    if (cached != null && cached.length() == len && uri.regionMatches(from, cached, 0, len)) {
      return cached;
    }
    String name = uri.substring(from, to);
    cache[slot] = name;
    return name;
  }

  private static String stripPort(String host) {
    if (host.startsWith("[")) {
      int close = host.indexOf(']');
      return close > 0 ? host.substring(0, close + 1) : host;
    }
    int colon = host.indexOf(':');
    return colon >= 0 ? host.substring(0, colon) : host;
  }
}
