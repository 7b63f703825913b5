package dev.vertice.controlplane.xds;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import dev.vertice.api.discovery.v1.Subset;
import dev.vertice.api.discovery.v1.TrafficPolicy;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.common.Ticker;
import dev.vertice.controlplane.push.ConvergenceListener;
import dev.vertice.controlplane.push.PushBatch;
import dev.vertice.controlplane.push.PushEngine;
import dev.vertice.controlplane.push.PushLimits;
import dev.vertice.controlplane.push.Resource;
import dev.vertice.controlplane.push.Versions;
import dev.vertice.controlplane.server.EncodedMessage;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** ADS responses written from pre-encoded pieces are the bytes protobuf writes for the same response. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AdsResponseEncodingTest {

  private final PushEngine engine = new PushEngine(Runnable::run, Ticker.system(), PushLimits.ofDefaults(),
      new ConvergenceListener() {}, new Versions("e3"));
  private final AdsGrpcService service = new AdsGrpcService(engine);

  /** The response as the service built it field by field before responses were pre-encoded. */
  private DiscoveryResponse reference(PushBatch batch, List<Resource> resources) {
    DiscoveryResponse.Builder r = DiscoveryResponse.newBuilder()
        .setTypeUrl(batch.typeUrl())
        .setVersionInfo(engine.versions().format(Math.max(1, batch.systemVersion())))
        .setNonce(batch.nonce());
    for (Resource res : resources) {
      r.addResources((Any) res.value());
    }
    return r.build();
  }

  @Test
  void everyXdsTypeIsByteIdenticalToProtobufEncoding() throws IOException {
    List<Instance> instances = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      instances.add(Instance.newBuilder().setService("orders").setInstanceId("i-" + i).setAddress("10.0.0." + i)
          .setPort(9000 + i).setVersion(i % 3 == 0 ? "v2" : "v1").setZone("eu-" + (i % 2)).setWeight(1 + i).build());
    }
    TrafficPolicy policy = TrafficPolicy.newBuilder().setService("orders")
        .addSubsets(Subset.newBuilder().setVersion("v1").setWeight(90))
        .addSubsets(Subset.newBuilder().setVersion("v2").setWeight(10)).build();
    XdsMapping.Resources mapped = XdsMapping.map("orders", instances, policy);
    long version = 1;
    for (String type : XdsTypes.ALL) {
      Map<String, Message> ofType = mapped.of(type);
      assertFalse(ofType.isEmpty(), "the mapping yields " + type);
      List<Resource> resources = new ArrayList<>();
      for (Map.Entry<String, Message> e : ofType.entrySet()) {
        Any any = Any.pack(e.getValue());
        resources.add(new Resource(type, e.getKey(), ++version, any, any.getSerializedSize()));
      }
      for (PushBatch batch : List.of(new PushBatch(type, version, resources, List.of(), "9"),
          new PushBatch(type, 0, List.of(), List.of("gone"), "10"))) {
        List<Resource> listed = batch.resources();
        byte[] expected = reference(batch, listed).toByteArray();
        EncodedMessage m = service.encode(batch, listed);
        assertArrayEquals(expected, m.toByteArray(), type);
        ByteArrayOutputStream drained = new ByteArrayOutputStream();
        assertEquals(expected.length, service.encode(batch, listed).drainTo(drained));
        assertArrayEquals(expected, drained.toByteArray(), type);
        assertArrayEquals(expected, service.encode(batch, listed).readAllBytes(), type);
      }
    }
  }
}
