package dev.vertice.controlplane.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.google.protobuf.Any;
import dev.vertice.api.discovery.v1.Endpoints;
import dev.vertice.api.discovery.v1.Subset;
import dev.vertice.api.discovery.v1.TrafficPolicy;
import dev.vertice.api.discovery.v1.WatchResponse;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.common.ResourceTypes;
import dev.vertice.common.Ticker;
import dev.vertice.controlplane.push.ConvergenceListener;
import dev.vertice.controlplane.push.PushBatch;
import dev.vertice.controlplane.push.PushEngine;
import dev.vertice.controlplane.push.PushLimits;
import dev.vertice.controlplane.push.Resource;
import dev.vertice.controlplane.push.Versions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Watch responses written from pre-encoded pieces are the bytes protobuf writes for the same response. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class WatchResponseEncodingTest {

  private final PushEngine engine = new PushEngine(Runnable::run, Ticker.system(), PushLimits.ofDefaults(),
      new ConvergenceListener() {}, new Versions("e7"));
  private final DiscoveryGrpcService service = new DiscoveryGrpcService(engine);

  /** The response as the service built it field by field before responses were pre-encoded. */
  private WatchResponse reference(PushBatch batch) {
    Versions versions = engine.versions();
    WatchResponse.Builder r = WatchResponse.newBuilder()
        .setTypeUrl(batch.typeUrl())
        .setSystemVersion(versions.format(batch.systemVersion()))
        .setNonce(batch.nonce())
        .addAllRemovedResources(batch.removed());
    for (Resource res : batch.resources()) {
      r.addResourcesBuilder()
          .setName(res.name())
          .setVersion(versions.format(res.version()))
          .setResource((Any) res.value());
    }
    return r.build();
  }

  private static Resource resource(String type, String name, long version, com.google.protobuf.Message value) {
    Any any = Any.pack(value);
    return new Resource(type, name, version, any, any.getSerializedSize());
  }

  private static Resource endpoints(String name, long version, int instances) {
    Endpoints.Builder e = Endpoints.newBuilder().setService(name);
    for (int i = 0; i < instances; i++) {
      e.addInstances(Instance.newBuilder().setService(name).setInstanceId("i-" + i).setAddress("10.0.0." + i)
          .setPort(8080 + i).setVersion("v" + (i % 2)).setZone("z\u00e9-1").putMetadata("k", "v".repeat(i * 40)));
    }
    return resource(ResourceTypes.ENDPOINTS, name, version, e.build());
  }

  private void assertIdentical(PushBatch batch) throws IOException {
    byte[] expected = reference(batch).toByteArray();
    EncodedMessage m = service.encode(batch);
    assertEquals(expected.length, m.available());
    assertArrayEquals(expected, m.toByteArray());
    // As the Netty transport takes it (drained) and as the in-process one does (read).
    ByteArrayOutputStream drained = new ByteArrayOutputStream();
    assertEquals(expected.length, service.encode(batch).drainTo(drained));
    assertArrayEquals(expected, drained.toByteArray());
    assertArrayEquals(expected, readByteByByteAndInChunks(service.encode(batch), expected.length));
    assertEquals(reference(batch), WatchResponse.parseFrom(m.toByteArray()));
  }

  private static byte[] readByteByByteAndInChunks(InputStream in, int length) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int half = length / 2;
    for (int i = 0; i < half; i++) {
      out.write(in.read());
    }
    byte[] chunk = new byte[7];
    int n;
    while ((n = in.read(chunk, 0, chunk.length)) > 0) {
      out.write(chunk, 0, n);
    }
    assertEquals(-1, in.read());
    return out.toByteArray();
  }

  @Test
  void endpointsResponsesAreByteIdenticalToProtobufEncoding() throws IOException {
    assertIdentical(new PushBatch(ResourceTypes.ENDPOINTS, 42, List.of(endpoints("orders", 41, 3)), List.of(), "1"));
    // Several resources (one large: a multi-byte length prefix), removed names and a long nonce.
    assertIdentical(new PushBatch(ResourceTypes.ENDPOINTS, 1L << 40,
        List.of(endpoints("orders", 7, 0), endpoints("payments", 1L << 39, 40), endpoints("a", 3, 1)),
        List.of("gone", "gone-too"), "123456789012"));
    // The answer to a subscribe that found nothing: no resource at all.
    assertIdentical(new PushBatch(ResourceTypes.ENDPOINTS, 0, List.of(), List.of(), "5"));
    assertIdentical(new PushBatch(ResourceTypes.ENDPOINTS, 9, List.of(), List.of("x"), "6"));
  }

  @Test
  void trafficPolicyResponsesAreByteIdenticalToProtobufEncoding() throws IOException {
    Resource policy = resource(ResourceTypes.TRAFFIC_POLICY, "orders", 12, TrafficPolicy.newBuilder()
        .setService("orders").addSubsets(Subset.newBuilder().setVersion("v1").setWeight(95))
        .addSubsets(Subset.newBuilder().setVersion("v2").setWeight(5)).setRolloutId("r-1").build());
    Resource empty = resource(ResourceTypes.TRAFFIC_POLICY, "idle", 13, TrafficPolicy.getDefaultInstance());
    assertIdentical(new PushBatch(ResourceTypes.TRAFFIC_POLICY, 13, List.of(policy, empty), List.of("old"), "77"));
  }

  @Test
  void eachResourceVersionIsEncodedOnceForEveryStream() throws IOException {
    Resource orders = endpoints("orders", 5, 2);
    EncodedMessage first = service.encode(new PushBatch(ResourceTypes.ENDPOINTS, 5, List.of(orders), List.of(), "1"));
    EncodedMessage second = service.encode(new PushBatch(ResourceTypes.ENDPOINTS, 6, List.of(orders), List.of(), "2"));
    byte[] piece = orders.encoded(service, r -> new byte[0]);
    assertSame(piece, orders.encoded(service, r -> new byte[0]), "the piece is kept, not made again");
    // Each response still carries its own system version and nonce.
    assertEquals("2", WatchResponse.parseFrom(second.toByteArray()).getNonce());
    assertEquals(engine.versions().format(5), WatchResponse.parseFrom(first.toByteArray()).getSystemVersion());
  }
}
