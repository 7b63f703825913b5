package dev.vertice.interop.polyglot;

import static dev.vertice.interop.polyglot.Events.about;
import static dev.vertice.interop.polyglot.Events.bool;
import static dev.vertice.interop.polyglot.Events.instanceIds;
import static dev.vertice.interop.polyglot.Events.list;
import static dev.vertice.interop.polyglot.Events.num;
import static dev.vertice.interop.polyglot.Events.str;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.client.WatchClient;
import dev.vertice.api.discovery.v1.Subset;
import dev.vertice.api.discovery.v1.TrafficPolicy;
import dev.vertice.common.ResourceTypes;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.push.ConvergenceListener;
import dev.vertice.controlplane.push.Versions;
import dev.vertice.controlplane.registry.StoredTrafficPolicy;
import dev.vertice.controlplane.registry.TrafficPolicies;
import dev.vertice.testkit.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The generated example clients (examples/python, examples/node) against a real control plane, as
 * real child processes: what one registers, the others (and the Java client) see; their ACKs,
 * NACKs, re-registrations and resumes are what the protocol in docs/api.md says.
 */
class GeneratedClientsTest {

  /** Generous: the clients are separate interpreters on a shared, busy machine. */
  private static final Duration DEADLINE = Duration.ofSeconds(30);

  private final List<ClientProcess> processes = new ArrayList<>();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private LocalControlPlane cp;

  @AfterEach
  void cleanUp() throws Exception {
    for (ClientProcess p : processes) {
      p.close();
    }
    for (AutoCloseable c : closeables) {
      c.close();
    }
    if (cp != null) {
      cp.close();
    }
  }

  @Test
  void registrationFromPythonIsSeenByNodeAndJavaWatchers() {
    registrationIsSeenAcrossLanguages(ExampleClient.PYTHON, ExampleClient.NODE);
  }

  @Test
  void registrationFromNodeIsSeenByPythonAndJavaWatchers() {
    registrationIsSeenAcrossLanguages(ExampleClient.NODE, ExampleClient.PYTHON);
  }

  private void registrationIsSeenAcrossLanguages(ExampleClient registrar, ExampleClient watcher) {
    cp = LocalControlPlane.start(ControlPlane.builder(), 0);
    ClientProcess watch = start(watcher, "watch", "orders", "--node-id", "interop-watcher");
    // Subscribed to a service that does not exist yet: answered at once, as removed.
    watch.await("removed", e -> about(e, "orders") && !bool(e, "was_held"), DEADLINE);
    watch.await("synced", e -> true, DEADLINE);
    WatchClient java = WatchClient.builder().controlPlane(cp.address()).build();
    closeables.add(java);
    java.subscribe("orders");

    // Any accepted spelling of the name: the control plane stores the canonical one.
    ClientProcess register = start(registrar, "register", "ORDERS", "--address", "127.0.0.1", "--port", "9001",
        "--instance-id", "orders-1", "--version", "v2", "--zone", "zone-a", "--weight", "250",
        "--metadata", "lang=" + registrar.name().toLowerCase());
    Struct registered = register.await("registered", e -> true, DEADLINE);
    assertEquals("orders", str(registered, "service"));
    assertEquals("orders-1", str(registered, "instance_id"));

    Struct update = watch.await("update", e -> about(e, "orders") && instanceIds(e).contains("orders-1"), DEADLINE);
    Struct instance = list(update, "instances").get(0);
    assertEquals("127.0.0.1", str(instance, "address"));
    assertEquals(9001, num(instance, "port"));
    assertEquals("SERVING", str(instance, "health"));
    assertEquals("v2", str(instance, "version"));
    assertEquals("zone-a", str(instance, "zone"));
    assertEquals(250, num(instance, "weight"));
    assertEquals(registrar.name().toLowerCase(), str(instance.getFieldsOrThrow("metadata").getStructValue(), "lang"));
    assertEquals(str(registered, "resource_version"), str(update, "version"),
        "the watcher holds the version the registration produced");

    Instance seenByJava = Await.value("the Java WatchClient sees orders-1", DEADLINE,
        () -> java.get("orders").flatMap(s -> s.instances().stream()
            .filter(i -> i.getInstanceId().equals("orders-1")).findFirst()).orElse(null));
    assertEquals(9001, seenByJava.getPort());
    assertEquals(registrar.name().toLowerCase(), seenByJava.getMetadataOrThrow("lang"));

    // The watcher's language lists it too.
    ClientProcess list = start(watcher, "list");
    Struct services = list.await("services", e -> true, DEADLINE);
    Struct orders = list(services, "services").stream().filter(e -> about(e, "orders")).findFirst()
        .orElseThrow(() -> new AssertionError("orders not listed: " + list.output()));
    assertEquals(1, num(orders, "instances"));
    assertEquals(1, num(orders, "serving"));
    assertEquals(str(registered, "resource_version"), str(orders, "resource_version"));
    assertEquals(0, list.exitCode(DEADLINE), list.output());

    // A graceful stop deregisters: both watchers see the service go.
    int mark = watch.mark();
    assertEquals(0, register.stop(), "the registering client exits cleanly on SIGTERM:\n" + register.output());
    assertTrue(register.output().contains("\"deregistered\""), register.output());
    watch.await(mark, "removed", e -> about(e, "orders") && bool(e, "was_held"), DEADLINE);
    Await.until("the Java WatchClient sees orders removed", DEADLINE, () -> java.get("orders").isEmpty());
    assertEquals(List.of(), cp.instanceIds("orders"));
  }

