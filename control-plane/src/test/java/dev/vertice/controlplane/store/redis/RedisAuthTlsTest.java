package dev.vertice.controlplane.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.RegisterRequest;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.testkit.Await;
import dev.vertice.testkit.RedisSentinel;
import dev.vertice.testkit.RedisServer;
import dev.vertice.testkit.TestCerts;
import dev.vertice.testkit.TestDeadlines;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store on a password-protected Redis, over TLS, and behind password-protected Sentinel. */
class RedisAuthTlsTest {

  private static final String PASSWORD = "s3cr3t-Redis-pw-9f2e";

  @TempDir
  Path dir;

  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  private <T extends AutoCloseable> T track(T c) {
    closeables.add(c);
    return c;
  }

  private static void registerAndRead(Replica replica) {
    RegistryServiceGrpc.newBlockingStub(replica.channel)
        .withInterceptors(TestDeadlines.grpc()).register(RegisterRequest.newBuilder()
        .setInstance(Instance.newBuilder().setService("orders").setInstanceId("a").setAddress("10.0.0.1").setPort(80))
        .build());
    assertEquals(1, replica.controlPlane.registry().service("orders").instances().size());
  }

  @Test
  void controlPlaneWorksOnAPasswordProtectedRedis() throws Exception {
    RedisServer redis = track(RedisServer.requiringPassword(dir.resolve("r"), PASSWORD));
    RedisStoreConfig config = RedisStoreConfig.from(RedisStoreConfig.parse(redis.url())).credentials(null, PASSWORD)
        .build();
    Replica replica = track(new Replica(config));
    registerAndRead(replica);
    // A second replica reads the same state: the password is used by every connection, not just the first.
    Replica other = track(new Replica(config));
    Await.until("the other replica sees the registration", Duration.ofSeconds(10),
        () -> other.controlPlane.registry().instanceCount() == 1);
  }

  @Test
  void passwordInTheAddressWorksToo() throws Exception {
    RedisServer redis = track(RedisServer.requiringPassword(dir.resolve("r"), PASSWORD));
    Replica replica = track(new Replica(RedisStoreConfig.parse(
        "redis://default:" + PASSWORD + "@127.0.0.1:" + redis.port() + "/0")));
    registerAndRead(replica);
  }

  @Test
  void wrongPasswordIsAClearStartupErrorThatDoesNotQuoteThePassword() throws Exception {
    RedisServer redis = track(RedisServer.requiringPassword(dir.resolve("r"), PASSWORD));
    String wrong = "wrong-Password-7c1d";
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> ControlPlane.builder()
        .redis(RedisStoreConfig.from(RedisStoreConfig.parse(redis.url())).credentials(null, wrong).build())
        .build());
    String message = e.getMessage();
    assertTrue(message.contains("WRONGPASS") && message.contains("--store-password-file"), message);
    assertTrue(message.contains("password ***"), message);
    assertFalse(message.contains(wrong) || message.contains(PASSWORD), message);
    for (Throwable t = e; t != null; t = t.getCause()) {
      assertFalse(String.valueOf(t.getMessage()).contains(wrong), "cause " + t);
    }
  }

  @Test
  void missingPasswordIsAClearStartupError() throws Exception {
    RedisServer redis = track(RedisServer.requiringPassword(dir.resolve("r"), PASSWORD));
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> ControlPlane.builder().redis(RedisStoreConfig.parse(redis.url())).build());
    assertTrue(e.getMessage().contains("NOAUTH") && e.getMessage().contains("--store-password-file"),
        e.getMessage());
  }

  @Test
  void controlPlaneWorksOverTlsWithTheGivenCa() throws Exception {
    TestCerts ca = TestCerts.ca(dir.resolve("certs"), "redis-ca");
    TestCerts.Pair cert = ca.server("redis", "127.0.0.1", "localhost");
    RedisServer redis = track(RedisServer.withTls(dir.resolve("r"), cert, ca.caCert(), PASSWORD));
    RedisStoreConfig config = RedisStoreConfig.from(RedisStoreConfig.parse(redis.tlsUrl())).credentials(null, PASSWORD)
        .ca(ca.caCert()).build();
    assertTrue(config.toString().startsWith("rediss://127.0.0.1:" + redis.tlsPort()), config.toString());
    Replica replica = track(new Replica(config));
    registerAndRead(replica);
    assertTrue(Integer.parseInt(redis.info("stats").lines().filter(l -> l.startsWith("total_connections_received:"))
        .findFirst().orElseThrow().split(":")[1].strip()) > 0);
  }

  @Test
  void tlsWithAnUntrustedCertificateFailsAtStartup() throws Exception {
    TestCerts ca = TestCerts.ca(dir.resolve("certs"), "redis-ca");
    TestCerts other = TestCerts.ca(dir.resolve("other"), "other-ca");
    TestCerts.Pair cert = ca.server("redis", "127.0.0.1", "localhost");
    RedisServer redis = track(RedisServer.withTls(dir.resolve("r"), cert, ca.caCert(), null));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> ControlPlane.builder()
        .redis(RedisStoreConfig.from(RedisStoreConfig.parse(redis.tlsUrl())).ca(other.caCert()).build())
        .build());
    assertTrue(e.getMessage().startsWith("cannot reach Redis at rediss://"), e.getMessage());
  }

  @Test
  void plainTextToTheTlsPortFailsAtStartup() throws Exception {
    TestCerts ca = TestCerts.ca(dir.resolve("certs"), "redis-ca");
    RedisServer redis = track(RedisServer.withTls(dir.resolve("r"), ca.server("redis", "127.0.0.1"), ca.caCert(),
        null));
    RedisStoreConfig plain = RedisStoreConfig.parse("redis://127.0.0.1:" + redis.tlsPort() + "/0");
    assertThrows(IllegalStateException.class, () -> ControlPlane.builder().redis(plain).build());
  }

  @Test
  void sentinelWithPasswordProtectedDataNodes() throws Exception {
    RedisServer master = track(RedisServer.requiringPassword(dir.resolve("master"), PASSWORD));
    RedisServer replicaServer = track(RedisServer.requiringPassword(dir.resolve("replica"), PASSWORD, master.port()));
    Await.until("the replica is in sync with the master", Duration.ofSeconds(20), replicaServer::inSync);
    RedisSentinel sentinel = track(new RedisSentinel(dir.resolve("sentinel"), master.port(), PASSWORD));
    RedisStoreConfig config = RedisStoreConfig.from(RedisStoreConfig.parse("redis-sentinel://127.0.0.1:"
        + sentinel.port() + "/" + RedisSentinel.MASTER)).credentials(null, PASSWORD).build();
    Replica replica = track(new Replica(config));
    registerAndRead(replica);
  }
}
