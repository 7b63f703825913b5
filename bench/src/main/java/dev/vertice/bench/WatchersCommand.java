package dev.vertice.bench;

import dev.vertice.api.discovery.v1.DiscoveryServiceGrpc;
import dev.vertice.api.discovery.v1.Endpoints;
import dev.vertice.api.discovery.v1.Node;
import dev.vertice.api.discovery.v1.Resource;
import dev.vertice.api.discovery.v1.WatchRequest;
import dev.vertice.api.discovery.v1.WatchResponse;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.common.ResourceTypes;
import com.google.protobuf.InvalidProtocolBufferException;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code WatchersCommand} ({@code bench watchers}, hidden) is the watcher side of {@code bench push}
 * and {@code bench memory}: a process holding watchers {@code --from} to {@code --from + --watchers}
 * of a fleet, watcher {@code i} watching service {@code i % --services}, on {@code --connections}
 * client connections, to a Vertice control plane ({@code --target}) or to etcd ({@code --etcd}).
 *
 * <p>A Vertice watcher decodes every resource (the {@code Endpoints} and the {@code seq} metadata of
 * its instance) and ACKs each response; an etcd watcher decodes every event's value. Each change's
 * value is a per-service sequence number. The process talks to the bench on stdout, one line each:
 * {@code ready} once every watcher holds its initial state (or, on etcd, has its watch created),
 * then {@code seen SERVICE SEQ MICROS} when the last of this process's watchers of a service holds
 * sequence {@code SEQ} (or a newer one), {@code MICROS} being that moment on the wall clock
 * ({@link java.time.Instant}, microseconds since the epoch: one clock for every process of the
 * machine, unlike {@link System#nanoTime()}). It exits when its stdin closes.
 */
@Command(name = "watchers", hidden = true, mixinStandardHelpOptions = true,
    description = "Watchers for bench push and bench memory, reporting on stdout (started by the bench).")
final class WatchersCommand implements Callable<Integer> {

  /** The service name watched for service index {@code s}, on Vertice; the key on etcd. */
  static String serviceName(int s) {
    return "bench-svc-" + s;
  }

  /** The etcd key holding service {@code s}'s value. */
  static ByteSequence etcdKey(int s) {
    return ByteSequence.from("/bench/" + serviceName(s), StandardCharsets.UTF_8);
  }

  /** The metadata key carrying the change's sequence number. */
  static final String SEQ = "seq";

  @Option(names = "--target", description = "The Vertice control plane, host:port.")
  String target;

  @Option(names = "--etcd", description = "The etcd client URL (instead of --target).")
  String etcd;

  @Option(names = "--from", defaultValue = "0", description = "Index of this process's first watcher in the fleet.")
  int from;

  @Option(names = "--watchers", required = true, description = "Watchers in this process.")
  int watchers;

  @Option(names = "--connections", defaultValue = "1", description = "Client connections they share.")
  int connections;

  @Option(names = "--services", defaultValue = "1", description = "Services of the fleet (watcher i watches i % S).")
  int services;

  @Option(names = "--ready-timeout-seconds", defaultValue = "300",
      description = "How long the watchers may take to hold their initial state.")
  int readyTimeoutSeconds;

  private final Object outLock = new Object();

  @Override
  public Integer call() throws Exception {
    if ((target == null) == (etcd == null) || watchers <= 0 || connections <= 0 || services <= 0 || from < 0) {
      System.err.println("bench watchers: one of --target or --etcd, and positive counts");
      return 2;
    }
    int conns = Math.min(connections, watchers);
    // Each service's watchers in this process, and each watcher's slot among them.
    int[] perService = new int[services];
    int[] slot = new int[watchers];
    for (int i = 0; i < watchers; i++) {
      slot[i] = perService[(from + i) % services]++;
    }
    ServiceTracker[] trackers = new ServiceTracker[services];
    for (int s = 0; s < services; s++) {
      int service = s;
      trackers[s] = new ServiceTracker(perService[s], etcd != null ? 0 : -1,
          (seq, micros) -> emit("seen " + service + " " + seq + " " + micros));
    }
    CountDownLatch ready = new CountDownLatch(watchers);
    List<AutoCloseable> open = new ArrayList<>();
    try {
      if (target != null) {
        startVertice(conns, trackers, slot, ready, open);
      } else {
        startEtcd(conns, trackers, slot, ready, open);
      }
      if (!ready.await(readyTimeoutSeconds, TimeUnit.SECONDS)) {
        System.err.println("bench watchers: " + ready.getCount() + " of " + watchers
            + " watchers not ready within " + readyTimeoutSeconds + " s");
        return 1;
      }
      emit("ready");
      // Until the bench closes stdin (or dies).
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      while (in.readLine() != null) {
        // nothing to read: the bench only closes stdin
      }
      return 0;
    } finally {
      for (int i = open.size() - 1; i >= 0; i--) {
        try {
          open.get(i).close();
        } catch (Exception e) {
          System.err.println("bench watchers: closing: " + e);
        }
      }
    }
  }

  private void emit(String line) {
    synchronized (outLock) {
      System.out.println(line);
      System.out.flush();
    }
  }

  static long nowMicros() {
    java.time.Instant t = java.time.Instant.now();
    return t.getEpochSecond() * 1_000_000L + t.getNano() / 1_000;
  }

  private void startVertice(int conns, ServiceTracker[] trackers, int[] slot, CountDownLatch ready,
      List<AutoCloseable> open) {
    int cores = Runtime.getRuntime().availableProcessors();
    EventLoopGroup loops = new MultiThreadIoEventLoopGroup(Math.min(cores, conns), NioIoHandler.newFactory());
    open.add(() -> loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS));
    String[] hp = target.split(":");
    List<ManagedChannel> channels = new ArrayList<>(conns);
    for (int c = 0; c < conns; c++) {
      // The watchers' callbacks never block: they run on the transport threads.
      ManagedChannel ch = NettyChannelBuilder.forAddress(hp[0], Integer.parseInt(hp[1])).usePlaintext()
          .directExecutor().eventLoopGroup(loops).channelType(NioSocketChannel.class)
          .maxInboundMessageSize(64 << 20).build();
      channels.add(ch);
      open.add(() -> {
        ch.shutdownNow();
        ch.awaitTermination(5, TimeUnit.SECONDS);
      });
    }
    for (int i = 0; i < watchers; i++) {
      int global = from + i;
      int service = global % services;
      VerticeWatcher w = new VerticeWatcher(trackers[service], slot[i], ready);
      DiscoveryServiceGrpc.newStub(channels.get(i % conns)).watch(w);
      w.subscribe("bench-watcher-" + global, serviceName(service));
    }
  }

  private void startEtcd(int conns, ServiceTracker[] trackers, int[] slot, CountDownLatch ready,
      List<AutoCloseable> open) {
    List<Client> clients = new ArrayList<>(conns);
    for (int c = 0; c < conns; c++) {
      Client client = Client.builder().endpoints(etcd).build();
      clients.add(client);
      open.add(client::close);
    }
    WatchOption created = WatchOption.builder().withCreateNotify(true).build();
    for (int i = 0; i < watchers; i++) {
      int global = from + i;
      int service = global % services;
      ServiceTracker tracker = trackers[service];
      int mySlot = slot[i];
      Watch.Watcher w = clients.get(i % conns).getWatchClient().watch(etcdKey(service), created,
          new Watch.Listener() {
            @Override
            public void onNext(io.etcd.jetcd.watch.WatchResponse r) {
              if (r.isCreatedNotify()) {
                ready.countDown();
              }
              for (WatchEvent e : r.getEvents()) {
                if (e.getEventType() == WatchEvent.EventType.PUT) {
                  long seq = Long.parseLong(e.getKeyValue().getValue().toString(StandardCharsets.UTF_8));
                  tracker.update(mySlot, seq, nowMicros());
                }
              }
            }

            @Override
            public void onError(Throwable t) {
              System.err.println("bench watchers: etcd watch failed: " + t);
            }

            @Override
            public void onCompleted() {}
          });
      open.add(w::close);
    }
  }

  /** A Vertice watch stream: decodes each response, ACKs it, then reports the value it holds. */
  private static final class VerticeWatcher implements ClientResponseObserver<WatchRequest, WatchResponse> {
    private final ServiceTracker tracker;
    private final int slot;
    private final CountDownLatch ready;
    private ClientCallStreamObserver<WatchRequest> out;
    private boolean initial = true; // read on the transport thread only

    VerticeWatcher(ServiceTracker tracker, int slot, CountDownLatch ready) {
      this.tracker = tracker;
      this.slot = slot;
      this.ready = ready;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<WatchRequest> requestStream) {
      out = requestStream;
    }

    void subscribe(String nodeId, String service) {
      synchronized (this) {
        out.onNext(WatchRequest.newBuilder().setTypeUrl(ResourceTypes.ENDPOINTS).addSubscribe(service)
            .setNode(Node.newBuilder().setId(nodeId).setKind("bench")).build());
      }
    }

    @Override
    public void onNext(WatchResponse r) {
      long seq = -1;
      for (Resource res : r.getResourcesList()) {
        try {
          Endpoints e = res.getResource().unpack(Endpoints.class);
          for (Instance inst : e.getInstancesList()) {
            String v = inst.getMetadataMap().get(SEQ);
            if (v != null) {
              seq = Math.max(seq, Long.parseLong(v));
            }
          }
        } catch (InvalidProtocolBufferException ex) {
          System.err.println("bench watchers: undecodable resource " + res.getName() + ": " + ex.getMessage());
        }
      }
      long micros = nowMicros();
      synchronized (this) {
        out.onNext(WatchRequest.newBuilder().setTypeUrl(ResourceTypes.ENDPOINTS).setResponseNonce(r.getNonce())
            .build());
      }
      if (seq >= 0) {
        tracker.update(slot, seq, micros);
      }
      if (initial) {
        initial = false;
        ready.countDown();
      }
    }

    @Override
    public void onError(Throwable t) {
      System.err.println("bench watchers: watch stream failed: " + t);
    }

    @Override
    public void onCompleted() {}
  }
}