  @ParameterizedTest
  @EnumSource(ExampleClient.class)
  void nackFromAClientIsReportedByTheControlPlane(ExampleClient client) {
    Queue<String> nackedBy = new ConcurrentLinkedQueue<>();
    ConvergenceListener listener = new ConvergenceListener() {
      @Override
      public void onSubscriberAnswered(String typeUrl, String nodeKind, long nanos, boolean nacked) {
        if (nacked) {
          nackedBy.add(nodeKind);
        }
      }
    };
    cp = LocalControlPlane.start(ControlPlane.builder().convergenceListener(listener), 0);
    ClientProcess watch = start(client, "watch", "*", "--reject", "payments");
    watch.await("synced", e -> true, DEADLINE);
    long acks = cp.controlPlane.engine().stats().acks();

    // An acceptable change is applied and ACKed.
    cp.register("orders", "orders-1", 9001);
    watch.await("update", e -> about(e, "orders"), DEADLINE);
    Await.until("the control plane counts the ACK", DEADLINE,
        () -> cp.controlPlane.engine().stats().acks() > acks);

    // One the client refuses is NACKed, and the control plane reports the NACK and who sent it.
    long nacks = cp.controlPlane.engine().stats().nacks();
    cp.register("payments", "payments-1", 9002);
    Struct nack = watch.await("nack", e -> str(e, "reason").contains("payments"), DEADLINE);
    assertTrue(str(nack, "reason").contains("refused"), str(nack, "reason"));
    Await.until("the control plane counts the NACK", DEADLINE,
        () -> cp.controlPlane.engine().stats().nacks() > nacks);
    Await.until("the convergence listener reports a NACK from " + client.nodeKind, DEADLINE,
        () -> nackedBy.contains(client.nodeKind));
    assertTrue(watch.eventsFrom(0).stream().noneMatch(e -> about(e, "payments") && "update".equals(str(e, "event"))),
        "a NACKed resource is not applied");

    // The NACK changes nothing for other resources: the next change is pushed and ACKed.
    cp.register("orders", "orders-2", 9003);
    watch.await("update", e -> about(e, "orders") && instanceIds(e).contains("orders-2"), DEADLINE);
  }

  @ParameterizedTest
  @EnumSource(ExampleClient.class)
  void badRegistrationExitsWithEveryFieldViolation(ExampleClient client) {
    cp = LocalControlPlane.start(ControlPlane.builder(), 0);
    ClientProcess register = start(client, "register", "orders", "--address", "10.0.0.1:80", "--port", "70000",
        "--instance-id", "orders-1");
    Struct error = register.await("error", e -> true, DEADLINE);
    assertTrue(str(error, "error").startsWith("INVALID_ARGUMENT"), str(error, "error"));
    assertTrue(str(error, "error").contains("instance.address"), str(error, "error"));
    assertTrue(str(error, "error").contains("instance.port: 70000 is outside 1..65535"), str(error, "error"));
    assertEquals(1, register.exitCode(DEADLINE), register.output());
    assertEquals(List.of(), cp.instanceIds("orders"), "a rejected registration changes nothing");
  }

