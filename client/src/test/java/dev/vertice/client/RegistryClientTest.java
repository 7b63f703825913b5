package dev.vertice.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.registry.RegistryEvents;
import dev.vertice.testkit.Await;
import dev.vertice.testkit.FakeClock;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** RegistryClient against real control planes on loopback. */
class RegistryClientTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  @RegisterExtension
  final TestResources resources = new TestResources();

  private static InstanceSpec.Builder echo(String id) {
    return InstanceSpec.builder("echo").instanceId(id).address("127.0.0.1").port(9001);
  }

  /** An instance pinged every second, whose lease outlives the few seconds a test runs. */
  private static InstanceSpec pinged(String id) {
    return echo(id).ttl(Duration.ofSeconds(30)).keepaliveInterval(Duration.ofSeconds(1)).build();
  }

  /** A control plane served in-process that counts KeepAlive streams and expired answers. */
  private CountingControlPlane countingControlPlane() throws IOException {
    return resources.track(new CountingControlPlane(ControlPlane.builder()));
  }

  /** A registry client of {@code cp} whose timers run on {@code clock}. */
  private RegistryClient clientOf(CountingControlPlane cp, FakeClock clock) {
    return resources.track(RegistryClient.builder().channel(cp.channel).scheduler(clock.scheduler()).build());
  }

  /** Registers {@code count} {@link #pinged} instances, {@code e0} to {@code e<count-1>}. */
  private static List<Registration> registerPinged(RegistryClient client, int count) {
    List<Registration> all = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      all.add(client.register(pinged("e" + i)));
    }
    return all;
  }

  @Test
  void registerReturnsTheLeaseGrantedByTheControlPlane() {
    TestControlPlane cp = resources.controlPlane();
    RegistryClient client = resources.registryClient(cp);

    Registration r = client.register(InstanceSpec.builder("ECHO").address("127.0.0.1").port(9001)
        .ttl(Duration.ofSeconds(20)).keepaliveInterval(Duration.ofSeconds(4)).build());

    assertEquals("echo", r.service());
    assertTrue(r.instanceId().startsWith("echo-"), "a generated id: " + r.instanceId());
    assertEquals(Duration.ofSeconds(20), r.ttl());
    assertEquals(Duration.ofSeconds(4), r.keepaliveInterval());
    assertEquals(HealthStatus.HEALTH_STATUS_SERVING, r.health());
    assertEquals(List.of(r.instanceId()), cp.instanceIds("echo"));
    assertSame(r, client.register(echo(r.instanceId()).build()), "the same instance keeps its handle");
    assertEquals(List.of(r), client.registrations());
  }

  @Test
  void keepsTheLeaseAliveBeyondItsTtlWhilePingsArrive() {
    FakeClock clock = new FakeClock();
    AtomicLong renewals = new AtomicLong();
    ControlPlane.Builder builder = ControlPlane.builder().ticker(clock).scheduler(clock.scheduler())
        .registryEvents(new RegistryEvents() {
          @Override
          public void onKeepAlive() {
            renewals.incrementAndGet();
          }
        });
    TestControlPlane cp = resources.controlPlane(builder, 0);
    RegistryClient client = resources.track(RegistryClient.builder().controlPlane(cp.address())
        .scheduler(clock.scheduler()).build());
    Registration r = client.register(echo("kept").ttl(Duration.ofSeconds(5))
        .keepaliveInterval(Duration.ofSeconds(1)).build());
    cp.register("echo", "unkept", 9002, Duration.ofSeconds(5)); // same TTL, nobody pings it
    Await.until("the ping sent when the stream opened", TIMEOUT, () -> r.renewals() >= 1);

    for (int second = 1; second <= 20; second++) {
      long before = renewals.get();
      clock.forwardTime(Duration.ofSeconds(1));
      Await.until("a ping in second " + second, TIMEOUT, () -> renewals.get() > before);
    }

    assertEquals(List.of("kept"), cp.instanceIds("echo"), "20 s with a 5 s TTL: only the pinged lease lives");
    assertTrue(r.renewals() >= 20, "renewals: " + r.renewals());
    assertEquals(0, r.reregistrations());
  }

  /**
   * A restarted control plane has lost every lease: it answers each lease's ping with {@code
   * expired}, and the client registers each instance again, with its current health.
   */
  @Test
  void registersEveryInstanceAgainAfterAControlPlaneRestartLostTheirLeases() throws Exception {
    TestControlPlane first = resources.controlPlaneOnReusablePort();
    int port = first.port();
    RegistryClient client = resources.registryClient(first);
    Map<String, HealthStatus> healths = Map.of(
        "draining", HealthStatus.HEALTH_STATUS_DRAINING,
        "serving", HealthStatus.HEALTH_STATUS_SERVING,
        "unknown", HealthStatus.HEALTH_STATUS_UNKNOWN);
    List<Registration> registrations = new ArrayList<>();
    Map<Registration, String> firstLeases = new HashMap<>();
    for (String id : List.of("draining", "serving", "unknown")) {
      Registration r = client.register(echo(id).ttl(Duration.ofSeconds(10))
          .keepaliveInterval(Duration.ofMillis(200)).build());
      r.setHealth(healths.get(id));
      registrations.add(r);
      firstLeases.put(r, r.leaseId());
    }

    first.stop();
    TestControlPlane second = resources.controlPlane(ControlPlane.builder(), port);

    Await.until("every instance registered again on the new control plane", TIMEOUT,
        () -> second.instanceIds("echo").equals(List.of("draining", "serving", "unknown")));
    for (Registration r : registrations) {
      Await.until(r + " uses its new lease", TIMEOUT, () -> r.reregistrations() == 1);
      assertNotEquals(firstLeases.get(r), r.leaseId());
      assertTrue(r.isActive());
    }
    for (Instance stored : second.controlPlane.registry().service("echo").instances()) {
      assertEquals(healths.get(stored.getInstanceId()), stored.getHealth(), "the current health is registered");
    }
    Map<Registration, Long> renewed = new HashMap<>();
    registrations.forEach(r -> renewed.put(r, r.renewals()));
    Await.until("pings renew every new lease", TIMEOUT,
        () -> registrations.stream().allMatch(r -> r.renewals() > renewed.get(r) + 1));
    assertTrue(registrations.stream().allMatch(r -> r.reregistrations() == 1), "registered again once each");
  }

  /**
   * One lease of a stream answered {@code expired} (its instance was deregistered behind the
   * client's back): that instance alone is registered again, and the stream goes on carrying the
   * other leases.
   */
  @Test
  void anExpiredAnswerRegistersThatInstanceAgainWithoutDisturbingTheOtherLeases() throws Exception {
    FakeClock clock = new FakeClock();
    CountingControlPlane cp = countingControlPlane();
    RegistryClient client = clientOf(cp, clock);
    List<Registration> all = new ArrayList<>();
    for (String id : List.of("a", "b", "c")) {
      all.add(client.register(pinged(id)));
    }
    Registration a = all.get(0);
    Registration b = all.get(1);
    Registration c = all.get(2);
    clock.forwardTime(Duration.ofSeconds(1));
    Await.until("every lease pinged", TIMEOUT, () -> all.stream().allMatch(r -> r.renewals() >= 1));
    String lostLease = b.leaseId();

    cp.deregister("echo", "b");
    clock.forwardTime(Duration.ofSeconds(1));

    Await.until("b registered again", TIMEOUT, () -> b.reregistrations() == 1);
    assertEquals(List.of("a", "b", "c"), cp.instanceIds("echo"));
    assertNotEquals(lostLease, b.leaseId());
    assertEquals(1, cp.expiredAnswers());
    long aBefore = a.renewals();
    long bBefore = b.renewals();
    long cBefore = c.renewals();
    clock.forwardTime(Duration.ofSeconds(1));
    Await.until("the next pings renew all three", TIMEOUT,
        () -> a.renewals() > aBefore && b.renewals() > bBefore && c.renewals() > cBefore);
    assertEquals(0, a.reregistrations() + c.reregistrations(), "the other leases were not disturbed");
    assertEquals(1, cp.keepAliveStreams(), "the stream stayed open");
  }

  @Test
  void moreRegistrationsThanOneStreamMayCarryAreSpreadOverSeveralStreams() throws Exception {
    FakeClock clock = new FakeClock();
    CountingControlPlane cp = countingControlPlane();
    RegistryClient client = clientOf(cp, clock);
    int count = RegistryClient.MAX_LEASES_PER_STREAM + 10;
    List<Registration> all = registerPinged(client, count);

    clock.forwardTime(Duration.ofSeconds(1)); // one ping per lease
    clock.forwardTime(Duration.ofSeconds(1)); // and another

    Await.until("every lease renewed twice", TIMEOUT, () -> all.stream().allMatch(r -> r.renewals() >= 2));
    assertEquals(2, cp.keepAliveStreams(), "1024 leases on the first stream, the rest on a second");
    assertEquals(0, cp.expiredAnswers());
    assertTrue(all.stream().allMatch(r -> r.reregistrations() == 0));
    assertEquals(count, cp.instanceIds("echo").size());
  }

  /**
   * The control plane counts only live leases against a stream's limit: once an instance on a full
   * stream is deregistered, a newcomer takes its place on that stream, without a second stream and
   * without the dead lease being pinged again.
   */
  @Test
  void aDeregisteredLeaseFreesItsPlaceOnAFullStream() throws Exception {
    FakeClock clock = new FakeClock();
    CountingControlPlane cp = countingControlPlane();
    RegistryClient client = clientOf(cp, clock);
    List<Registration> all = registerPinged(client, RegistryClient.MAX_LEASES_PER_STREAM);
    clock.forwardTime(Duration.ofSeconds(1));
    Await.until("every lease pinged: the stream is full", TIMEOUT, () -> all.stream().allMatch(r -> r.renewals() >= 1));

    all.remove(0).deregister();
    all.add(client.register(pinged("newcomer")));
    clock.forwardTime(Duration.ofSeconds(1));

    // Had the stream refused the newcomer, it would have failed and the others' pings gone unanswered.
    Await.until("every lease renewed, the newcomer's too", TIMEOUT,
        () -> all.stream().allMatch(r -> r.renewals() >= (r.instanceId().equals("newcomer") ? 1 : 2)));
    assertEquals(1, cp.keepAliveStreams(), "the newcomer took the freed place on the one stream");
    assertEquals(0, cp.expiredAnswers(), "the dead lease was not pinged again");
    assertTrue(all.stream().allMatch(r -> r.reregistrations() == 0));
    assertEquals(RegistryClient.MAX_LEASES_PER_STREAM, cp.instanceIds("echo").size());
  }

  @Test
  void closeDeregistersEveryInstanceAndWatchersSeeTheRemoval() {
    TestControlPlane cp = resources.controlPlane();
    WatchClient watch = resources.watchClient(cp);
    Recorder recorder = new Recorder();
    watch.addListener(recorder);
    watch.subscribe("echo");
    RegistryClient client = RegistryClient.builder().controlPlane(cp.address()).build();
    resources.track(client);
    Registration one = client.register(echo("one").build());
    Registration two = client.register(echo("two").port(9002).build());
    Await.until("both pushed", TIMEOUT, () -> recorder.saw("update echo [one:SERVING,two:SERVING]"));

    client.close();

    Await.until("removal pushed", TIMEOUT, () -> recorder.saw("removed echo"));
    assertEquals(List.of(), cp.instanceIds("echo"));
    assertFalse(one.isActive() || two.isActive());
    assertThrows(IllegalStateException.class, () -> client.register(echo("three").build()));
  }

  @Test
  void deregisterRemovesAtOnceAndIsIdempotent() {
    TestControlPlane cp = resources.controlPlane();
    RegistryClient client = resources.registryClient(cp);
    Registration r = client.register(echo("gone").build());

    r.deregister();
    r.deregister();

    assertEquals(List.of(), cp.instanceIds("echo"));
    assertFalse(r.isActive());
    assertEquals(List.of(), client.registrations());
    assertThrows(IllegalStateException.class, () -> r.setHealth(HealthStatus.HEALTH_STATUS_SERVING));
  }

  @Test
  void unaryCallsFailOverToTheNextAddressWhenOneIsUnavailable() {
    TestControlPlane dead = TestControlPlane.start();
    String deadAddress = dead.address();
    dead.stop();
    TestControlPlane live = resources.controlPlane();
    RegistryClient client = resources.track(RegistryClient.builder().controlPlane(deadAddress + "," + live.address())
        .callTimeout(Duration.ofSeconds(2)).random(new Random(3)).build());

    Registration r = client.register(echo("e1").keepaliveInterval(Duration.ofMillis(200)).build());

    assertEquals(List.of("e1"), live.instanceIds("echo"));
    long renewed = r.renewals();
    Await.until("pings reach the live replica", TIMEOUT, () -> r.renewals() > renewed);
  }

  @Test
  void registerBatchRegistersEveryInstanceInOneCallAndKeepsTheirLeasesAlive() {
    FakeClock clock = new FakeClock();
    ControlPlane.Builder builder = ControlPlane.builder().ticker(clock).scheduler(clock.scheduler());
    TestControlPlane cp = resources.controlPlane(builder, 0);
    RegistryClient client = resources.track(RegistryClient.builder().controlPlane(cp.address())
        .scheduler(clock.scheduler()).build());
    Registration single = client.register(echo("b").ttl(Duration.ofSeconds(5)).keepaliveInterval(Duration.ofSeconds(1))
        .build());
    List<Registration> batch = client.registerBatch(List.of(
        echo("a").ttl(Duration.ofSeconds(5)).keepaliveInterval(Duration.ofSeconds(1)).build(),
        echo("b").port(9002).ttl(Duration.ofSeconds(5)).keepaliveInterval(Duration.ofSeconds(1)).build(),
        echo("c").ttl(Duration.ofSeconds(5)).keepaliveInterval(Duration.ofSeconds(1)).build()));

    assertEquals(List.of("a", "b", "c"), batch.stream().map(Registration::instanceId).toList(), "in order");
    assertSame(single, batch.get(1), "an instance the client holds keeps its handle");
    assertEquals(List.of("a", "b", "c"), cp.instanceIds("echo"));
    for (int second = 1; second <= 8; second++) {
      long before = batch.stream().mapToLong(Registration::renewals).min().orElse(0);
      clock.forwardTime(Duration.ofSeconds(1));
      Await.until("pings in second " + second, TIMEOUT,
          () -> batch.stream().mapToLong(Registration::renewals).min().orElse(0) > before);
    }
    assertEquals(List.of("a", "b", "c"), cp.instanceIds("echo"), "8 s with a 5 s TTL: kept alive");
  }

  @Test
  void aBadEntryInABatchNamesItsIndexAndNothingIsRegistered() {
    TestControlPlane cp = resources.controlPlane();
    RegistryClient client = resources.registryClient(cp);
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> client.registerBatch(List.of(
        echo("a").build(), echo("b").ttl(Duration.ofMillis(10)).build())));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("entries[1].ttl"), e.getStatus().getDescription());
    assertEquals(List.of(), client.registrations());
    assertEquals(List.of(), cp.instanceIds("echo"));
  }

  @Test
  void invalidRegistrationIsRejectedWithInvalidArgumentAndNothingIsKept() {
    TestControlPlane cp = resources.controlPlane();
    RegistryClient client = resources.registryClient(cp);

    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> client.register(echo("e1").ttl(Duration.ofMillis(10)).build()));

    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("ttl"), e.getStatus().getDescription());
    assertEquals(List.of(), client.registrations());
  }

  @Test
  void setHealthOnAnInstanceTheControlPlaneLostRegistersItAgainWithThatHealth() {
    TestControlPlane cp = resources.controlPlane();
    RegistryClient client = resources.registryClient(cp);
    Registration r = client.register(echo("e1").build());
    cp.deregister("echo", "e1"); // behind the client's back, as an operator would

    r.setHealth(HealthStatus.HEALTH_STATUS_NOT_SERVING);

    Await.until("registered again", TIMEOUT, () -> cp.instanceIds("echo").equals(List.of("e1")));
    assertEquals(HealthStatus.HEALTH_STATUS_NOT_SERVING,
        cp.controlPlane.registry().service("echo").instances().get(0).getHealth());
    Await.until("counted", TIMEOUT, () -> r.reregistrations() == 1);
  }

  @Test
  void specRejectsBadFieldsBeforeAnyCall() {
    assertThrows(IllegalArgumentException.class, () -> InstanceSpec.builder("bad name!").address("h").port(1).build());
    assertThrows(IllegalArgumentException.class, () -> InstanceSpec.builder("ok").address("h").port(0).build());
    assertThrows(IllegalArgumentException.class, () -> InstanceSpec.builder("ok").port(80).build());
    assertThrows(IllegalArgumentException.class,
        () -> InstanceSpec.builder("ok").address("h").port(80).ttl(Duration.ZERO).build());
  }
}
