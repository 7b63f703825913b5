package dev.vertice.bench;

import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.common.ResourceTypes;
import dev.vertice.common.Ticker;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.push.ConvergenceListener;
import dev.vertice.controlplane.push.PushBatch;
import dev.vertice.controlplane.push.PushEngine;
import dev.vertice.controlplane.push.PushLimits;
import dev.vertice.controlplane.push.PushSink;
import dev.vertice.controlplane.push.Subscriber;
import dev.vertice.controlplane.push.SubscriberCloseReason;
import dev.vertice.controlplane.push.Versions;
import dev.vertice.controlplane.registry.RegistryConfig;
import dev.vertice.controlplane.registry.RegistryEvents;
import dev.vertice.controlplane.registry.RegistryView;
import dev.vertice.controlplane.store.memory.InMemoryRegistryStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * {@code InProcessMemory} is the former {@code bench memory}, kept as the secondary "in-process" row
 * of {@code bench memory --in-process}: retained heap per registered instance (registry state,
 * lease and expiry bookkeeping) and per watch subscription (engine index and subscriber state),
 * with the registry and push engine built in the bench's JVM and no gRPC or Netty around them.
 * Heap is read after full collections, before and after.
 */
final class InProcessMemory {

  private final int instances;
  private final int services;
  private final int subscribers;
  private final int namesPerSubscriber;

  InProcessMemory(int instances, int services, int subscribers, int namesPerSubscriber) {
    this.instances = instances;
    this.services = services;
    this.subscribers = subscribers;
    this.namesPerSubscriber = namesPerSubscriber;
  }

  /** Measures, and returns the row. */
  Map<String, Object> run() throws Exception {
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    RegistryView view = new RegistryView();
    InMemoryRegistryStore registry = new InMemoryRegistryStore(
        RegistryConfig.custom().maxInstances(Math.max(instances, 1)).build(), view, Ticker.system(), scheduler,
        ControlPlane.secureIds(), RegistryEvents.NONE);
    // Drains run inline: sinks discard, so the measurement holds state, not queued messages.
    PushEngine engine = new PushEngine(Runnable::run, Ticker.system(),
        // No pending-bytes budget: the bench measures what the subscriptions hold, at any scale.
        PushLimits.custom().maxSubscriptionsPerStream(Math.max(namesPerSubscriber, 1))
            .maxPendingBytesPerStream(Long.MAX_VALUE).maxPendingBytesPerConnection(Long.MAX_VALUE)
            .maxPendingBytesPerProcess(Long.MAX_VALUE).build(), ConvergenceListener.NONE,
        Versions.randomEpoch());
    engine.addSource(view.endpointsSource());
    view.addListener(engine);

    long base = usedHeap();
    for (int i = 0; i < instances; i++) {
      registry.register(instance(i), Duration.ofSeconds(60), Duration.ofSeconds(30));
    }
    long afterInstances = usedHeap();

    for (int s = 0; s < services; s++) {
      view.endpointsSource().get("svc-" + s); // materialise each service's pushed snapshot once
    }
    long afterSnapshots = usedHeap();

    List<Subscriber> subs = new ArrayList<>(subscribers);
    List<String> names = new ArrayList<>();
    for (int s = 0; s < subscribers; s++) {
      Subscriber sub = engine.open("node-" + s, "bench", new DiscardingSink());
      names.clear();
      for (int k = 0; k < namesPerSubscriber; k++) {
        names.add("svc-" + ((s + k) % services));
      }
      sub.subscribe(ResourceTypes.ENDPOINTS, names, Map.of());
      subs.add(sub);
    }
    long afterSubscriptions = usedHeap();
    long subscriptionCount = (long) subscribers * namesPerSubscriber;

    Map<String, Object> row = new LinkedHashMap<>();
    row.put("mode", "in-process");
    row.put("instances", instances);
    row.put("services", services);
    row.put("bytes_per_instance", (double) (afterInstances - base) / instances);
    row.put("snapshot_bytes_per_instance", (double) (afterSnapshots - afterInstances) / instances);
    row.put("subscriptions", subscriptionCount);
    row.put("bytes_per_subscription", (double) (afterSubscriptions - afterSnapshots) / subscriptionCount);

    // Keep everything reachable until measured.
    if (subs.size() != subscribers || view.instanceCount() != instances) {
      throw new IllegalStateException("state changed during the measurement");
    }
    registry.close();
    scheduler.shutdownNow();
    return row;
  }

  private Instance instance(int i) {
    return Instance.newBuilder()
        .setService("svc-" + (i % services))
        .setInstanceId("svc-" + (i % services) + "-" + Integer.toHexString(0x100000 + i))
        .setAddress("10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255))
        .setPort(8080)
        .setProtocol(Protocol.PROTOCOL_HTTP)
        .setVersion("v1")
        .setZone("zone-" + (i % 3))
        .setWeight(100)
        .setHealth(HealthStatus.HEALTH_STATUS_SERVING)
        .putMetadata("team", "platform")
        .build();
  }

  private static long usedHeap() throws InterruptedException {
    Runtime rt = Runtime.getRuntime();
    long used = Long.MAX_VALUE;
    // Several full collections until the figure settles.
    for (int i = 0; i < 5; i++) {
      System.gc();
      Thread.sleep(100);
      used = Math.min(used, rt.totalMemory() - rt.freeMemory());
    }
    return used;
  }

  /** A sink that is always ready and drops what it is sent. */
  private static final class DiscardingSink implements PushSink {
    @Override
    public boolean isReady() {
      return true;
    }

    @Override
    public boolean send(PushBatch batch) {
      return true;
    }

    @Override
    public void close(SubscriberCloseReason reason) {}
  }
}
