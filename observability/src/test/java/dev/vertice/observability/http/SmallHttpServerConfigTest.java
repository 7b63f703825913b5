package dev.vertice.observability.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class SmallHttpServerConfigTest {

  @Test
  void defaultsAreTheDocumentedConstants() {
    SmallHttpServerConfig c = SmallHttpServerConfig.ofDefaults();
    assertEquals("http", c.name());
    assertEquals(1, c.eventLoopThreads());
    assertEquals(256, c.maxConnections());
    assertEquals(4096, c.maxInitialLineBytes());
    assertEquals(8192, c.maxHeaderBytes());
    assertEquals(64 * 1024, c.maxBodyBytes());
    assertEquals(Duration.ofSeconds(10), c.requestTimeout());
    assertEquals(Duration.ofSeconds(60), c.idleTimeout());
  }

  @Test
  void fromCopiesEverySettingAndChangesOnlyWhatIsSet() {
    SmallHttpServerConfig base = SmallHttpServerConfig.custom().name("x").eventLoopThreads(2).maxConnections(3)
        .maxInitialLineBytes(100).maxHeaderBytes(300).maxBodyBytes(0).requestTimeout(Duration.ofMillis(5))
        .idleTimeout(Duration.ofMillis(6)).build();
    SmallHttpServerConfig copy = SmallHttpServerConfig.from(base).build();
    assertEquals(base.toString(), copy.toString());
    SmallHttpServerConfig changed = SmallHttpServerConfig.from(base).maxBodyBytes(7).build();
    assertEquals(7, changed.maxBodyBytes());
    assertEquals(3, changed.maxConnections());
  }

  private static void rejected(String message, Executable e) {
    assertEquals(message, assertThrows(IllegalArgumentException.class, e).getMessage());
  }

  @Test
  void everySetterRejectsImpossibleValuesQuotingThem() {
    SmallHttpServerConfig.Builder b = SmallHttpServerConfig.custom();
    rejected("name must not be blank: ' '", () -> b.name(" "));
    rejected("eventLoopThreads must be in 1..16: 0", () -> b.eventLoopThreads(0));
    rejected("eventLoopThreads must be in 1..16: 17", () -> b.eventLoopThreads(17));
    rejected("maxConnections must be at least 1: 0", () -> b.maxConnections(0));
    rejected("maxInitialLineBytes must be at least 64: 63", () -> b.maxInitialLineBytes(63));
    rejected("maxHeaderBytes must be at least 256: 255", () -> b.maxHeaderBytes(255));
    rejected("maxBodyBytes must be at least 0: -1", () -> b.maxBodyBytes(-1));
    rejected("requestTimeout must be positive: PT0S", () -> b.requestTimeout(Duration.ZERO));
    rejected("idleTimeout must be positive: PT-1S", () -> b.idleTimeout(Duration.ofSeconds(-1)));
    rejected("threads must be in 1..16: 0", () -> HttpEventLoops.create("x", 0));
  }
}