  @ParameterizedTest
  @EnumSource(ExampleClient.class)
  void trafficPolicyIsPushedOnTheSameStreamAsEndpoints(ExampleClient client) throws Exception {
    // Policy versions that converged (every watcher that needed them answered), with how many watchers.
    Map<Long, Integer> converged = new ConcurrentHashMap<>();
    ConvergenceListener listener = new ConvergenceListener() {
      @Override
      public void onConverged(String typeUrl, String name, long version, long nanos, int subscribers) {
        if (typeUrl.equals(ResourceTypes.TRAFFIC_POLICY)) {
          converged.put(version, subscribers);
        }
      }
    };
    cp = LocalControlPlane.start(ControlPlane.builder().convergenceListener(listener), 0);
    ClientProcess watch = start(client, "watch", "orders", "--policies");
    // One answer per subscribed type: orders has neither instances nor a policy yet.
    watch.await("synced", e -> ResourceTypes.ENDPOINTS.equals(str(e, "type")), DEADLINE);
    watch.await("synced", e -> ResourceTypes.TRAFFIC_POLICY.equals(str(e, "type")), DEADLINE);
    watch.await("policy_removed", e -> about(e, "orders") && !bool(e, "was_held"), DEADLINE);

    cp.register("orders", "orders-1", 9001);
    watch.await("update", e -> about(e, "orders") && instanceIds(e).contains("orders-1"), DEADLINE);

    TrafficPolicies policies = cp.controlPlane.trafficPolicies();
    StoredTrafficPolicy stored = policies.put(TrafficPolicy.newBuilder().setService("orders").setRolloutId("rollout-1")
        .addSubsets(Subset.newBuilder().setVersion("v1").setWeight(90))
        .addSubsets(Subset.newBuilder().setVersion("v2").setWeight(10))
        .build());
    Struct policy = watch.await("policy", e -> about(e, "orders"), DEADLINE);
    assertEquals(policies.version(stored.revision()), str(policy, "version"));
    assertEquals("rollout-1", str(policy, "rollout_id"));
    List<Struct> subsets = list(policy, "subsets");
    assertEquals(List.of("v1", "v2"), subsets.stream().map(sub -> str(sub, "version")).toList());
    assertEquals(List.of(90L, 10L), subsets.stream().map(sub -> num(sub, "weight")).toList());
    // The client's ACK completes the change's convergence.
    Await.until("the policy change converges", DEADLINE, () -> converged.get(stored.revision()) != null);
    assertEquals(1, converged.get(stored.revision()));

    policies.remove("orders");
    watch.await("policy_removed", e -> about(e, "orders") && bool(e, "was_held"), DEADLINE);
  }

  @ParameterizedTest
  @EnumSource(ExampleClient.class)
  void registersAgainWhenAPingIsAnsweredExpired(ExampleClient client) {
    cp = LocalControlPlane.start(ControlPlane.builder(), 0);
    ClientProcess register = start(client, "register", "orders", "--address", "127.0.0.1", "--port", "9001",
        "--instance-id", "orders-1", "--ttl", "10s", "--keepalive", "200ms");
    Struct registered = register.await("registered", e -> true, DEADLINE);
    String lease = str(registered, "lease_id");
    assertEquals(200, num(registered, "keepalive_ms"));
    register.await("renewed", e -> lease.equals(str(e, "lease_id")) && num(e, "remaining_ms") > 0, DEADLINE);

    // Removed behind the client's back: its lease is gone, so the next ping is answered expired.
    cp.deregister("orders", "orders-1");
    register.await("expired", e -> lease.equals(str(e, "lease_id")), DEADLINE);
    Struct again = register.await("reregistered", e -> true, DEADLINE);
    assertEquals("orders-1", str(again, "instance_id"));
    assertNotEquals(lease, str(again, "lease_id"), "a new registration holds a new lease");
    Await.until("orders-1 is registered again", DEADLINE, () -> cp.instanceIds("orders").contains("orders-1"));
    register.await("renewed", e -> str(again, "lease_id").equals(str(e, "lease_id")), DEADLINE);
  }

  @ParameterizedTest
  @EnumSource(ExampleClient.class)
  void watcherResumesWithTheVersionsItHoldsAfterAReconnect(ExampleClient client) {
    // Two control planes with the same store epoch and the same history produce the same versions,
    // as replicas sharing a store do: a resuming client must then receive nothing it holds.
    cp = LocalControlPlane.start(ControlPlane.builder().versions(new Versions("interop")), 0);
    int port = cp.port();
    String version = cp.register("orders", "orders-1", 9001).getResourceVersion();
    ClientProcess watch = start(client, "watch", "orders");
    watch.await("update", e -> about(e, "orders") && version.equals(str(e, "version")), DEADLINE);
    watch.await("synced", e -> true, DEADLINE);

    int mark = watch.mark();
    cp.stop();
    watch.await(mark, "disconnected", e -> num(e, "held") == 1, DEADLINE);
    // Registered before the port opens: the client, reconnecting the moment it can, resumes onto it.
    String[] again = new String[1];
    cp = LocalControlPlane.start(ControlPlane.builder().versions(new Versions("interop")), port,
        registry -> again[0] = LocalControlPlane.register(registry, "orders", "orders-1", 9001).getResourceVersion());
    assertEquals(version, again[0]);

    Struct synced = watch.await(mark, "synced", e -> true, DEADLINE);
    assertEquals(List.of("orders"), services(synced), "in sync, holding what it held");
    assertTrue(watch.eventsFrom(mark).stream().noneMatch(e -> "update".equals(str(e, "event"))),
        "the held version was not sent again:\n" + watch.output());

    // Pushes go on on the resumed stream.
    cp.register("orders", "orders-2", 9002);
    watch.await(mark, "update", e -> about(e, "orders") && instanceIds(e).contains("orders-2"), DEADLINE);
  }

  private static List<String> services(Struct synced) {
    return synced.getFieldsOrThrow("services").getListValue().getValuesList().stream()
        .map(v -> v.getStringValue()).toList();
  }

  private ClientProcess start(ExampleClient client, String... args) {
    ClientProcess p = client.start(cp.address(), args);
    processes.add(p);
    return p;
  }
}
