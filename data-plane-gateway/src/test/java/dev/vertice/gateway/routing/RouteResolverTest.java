package dev.vertice.gateway.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class RouteResolverTest {

  private final RouteResolver resolver = new RouteResolver(List.of(
      RouteRule.parse("host:api.example.com=orders"),
      RouteRule.parse("path:/api=catalog"),
      RouteRule.parse("path:/api/v2=catalog-v2;timeout=250ms")));

  @Test
  void defaultRoutingStripsTheServiceSegmentAndNormalisesIt() {
    RouteResolver.Target t = resolver.resolve("gw", "/OSINT_SERVICE/a/b?q=1");
    assertEquals("osint-service", t.service());
    assertEquals("/a/b?q=1", t.path());
    assertEquals("/", resolver.resolve("gw", "/echo").path());
    assertEquals("/?x=1", resolver.resolve("gw", "/echo?x=1").path());
    assertNull(resolver.resolve("gw", "/"));
    assertNull(resolver.resolve("gw", "/bad$name/x"));
  }

  /** Names come from a cache of 256 slots: many names (colliding slots), asked for again, each come back right. */
  @Test
  void cachedServiceNamesAreAlwaysTheNameAskedFor() {
    RouteResolver plain = new RouteResolver(List.of());
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < 2_000; i++) {
        String name = "svc-" + Integer.toString(i, 36);
        RouteResolver.Target t = plain.resolve(null, "/" + name + "/p?i=" + i);
        assertEquals(name, t.service());
        assertEquals("/p?i=" + i, t.path());
      }
    }
    assertEquals("ab", plain.resolve(null, "/ab/x").service());
    assertEquals("ba", plain.resolve(null, "/ba/x").service());
    assertEquals("ab", plain.resolve(null, "/AB/x").service());
  }

  @Test
  void hostRulesWinThenTheLongestPathPrefix() {
    assertEquals("orders", resolver.resolve("API.example.com:8080", "/api/x").service());
    assertEquals("/api/x", resolver.resolve("api.example.com", "/api/x").path());
    RouteResolver.Target v2 = resolver.resolve("gw", "/api/v2/items");
    assertEquals("catalog-v2", v2.service());
    assertEquals("/items", v2.path());
    assertEquals(Duration.ofMillis(250), v2.timeout());
    assertEquals("catalog", resolver.resolve("gw", "/api/items").service());
    // A prefix matches whole segments only.
    assertEquals("apiary", resolver.resolve("gw", "/apiary/x").service());
  }

  @Test
  void malformedRulesAreRejectedWithTheRuleQuoted() {
    for (String bad : List.of("nonsense", "path:api=x", "host:a=Bad Name", "file:/x=y", "path:/x=y;retries=3",
        "path:/x=y;timeout=0s")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RouteRule.parse(bad));
      assertTrue(e.getMessage().contains(bad), e.getMessage());
    }
  }
}
