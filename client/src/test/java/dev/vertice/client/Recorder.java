package dev.vertice.client;

import dev.vertice.api.registry.v1.Instance;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * {@code Recorder} is a {@link ServiceListener} that writes each call as a line such as {@code
 * "update echo [a1:SERVING]"} or {@code "removed echo"}, and the thread it ran on.
 */
final class Recorder implements ServiceListener {

  private final List<String> events = new ArrayList<>();
  private final List<String> threads = new ArrayList<>();

  @Override
  public synchronized void onUpdate(ServiceSnapshot snapshot) {
    events.add("update " + snapshot.service() + " " + describe(snapshot.instances()));
    threads.add(Thread.currentThread().getName());
  }

  @Override
  public synchronized void onRemoved(String service) {
    events.add("removed " + service);
    threads.add(Thread.currentThread().getName());
  }

  synchronized List<String> events() {
    return List.copyOf(events);
  }

  synchronized List<String> threads() {
    return List.copyOf(threads);
  }

  synchronized boolean saw(String event) {
    return events.contains(event);
  }

  static String describe(List<Instance> instances) {
    return instances.stream()
        .map(i -> i.getInstanceId() + ":" + i.getHealth().name().replace("HEALTH_STATUS_", ""))
        .collect(Collectors.joining(",", "[", "]"));
  }
}
