package dev.vertice.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.RegisterRequest;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.testkit.Await;
import dev.vertice.testkit.RedisServer;
import dev.vertice.testkit.TestDeadlines;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Redis password of the store never shows: not in the control plane's log (start, Redis outage,
 * recovery, shutdown), not on /metrics or /healthz, not in the errors of wrong passwords and bad flags.
 */
class StoreSecretsTest {

  private static final String PASSWORD = "Pw-4b7e91d0-not-for-logs";
  private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");
  private static final Pattern ADMIN = Pattern.compile("admin: (http://127\\.0\\.0\\.1:\\d+)/metrics");

  @TempDir
  Path tmp;

  private final List<Process> processes = new ArrayList<>();
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (Process p : processes) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  @Test
  void passwordAppearsInNoLogMetricOrHealthResponse() throws Exception {
    RedisServer redis = RedisServer.requiringPassword(tmp.resolve("redis"), PASSWORD);
    closeables.add(redis);
    Path passwordFile = tmp.resolve("redis-password");
    Files.writeString(passwordFile, PASSWORD + "\n");
    Path log = tmp.resolve("control-plane.log");
    Process p = start(Map.of("VERTICE_STORE", redis.url(), "VERTICE_STORE_PASSWORD_FILE", passwordFile.toString()),
        log);
    String ready = Await.value("the control plane logs its address", Duration.ofSeconds(60),
        () -> lines(log).stream().filter(l -> LISTENING.matcher(l).find()).findFirst().orElse(null));
    assertTrue(ready.contains("password ***"), ready);
    Matcher m = LISTENING.matcher(ready);
    assertTrue(m.find());
    Matcher admin = ADMIN.matcher(ready);
    assertTrue(admin.find(), ready);
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", Integer.parseInt(m.group(1)))
        .usePlaintext().build();
    closeables.add(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    var registry = RegistryServiceGrpc.newBlockingStub(channel)
        .withInterceptors(TestDeadlines.grpc()).withDeadlineAfter(10, TimeUnit.SECONDS);
    registry.register(RegisterRequest.newBuilder().setInstance(Instance.newBuilder().setService("orders")
        .setInstanceId("a").setAddress("10.0.0.1").setPort(80)).build());

    // An outage and a recovery: the store logs its failures and its reconnection.
    HttpClient http = HttpClient.newHttpClient();
    redis.kill();
    Await.until("a write fails while Redis is down", Duration.ofSeconds(20), () -> {
      try {
        RegistryServiceGrpc.newBlockingStub(channel)
            .withInterceptors(TestDeadlines.grpc()).withDeadlineAfter(5, TimeUnit.SECONDS)
            .register(RegisterRequest.newBuilder().setInstance(Instance.newBuilder().setService("orders")
                .setInstanceId("b").setAddress("10.0.0.2").setPort(80)).build());
        return false;
      } catch (StatusRuntimeException e) {
        assertFalse(String.valueOf(e.getStatus().getDescription()).contains(PASSWORD), e.getStatus().toString());
        return true;
      }
    });
    redis.start();
    Await.until("writes work again after Redis returns", Duration.ofSeconds(30), () -> {
      try {
        RegistryServiceGrpc.newBlockingStub(channel)
            .withInterceptors(TestDeadlines.grpc()).withDeadlineAfter(5, TimeUnit.SECONDS)
            .register(RegisterRequest.newBuilder().setInstance(Instance.newBuilder().setService("orders")
                .setInstanceId("c").setAddress("10.0.0.3").setPort(80)).build());
        return true;
      } catch (StatusRuntimeException e) {
        return false;
      }
    });
    for (String path : List.of("/metrics", "/healthz", "/nope")) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(admin.group(1) + path))
          .timeout(TestDeadlines.HTTP).build(),
          HttpResponse.BodyHandlers.ofString());
      assertFalse(r.body().contains(PASSWORD), path + " shows the password");
      assertFalse(r.headers().toString().contains(PASSWORD), path + " headers show the password");
    }
    p.destroy();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    String all = String.join("\n", lines(log));
    assertTrue(all.contains("stopped"), all);
    assertFalse(all.contains(PASSWORD), "the log shows the password:\n" + all);
  }

  @Test
  void wrongPasswordExitsWithAClearErrorThatDoesNotQuoteIt() throws Exception {
    RedisServer redis = RedisServer.requiringPassword(tmp.resolve("redis"), PASSWORD);
    closeables.add(redis);
    String wrong = "Wrong-" + PASSWORD;
    Path passwordFile = tmp.resolve("redis-password");
    Files.writeString(passwordFile, wrong);
    Path log = tmp.resolve("control-plane.log");
    Process p = start(Map.of("VERTICE_STORE", redis.url(), "VERTICE_STORE_PASSWORD_FILE", passwordFile.toString()),
        log);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    String all = String.join("\n", lines(log));
    assertEquals(1, p.exitValue(), all);
    assertTrue(all.contains("WRONGPASS") && all.contains("--store-password-file"), all);
    assertFalse(all.contains(PASSWORD), "the log shows the password:\n" + all);
  }

  @Test
  void badStoreSettingsExitWith2AndNeverQuoteThePassword() throws Exception {
    Path passwordFile = tmp.resolve("redis-password");
    Files.writeString(passwordFile, PASSWORD + "\n");
    Path empty = Files.writeString(tmp.resolve("empty"), "\n");
    Path twoLines = Files.writeString(tmp.resolve("two"), PASSWORD + "\nsecond\n");
    Path notUtf8 = Files.write(tmp.resolve("latin1"), new byte[] {'p', (byte) 0xE9, 'w'});
    List<List<String>> cases = List.of(
        List.of("--store", "redis://:" + PASSWORD + "@127.0.0.1:notaport/0"),
        List.of("--store", "redis://:" + PASSWORD + "@127.0.0.1:1/db"),
        List.of("--store", "redis-sentinel://:" + PASSWORD + "@127.0.0.1:1"),
        List.of("--store", "ftp://:" + PASSWORD + "@127.0.0.1:1"),
        List.of("--store", "redis://:" + PASSWORD + "@127.0.0.1:1/0", "--store-password-file", passwordFile.toString()),
        List.of("--store", "redis://127.0.0.1:1/0", "--store-password-file", empty.toString()),
        List.of("--store", "redis://127.0.0.1:1/0", "--store-password-file", twoLines.toString()),
        List.of("--store", "redis://127.0.0.1:1/0", "--store-password-file", notUtf8.toString()),
        List.of("--store", "redis://127.0.0.1:1/0", "--store-password-file", tmp.resolve("missing").toString()),
        List.of("--store", "redis://127.0.0.1:1/0", "--store-ca", passwordFile.toString()),
        List.of("--store", "redis://127.0.0.1:1/0", "--store-user", "app"),
        List.of("--store", "memory", "--store-password-file", passwordFile.toString()),
        List.of("--store", "redis://127.0.0.1:1/0", "--store-sentinel-password-file", passwordFile.toString()));
    for (List<String> flags : cases) {
      List<String> args = new ArrayList<>(List.of("control-plane", "--host", "127.0.0.1", "--port", "0",
          "--admin-port", "-1"));
      args.addAll(flags);
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args.toArray(String[]::new));
      String shown = out + "\n" + err;
      assertEquals(2, code, flags + ": " + shown);
      assertTrue(err.toString().contains("--store"), flags + ": " + shown);
      assertFalse(shown.contains(PASSWORD), flags + " shows the password: " + shown);
      assertFalse(shown.contains("Exception"), flags + ": " + shown);
    }
  }

  @Test
  void badGatewayHealthCheckRedisExitsWith2AndNeverQuotesThePassword() {
    for (String value : List.of("redis://:" + PASSWORD + "@127.0.0.1:notaport/0",
        "http://:" + PASSWORD + "@127.0.0.1:1/0", "redis://:" + PASSWORD + "@/0")) {
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), "gateway", "--host", "127.0.0.1",
          "--port", "0", "--grpc-port", "-1", "--admin-port", "-1", "--health-check-redis", value);
      String shown = out + "\n" + err;
      assertEquals(2, code, value + ": " + shown);
      assertTrue(err.toString().contains("--health-check-redis"), shown);
      assertFalse(shown.contains(PASSWORD), value + " shows the password: " + shown);
    }
  }

  private Process start(Map<String, String> env, Path log) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        "dev.vertice.launcher.Main", "control-plane", "--host", "127.0.0.1", "--port", "0", "--admin-port", "0",
        "--shutdown-grace", "1s");
    pb.environment().putAll(env);
    pb.redirectErrorStream(true).redirectOutput(log.toFile());
    Process p = pb.start();
    processes.add(p);
    return p;
  }

  private static List<String> lines(Path file) {
    try {
      return Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
