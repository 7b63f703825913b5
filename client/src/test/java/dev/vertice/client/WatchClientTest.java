package dev.vertice.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.push.PushStats;
import dev.vertice.testkit.Await;
import dev.vertice.testkit.FakeClock;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** WatchClient against real control planes (loopback, or in-process where a stream must be cut). */
class WatchClientTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  @RegisterExtension
  final TestResources resources = new TestResources();

  private WatchClient watch(String addresses) {
    return resources.track(WatchClient.builder().controlPlane(addresses).nodeId("test").build());
  }

  /**
   * {@code Fronts} is one control plane served by two in-process servers: a channel to each, and a
   * registry client on the second (the one that stays up).
   */
  private final class Fronts {
    final ControlPlane cp = resources.track(ControlPlane.builder().build());
    final Server server1;
    final ManagedChannel channel1;
    final ManagedChannel channel2;
    final RegistryClient registry;

    Fronts() throws IOException {
      String first = InProcessServerBuilder.generateName();
      String second = InProcessServerBuilder.generateName();
      server1 = resources.inProcessServer(first, cp);
      resources.inProcessServer(second, cp);
      channel1 = resources.channel(InProcessChannelBuilder.forName(first).build());
      channel2 = resources.channel(InProcessChannelBuilder.forName(second).build());
      registry = resources.track(RegistryClient.builder().channel(channel2).build());
    }

    /** A watch client that tries the first server, then the second, its time and timers on {@code clock}. */
    WatchClient watch(FakeClock clock) {
      return resources.track(WatchClient.builder().channels(List.of(channel1, channel2))
          .ticker(clock).scheduler(clock.scheduler()).random(new Random(5)).build());
    }

    /** Cuts the first server's streams, as a crash would. */
    void stopFirst() {
      server1.shutdownNow();
    }
  }

  @Test
  void subscribedFromTheStartItIsSyncedOnlyOnceTheAnswerIsInItsCache() throws Exception {
    TestControlPlane cp = resources.controlPlane();
    resources.registryClient(cp).register(InstanceSpec.builder("ready-check").instanceId("r1").address("127.0.0.1")
        .port(9001).build());

    // Subscribed after build: the stream, established with nothing to await, is in sync at once,
    // with nothing in the cache (a readiness check built on that answered "ready" with no routes).
    WatchClient late = resources.track(WatchClient.builder().controlPlane(cp.address()).nodeId("late").build());
    Await.until("in sync with nothing awaited", TIMEOUT, late::isSyncedAndApplied);
    assertTrue(late.snapshots().isEmpty(), late.snapshots().toString());

    // Subscribed in the first request: in sync, and applied, only with the answer in the cache.
    WatchClient early = resources.track(WatchClient.builder().controlPlane(cp.address()).nodeId("early")
        .subscribeAll(true).build());
    Await.until("in sync and applied", TIMEOUT, early::isSyncedAndApplied);
    assertTrue(early.isSynced());
    assertTrue(early.snapshots().containsKey("ready-check"), "read after isSyncedAndApplied: "
        + early.snapshots());
    early.subscribeAll(); // idempotent: already subscribed
    assertTrue(early.isSyncedAndApplied());
  }

  @Test
  void listenerSeesRegistrationHealthChangeAndDeregistrationInOrder() throws Exception {
    TestControlPlane cp = resources.controlPlane();
    WatchClient watch = watch(cp.address());
    Recorder recorder = new Recorder();
    watch.addListener(recorder);
    // The env-var spelling names echo-service; the first answer is "it does not exist (yet)".
    assertEquals(Optional.empty(), watch.awaitService("ECHO_SERVICE", TIMEOUT));
    RegistryClient registry = resources.registryClient(cp);

    Registration r = registry.register(InstanceSpec.builder("echo-service").instanceId("e1").address("127.0.0.1")
        .port(9001).protocol(Protocol.PROTOCOL_GRPC).build());
    Await.until("registration pushed", TIMEOUT, () -> recorder.saw("update echo-service [e1:SERVING]"));
    r.setHealth(HealthStatus.HEALTH_STATUS_NOT_SERVING);
    Await.until("health change pushed", TIMEOUT, () -> recorder.saw("update echo-service [e1:NOT_SERVING]"));
    r.deregister();
    Await.until("removal pushed", TIMEOUT, () -> recorder.events().size() == 4);

    assertEquals(List.of("removed echo-service", "update echo-service [e1:SERVING]",
        "update echo-service [e1:NOT_SERVING]", "removed echo-service"), recorder.events());
    assertTrue(recorder.threads().stream().allMatch(t -> t.startsWith("vertice-watch-listeners")),
        "listeners run on the listener executor, not on gRPC threads: " + recorder.threads());
    assertEquals(Optional.empty(), watch.get("echo-service"));
  }

  @Test
  void snapshotsHoldEveryInstanceAndServingFiltersByHealth() throws Exception {
    TestControlPlane cp = resources.controlPlane();
    cp.register("echo", "b", 9002);
    cp.register("echo", "a", 9001);
    cp.setHealth("echo", "b", HealthStatus.HEALTH_STATUS_DRAINING);
    WatchClient watch = watch(cp.address());

    ServiceSnapshot s = watch.awaitService("echo", TIMEOUT).orElseThrow();

    assertEquals("[a:SERVING,b:DRAINING]", Recorder.describe(s.instances()));
    assertEquals("[a:SERVING]", Recorder.describe(s.serving()));
    assertEquals(s, watch.get("echo").orElseThrow());
    assertEquals(s, watch.get("ECHO").orElseThrow(), "get accepts any spelling");
    assertEquals(cp.resourceVersion("echo"), s.version(), "the version the registry API reports, compared as is");
  }

  @Test
  void awaitServiceAnswersEmptyForAServiceWithoutInstances() throws Exception {
    TestControlPlane cp = resources.controlPlane();
    WatchClient watch = watch(cp.address());

    assertEquals(Optional.empty(), watch.awaitService("nobody-here", TIMEOUT));
    assertEquals(Optional.empty(), watch.awaitService("nobody-here", Duration.ofMillis(1)),
        "a known answer returns at once");
  }

  @Test
  void awaitServiceTimesOutWhenNoControlPlaneAnswers() {
    TestControlPlane cp = resources.controlPlane();
    String address = cp.address();
    cp.stop();
    WatchClient watch = watch(address);

    assertThrows(TimeoutException.class, () -> watch.awaitService("echo", Duration.ofMillis(200)));
    assertFalse(watch.isConnected());
  }

  @Test
  void addListenerReplaysTheCurrentStateBeforeLaterChanges() throws Exception {
    TestControlPlane cp = resources.controlPlane();
    cp.register("echo", "e1", 9001);
    WatchClient watch = watch(cp.address());
    watch.awaitService("echo", TIMEOUT);
    watch.awaitService("ghost", TIMEOUT);

    Recorder recorder = new Recorder();
    watch.addListener(recorder);
    cp.register("echo", "e2", 9002);

    Await.until("the later change", TIMEOUT, () -> recorder.events().size() == 3);
    assertEquals(List.of("update echo [e1:SERVING]", "removed ghost", "update echo [e1:SERVING,e2:SERVING]"),
        recorder.events());
  }

  @Test
  void subscribeAllFollowsEveryServiceAndItsRemoval() {
    TestControlPlane cp = resources.controlPlane();
    cp.register("alpha", "a1", 9001);
    WatchClient watch = watch(cp.address());
    Recorder recorder = new Recorder();
    watch.addListener(recorder);
    watch.subscribeAll();

    Await.until("alpha", TIMEOUT, () -> watch.get("alpha").isPresent());
    cp.register("beta", "b1", 9002);
    Await.until("beta", TIMEOUT, () -> watch.get("beta").isPresent());
    cp.deregister("alpha", "a1");
    Await.until("alpha removed", TIMEOUT, () -> recorder.saw("removed alpha"));

    assertEquals(List.of("beta"), List.copyOf(watch.snapshots().keySet()));
    assertEquals(List.of("update alpha [a1:SERVING]", "update beta [b1:SERVING]", "removed alpha"),
        recorder.events());
  }

  @Test
  void unsubscribeDropsTheServiceAndStopsItsUpdates() throws Exception {
    TestControlPlane cp = resources.controlPlane();
    cp.register("echo", "e1", 9001);
    cp.register("other", "o1", 9002);
    WatchClient watch = watch(cp.address());
    Recorder recorder = new Recorder();
    watch.addListener(recorder);
    watch.awaitService("echo", TIMEOUT);
    watch.awaitService("other", TIMEOUT);

    watch.unsubscribe("echo");
    cp.register("echo", "e2", 9003);
    cp.register("other", "o2", 9004);
    Await.until("the later change of other", TIMEOUT, () -> recorder.saw("update other [o1:SERVING,o2:SERVING]"));

    assertEquals(Optional.empty(), watch.get("echo"));
    assertEquals(List.of("update echo [e1:SERVING]", "update other [o1:SERVING]", "removed echo",
        "update other [o1:SERVING,o2:SERVING]"), recorder.events());
  }

  /**
   * Two in-process servers front the same control plane; cutting the first one's streams makes the
   * client reconnect to the second, which must send only what changed meanwhile.
   */
  @Test
  void reconnectResumesWithHeldVersionsAndReceivesOnlyTheDifferences() throws IOException {
    Fronts fronts = new Fronts();
    ControlPlane cp = fronts.cp;
    RegistryClient registry = fronts.registry;
    for (String service : List.of("alpha", "beta", "gamma")) {
      registry.register(InstanceSpec.builder(service).instanceId(service + "-1").address("10.0.0.1").port(80).build());
    }
    FakeClock clock = new FakeClock();
    WatchClient watch = fronts.watch(clock);
    watch.subscribe("alpha");
    watch.subscribe("beta");
    watch.subscribe("gamma");
    Await.until("three services cached", TIMEOUT, () -> watch.snapshots().size() == 3);
    assertEquals(Optional.of("channel[0]:" + fronts.channel1.authority()), watch.connectedTo());

    fronts.stopFirst();
    Await.until("the stream to the first server fails", TIMEOUT, () -> !watch.isConnected());
    Await.until("the reconnect timer is armed", TIMEOUT, () -> clock.pendingTasks() == 1);
    Await.until("the control plane forgets that stream", TIMEOUT, () -> cp.engine().stats().subscribers() == 0);
    registry.register(InstanceSpec.builder("beta").instanceId("beta-2").address("10.0.0.2").port(80).build());
    registry.registrations().stream().filter(r -> r.service().equals("gamma")).findFirst().orElseThrow().deregister();
    long sentBefore = cp.engine().stats().resourcesSent();
    String alphaVersion = watch.get("alpha").orElseThrow().version();

    clock.forwardTime(Duration.ofSeconds(1)); // past the first backoff delay: reconnect to the second server
    Await.until("beta changed and gamma removed", TIMEOUT,
        () -> watch.get("beta").map(s -> s.instances().size() == 2).orElse(false) && watch.get("gamma").isEmpty());

    assertEquals(Optional.of("channel[1]:" + fronts.channel2.authority()), watch.connectedTo());
    assertEquals(2, cp.engine().stats().resourcesSent() - sentBefore,
        "only the changed beta and the removed gamma are sent; alpha, held at its version, is not");
    assertEquals(alphaVersion, watch.get("alpha").orElseThrow().version());
  }

  @Test
  void failsOverToTheNextControlPlaneAndServesTheLastStateWhileDisconnected() {
    TestControlPlane a = resources.controlPlane();
    TestControlPlane b = resources.controlPlane();
    a.register("echo", "a1", 9001);
    b.register("echo", "b1", 9001);
    b.register("echo", "b2", 9002);
    FakeClock clock = new FakeClock();
    WatchClient watch = resources.track(WatchClient.builder().controlPlane(a.address() + "," + b.address())
        .ticker(clock).scheduler(clock.scheduler()).random(new Random(9)).build());
    watch.subscribe("echo");
    Await.until("A's state", TIMEOUT, () -> watch.get("echo").isPresent());
    assertEquals(Optional.of(a.address()), watch.connectedTo());
    assertTrue(watch.isSynced());
    assertEquals(Duration.ZERO, watch.staleness());

    a.stop();
    Await.until("disconnected from A", TIMEOUT, () -> !watch.isConnected());
    Await.until("the reconnect timer is armed", TIMEOUT, () -> clock.pendingTasks() == 1);
    clock.forwardTime(Duration.ofMillis(50)); // shorter than any first backoff delay (80-120 ms)
    assertFalse(watch.isSynced());
    assertEquals(Duration.ofMillis(50), watch.staleness());
    assertEquals("[a1:SERVING]", Recorder.describe(watch.get("echo").orElseThrow().instances()),
        "stale beats empty: the last state is still served");

    clock.forwardTime(Duration.ofMillis(200)); // the reconnect timer fires: on to B
    Await.until("B's state", TIMEOUT,
        () -> watch.get("echo").map(s -> s.instances().size() == 2).orElse(false));
    assertEquals(Optional.of(b.address()), watch.connectedTo());
    assertTrue(watch.isSynced());
    assertEquals(Duration.ZERO, watch.staleness());
    b.register("echo", "b3", 9003);
    Await.until("B's later registration", TIMEOUT,
        () -> watch.get("echo").map(s -> s.instances().size() == 3).orElse(false));
    assertEquals("[b1:SERVING,b2:SERVING,b3:SERVING]", Recorder.describe(watch.get("echo").orElseThrow().instances()));
  }

  /**
   * Two control planes with their own in-memory stores share no history: both give "echo" the
   * same revision, with other content. Versions carry each store's epoch, so the version the
   * client resumes with means nothing to B, which sends its own content.
   */
  @Test
  void failoverToAReplicaWhoseVersionCollidesStillConverges() {
    TestControlPlane a = resources.controlPlane();
    TestControlPlane b = resources.controlPlane();
    a.register("echo", "a1", 9001);
    b.register("echo", "b1", 9001);
    assertEquals(a.controlPlane.registry().service("echo").version(),
        b.controlPlane.registry().service("echo").version(), "the same revision on both");
    assertNotEquals(a.resourceVersion("echo"), b.resourceVersion("echo"), "but not the same version");
    WatchClient watch = watch(a.address() + "," + b.address());
    watch.subscribe("echo");
    Await.until("A's state", TIMEOUT, () -> watch.get("echo").isPresent());

    a.stop();

    Await.until("B's state", TIMEOUT, () -> instanceIds(watch.get("echo")).equals(List.of("b1")));
    assertEquals(b.resourceVersion("echo"), watch.get("echo").orElseThrow().version());
  }

  /**
   * A control plane restarted on the same address lost its state and counts revisions from the
   * start again; what the client holds is resent because its version names the old history.
   */
  @Test
  void aRestartedControlPlaneResendsWhatTheClientHeldFromBeforeTheRestart() throws Exception {
    TestControlPlane first = resources.controlPlaneOnReusablePort();
    int port = first.port();
    first.register("echo", "before", 9001);
    WatchClient watch = watch(first.address());
    watch.subscribe("echo");
    Await.until("the first state", TIMEOUT, () -> watch.get("echo").isPresent());
    String heldVersion = watch.get("echo").orElseThrow().version();

    first.stop();
    TestControlPlane second = resources.controlPlane(ControlPlane.builder(), port);
    second.register("echo", "after", 9001);

    Await.until("the restarted control plane's state", TIMEOUT,
        () -> instanceIds(watch.get("echo")).equals(List.of("after")));
    assertNotEquals(heldVersion, watch.get("echo").orElseThrow().version());
    Await.until("in sync again", TIMEOUT, watch::isSynced);
  }

  /**
   * Resuming with nothing changed is answered by an empty response: the client ACKs it, and it
   * ends the staleness that started when the previous stream was lost (not when the new one
   * opened).
   */
  @Test
  void resumeWithNothingChangedIsAnsweredEmptyAckedAndEndsStaleness() throws IOException {
    Fronts fronts = new Fronts();
    ControlPlane cp = fronts.cp;
    fronts.registry.register(InstanceSpec.builder("echo").instanceId("e1").address("10.0.0.1").port(80).build());
    FakeClock clock = new FakeClock();
    WatchClient watch = fronts.watch(clock);
    watch.subscribe("echo");
    Await.until("echo cached and acked", TIMEOUT, () -> watch.get("echo").isPresent() && cp.engine().stats().acks() >= 1);
    ServiceSnapshot held = watch.get("echo").orElseThrow();

    fronts.stopFirst();
    Await.until("the stream to the first server fails", TIMEOUT, () -> !watch.isConnected());
    Await.until("the reconnect timer is armed", TIMEOUT, () -> clock.pendingTasks() == 1);
    Await.until("the control plane forgets that stream", TIMEOUT, () -> cp.engine().stats().subscribers() == 0);
    long responses = watch.responsesReceived();
    PushStats before = cp.engine().stats();
    clock.forwardTime(Duration.ofSeconds(1)); // the reconnect, to the second server

    Await.until("the empty answer is ACKed", TIMEOUT, () -> cp.engine().stats().acks() == before.acks() + 1);
    assertEquals(before.batchesSent() + 1, cp.engine().stats().batchesSent(), "one response");
    assertEquals(before.resourcesSent(), cp.engine().stats().resourcesSent(), "holding no resource");
    assertEquals(responses + 1, watch.responsesReceived());
    assertTrue(watch.isSynced());
    assertEquals(Duration.ZERO, watch.staleness());
    assertEquals(held, watch.get("echo").orElseThrow(), "the cache is unchanged");
  }

  @Test
  void closeEndsTheStreamAndFailsPendingWaits() throws Exception {
    TestControlPlane cp = resources.controlPlane();
    WatchClient watch = WatchClient.builder().controlPlane(cp.address()).build();
    try {
      watch.awaitService("ghost", TIMEOUT);
      Await.until("one subscriber", TIMEOUT, () -> cp.controlPlane.engine().stats().subscribers() == 1);
    } finally {
      watch.close();
    }
    Await.until("the server forgets the subscriber", TIMEOUT,
        () -> cp.controlPlane.engine().stats().subscribers() == 0);
    assertThrows(IllegalStateException.class, () -> watch.subscribe("echo"));
    watch.close(); // idempotent
  }

  private static List<String> instanceIds(Optional<ServiceSnapshot> snapshot) {
    return snapshot.map(s -> s.instances().stream().map(Instance::getInstanceId).toList()).orElse(List.of());
  }
}
