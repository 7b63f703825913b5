package dev.vertice.client;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.controlplane.ControlPlane;
import dev.vertice.observability.Metrics;
import dev.vertice.testkit.Await;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class WatchClientMetricsTest {

  private ControlPlane controlPlane;
  private Server server;
  private ManagedChannel channel;
  private WatchClient client;
  private final Metrics metrics = Metrics.bare();

  @AfterEach
  void stop() throws InterruptedException {
    client.close();
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    controlPlane.close();
    metrics.close();
  }

  @Test
  void syncedClientReportsZeroStalenessThenGrowingStalenessWhenTheControlPlaneGoes() throws Exception {
    controlPlane = ControlPlane.builder().build();
    String name = InProcessServerBuilder.generateName();
    InProcessServerBuilder b = InProcessServerBuilder.forName(name);
    for (BindableService s : controlPlane.services()) {
      b.addService(s);
    }
    server = b.build().start();
    channel = InProcessChannelBuilder.forName(name).build();
    client = WatchClient.builder().channels(java.util.List.of(channel)).nodeId("t").build();
    client.subscribe("orders");
    WatchClientMetrics.bind(client, metrics.registry());
    // Synced comes with the answer to the subscription: "orders" does not exist yet, so it is reported removed.
    Await.until("answered", Duration.ofSeconds(10), () -> metrics.scrape().contains("vertice_watch_responses_total 1.0"));
    String synced = metrics.scrape();
    assertTrue(synced.contains("vertice_watch_connected 1.0"), synced);
    assertTrue(synced.contains("vertice_watch_staleness_seconds 0.0"), synced);
    assertTrue(synced.contains("vertice_watch_synced 1.0"), synced);

    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    Await.until("stale", Duration.ofSeconds(10), () -> metrics.scrape().contains("vertice_watch_synced 0.0")
        && !metrics.scrape().contains("vertice_watch_staleness_seconds 0.0"));
    assertTrue(metrics.scrape().contains("vertice_watch_connected 0.0"), metrics.scrape());
  }
}
