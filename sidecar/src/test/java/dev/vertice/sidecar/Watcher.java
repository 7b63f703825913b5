package dev.vertice.sidecar;

import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.client.ServiceListener;
import dev.vertice.client.ServiceSnapshot;
import dev.vertice.client.WatchClient;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * {@code Watcher} subscribes to services the way a gateway does and records, per instance, every
 * pushed health and every removal, with the time it arrived. Public for the launcher's sidecar
 * process tests (through this module's test-jar).
 */
public final class Watcher implements AutoCloseable {

  /** One observed fact: an instance's health, or {@code REMOVED}. */
  public record Event(String instanceId, String state, long nanos) {}

  private final WatchClient watch;
  private final Map<String, Map<String, HealthStatus>> last = new ConcurrentHashMap<>();
  public final List<Event> events = new CopyOnWriteArrayList<>();

  public Watcher(String controlPlane, String... services) {
    this.watch = WatchClient.builder().controlPlane(controlPlane).nodeId("test-gateway").nodeKind("gateway").build();
    watch.addListener(new ServiceListener() {
      @Override
      public void onUpdate(ServiceSnapshot snapshot) {
        Map<String, HealthStatus> before = last.getOrDefault(snapshot.service(), Map.of());
        Map<String, HealthStatus> now = new ConcurrentHashMap<>();
        long t = System.nanoTime();
        for (Instance i : snapshot.instances()) {
          now.put(i.getInstanceId(), i.getHealth());
          if (before.get(i.getInstanceId()) != i.getHealth()) {
            events.add(new Event(i.getInstanceId(), i.getHealth().name(), t));
          }
        }
        for (String id : before.keySet()) {
          if (!now.containsKey(id)) {
            events.add(new Event(id, "REMOVED", t));
          }
        }
        last.put(snapshot.service(), now);
      }

      @Override
      public void onRemoved(String service) {
        long t = System.nanoTime();
        Map<String, HealthStatus> before = last.get(service);
        if (before != null) {
          // Events first: a test that sees the instance gone finds its removal recorded.
          before.keySet().forEach(id -> events.add(new Event(id, "REMOVED", t)));
          last.remove(service);
        }
      }
    });
    for (String s : services) {
      watch.subscribe(s);
    }
  }

  /** The health last pushed for the instance, or empty when it is not (or no longer) present. */
  public Optional<HealthStatus> health(String service, String instanceId) {
    return Optional.ofNullable(last.getOrDefault(service, Map.of()).get(instanceId));
  }

  /** The states pushed for the instance, in order. */
  public List<String> states(String instanceId) {
    return events.stream().filter(e -> e.instanceId().equals(instanceId)).map(Event::state).toList();
  }

  /** The first time the instance was seen in {@code state} after {@code since}, or -1. */
  public long firstAfter(String instanceId, String state, long since) {
    return events.stream().filter(e -> e.instanceId().equals(instanceId) && e.state().equals(state)
        && e.nanos() >= since).mapToLong(Event::nanos).findFirst().orElse(-1);
  }

  @Override
  public void close() {
    watch.close();
  }
}
