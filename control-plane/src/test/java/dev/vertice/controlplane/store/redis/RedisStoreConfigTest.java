package dev.vertice.controlplane.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisURI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Parsing of {@code --store} addresses: schemes, credentials, and that no password is ever shown. */
class RedisStoreConfigTest {

  @Test
  void parsesCredentialsSchemesAndSentinels() {
    RedisStoreConfig c = RedisStoreConfig.parse("redis://app:p%40ss/w@127.0.0.1:6380/2");
    assertEquals("app", c.username());
    assertEquals("p@ss/w", c.password());
    assertEquals(List.of(new RedisStoreConfig.HostPort("127.0.0.1", 6380)), c.hosts());
    assertEquals(2, c.database());
    assertFalse(c.tls());

    RedisStoreConfig onlyPassword = RedisStoreConfig.parse("redis://:pw@h");
    assertNull(onlyPassword.username());
    assertEquals("pw", onlyPassword.password());
    assertEquals(6379, onlyPassword.hosts().get(0).port());

    RedisStoreConfig s = RedisStoreConfig.parse("rediss-sentinel://:pw@a:1,b:2/mymaster");
    assertTrue(s.tls());
    assertEquals("mymaster", s.sentinelMaster());
    RedisURI uri = RedisStoreConfig.from(s).sentinelPassword("spw").build().redisUri();
    assertTrue(uri.isSsl());
    assertEquals(2, uri.getSentinels().size());
    assertTrue(uri.getSentinels().stream().allMatch(RedisURI::isSsl), "TLS to the Sentinels too");
    assertEquals("mymaster", uri.getSentinelMasterId());

    assertTrue(RedisStoreConfig.parse("rediss://h:1/0").redisUri().isSsl());
    assertFalse(RedisStoreConfig.parse("redis://h:1/0").redisUri().isSsl());
  }

  @Test
  void toStringAndErrorsNeverShowThePassword() {
    String secret = "Xy-very-secret-42";
    RedisStoreConfig c = RedisStoreConfig.parse("redis://app:" + secret + "@h:1/0");
    assertEquals("redis://h:1/0 (user app, password ***)", c.toString());
    assertFalse(c.redisUri().toString().contains(secret), c.redisUri().toString());
    IllegalArgumentException noSentinel = assertThrows(IllegalArgumentException.class,
        () -> RedisStoreConfig.from(c).sentinelPassword("other").build());
    assertFalse(noSentinel.getMessage().contains(secret), noSentinel.getMessage());
    for (String bad : List.of("http://:" + secret + "@h", "redis://:" + secret + "@h:notaport/0",
        "redis://:" + secret + "@h:1/db", "redis-sentinel://:" + secret + "@h:1", "redis://:" + secret + "@/0",
        "redis://:" + secret + "%zz@h/0")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RedisStoreConfig.parse(bad));
      assertFalse(e.getMessage().contains(secret), e.getMessage());
      assertTrue(e.getMessage().contains("***"), e.getMessage());
    }
    assertEquals("redis://u:***@h:1/0", RedisStoreConfig.redact("redis://u:" + secret + "@h:1/0"));
    assertEquals("redis://***@h:1/0", RedisStoreConfig.redact("redis://" + secret + "@h:1/0"));
    assertEquals("redis://h:1/0", RedisStoreConfig.redact("redis://h:1/0"));
    assertEquals("memory", RedisStoreConfig.redact("memory"));
  }

  @Test
  void rejectsInconsistentSettings() {
    RedisStoreConfig plain = RedisStoreConfig.parse("redis://h:1/0");
    assertThrows(IllegalArgumentException.class,
        () -> RedisStoreConfig.from(plain).ca(Path.of("/etc/hostname")).build());
    assertThrows(IllegalArgumentException.class, () -> RedisStoreConfig.from(plain).sentinelPassword("x").build());
    assertThrows(IllegalArgumentException.class, () -> RedisStoreConfig.from(plain).credentials(null, ""));
    assertThrows(IllegalArgumentException.class, () -> RedisStoreConfig.parse("redis://:@h:1/0"));
    assertThrows(IllegalArgumentException.class, () -> RedisStoreConfig.parse("redis://h:1/-1"));
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
        () -> RedisStoreConfig.from(RedisStoreConfig.parse("rediss://h:1/0")).ca(Path.of("/no/such/ca.pem")).build());
    assertTrue(missing.getMessage().contains("/no/such/ca.pem"), missing.getMessage());
  }

  @Test
  void buildsInTheOneConfigStyle() {
    RedisStoreConfig d = RedisStoreConfig.ofDefaults();
    assertEquals(List.of(RedisStoreConfig.DEFAULT_HOST), d.hosts());
    assertEquals(RedisStoreConfig.DEFAULT_PREFIX, d.prefix());
    assertEquals(RedisStoreConfig.DEFAULT_COMMAND_TIMEOUT, d.commandTimeout());
    assertEquals(RedisStoreConfig.DEFAULT_MAX_LOG_LENGTH, d.maxLogLength());
    RedisStoreConfig parsed = RedisStoreConfig.parse("redis-sentinel://a:1,b:2/m");
    RedisStoreConfig copy = RedisStoreConfig.from(parsed).prefix("{t}").maxLogLength(10).build();
    assertEquals("{t}", copy.prefix());
    assertEquals(10, copy.maxLogLength());
    assertEquals(parsed.hosts(), copy.hosts());
    assertEquals(1, copy.minReplicas(), "from(base) keeps what it does not set");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RedisStoreConfig.custom().commandTimeout(Duration.ZERO));
    assertTrue(e.getMessage().contains("PT0S"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> RedisStoreConfig.custom().hosts(List.of()));
    assertThrows(IllegalArgumentException.class, () -> RedisStoreConfig.custom().maxLogLength(0));
  }
}
