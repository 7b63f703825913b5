package dev.vertice.launcher;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.vertice.api.discovery.v1.Endpoints;
import dev.vertice.api.discovery.v1.ErrorDetail;
import dev.vertice.api.discovery.v1.Node;
import dev.vertice.api.discovery.v1.Resource;
import dev.vertice.api.discovery.v1.WatchRequest;
import dev.vertice.api.discovery.v1.WatchResponse;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.common.ResourceTypes;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code WatchCommand} is {@code vertice watch SERVICE|'*'}: prints each change to a service's
 * instances (or every service's) as it is pushed, one line per instance added, updated or removed,
 * like {@code etcdctl watch}. It holds one DiscoveryService Watch stream, ACKs every response, and
 * prints nothing for the state it finds at start (a line on stderr says it is watching).
 *
 * <p>It runs until Ctrl-C, until {@code --count} changes were printed (exit 0), or until {@code
 * --timeout} when given (exit 0; 1 if {@code --count} changes did not all come). The first answer
 * must come within {@code --timeout} (default 10 s), else exit 1. The control plane ending the
 * stream (it shuts down, say) ends the command with exit 1, naming the status: there is no
 * reconnect, so no change is missed silently.
 */
@Command(name = "watch", mixinStandardHelpOptions = true, sortOptions = false,
    resourceBundle = "dev.vertice.launcher.WatchCommand$Texts",
    description = {"Prints each change to a service's instances as the control plane pushes it, one line per"
        + " instance ADDED, UPDATED (the fields that changed, with their old values) or REMOVED, until Ctrl-C.",
        "The state at start is not printed (vertice instances SERVICE shows it); a line on stderr says when the"
            + " watch is in place."},
    footer = {"", "With --json: one object per line, {\"time\", \"event\", \"service\", \"instanceId\","
        + " \"resourceVersion\", \"changed\": [fields], \"instance\": {...} or null when removed, \"previous\": {...}"
        + " or null when added}.", "",
        "Exit codes: 0 after --count changes, or at the end of a given --timeout; 1 when the control plane refuses,"
            + " cannot be reached, or ends the watch (the status named), or --count changes did not come within"
            + " --timeout; 2 invalid input."})
public final class WatchCommand extends RegistryCall {

  /** What the shared flags say in this command: {@code --timeout} bounds the first answer, and the watch when given. */
  public static final class Texts extends CliConnectionFlags.Texts {
    /** {@code Texts} holds this command's words; picocli loads it by name. */
    public Texts() {
      super("How long to wait for the control plane's first answer; when given, also how long the watch runs"
          + " before it stops. Default: ${DEFAULT-VALUE} for the first answer, then until Ctrl-C.");
    }
  }

  @Parameters(paramLabel = "SERVICE", description = "The service, or '*' (quoted for the shell) for every service.")
  String service;

  @Option(names = "--count", paramLabel = "N", description = "Stop after N changes (exit 0).")
  Integer count;

  @Override
  String grpcService() {
    return "DiscoveryService";
  }

  @Override
  int run(PrintWriter out, PrintWriter err) {
    if (count != null && count < 1) {
      throw bad("--count", count + " must be at least 1");
    }
    Duration timeout = connection.timeout();
    boolean bounded = spec.commandLine().getParseResult().hasMatchedOption("--timeout");
    long start = System.nanoTime();
    long firstAnswerBy = start + timeout.toNanos();
    long endBy = bounded ? firstAnswerBy : Long.MAX_VALUE;

    Stream stream = new Stream();
    discovery().watch(stream);
    try {
      stream.send(WatchRequest.newBuilder().setTypeUrl(ResourceTypes.ENDPOINTS).addSubscribe(service)
          .setNode(Node.newBuilder().setId("vertice-cli-" + ProcessHandle.current().pid()).setKind("cli")).build());
      // Instances held, by service then instance id: what each change is compared with.
      Map<String, Map<String, Instance>> held = new HashMap<>();
      boolean synced = false;
      int printed = 0;
      while (true) {
        Object next = stream.poll((synced ? endBy : Math.min(endBy, firstAnswerBy)) - System.nanoTime());
        if (next == null) {
          if (!synced) {
            err.println("cannot reach the control plane at " + connection.controlPlane() + ": no answer within "
                + DurationFormat.format(timeout));
            return 1;
          }
          if (count != null) {
            err.println(printed + " of " + count + " changes within " + DurationFormat.format(timeout));
            return 1;
          }
          return 0;
        }
        if (next instanceof Status s) {
          if (!synced && !s.isOk()) {
            return report(s.asRuntimeException(), err);
          }
          err.println("the control plane at " + connection.controlPlane() + " ended the watch"
              + (s.isOk() ? "" : ": " + s.getCode() + (s.getDescription() == null ? "" : " " + s.getDescription())));
          return 1;
        }
        WatchResponse r = (WatchResponse) next;
        List<InstanceChange> changes;
        try {
          changes = apply(r, held, Instant.now());
        } catch (InvalidProtocolBufferException e) {
          // Keep what was held, as any watcher would, and say why.
          err.println("rejected a response: " + e.getMessage());
          stream.send(WatchRequest.newBuilder().setTypeUrl(ResourceTypes.ENDPOINTS).setResponseNonce(r.getNonce())
              .setErrorDetail(ErrorDetail.newBuilder().setCode(Status.Code.INVALID_ARGUMENT.value())
                  .setMessage(e.getMessage())).build());
          continue;
        }
        stream.send(WatchRequest.newBuilder().setTypeUrl(ResourceTypes.ENDPOINTS).setResponseNonce(r.getNonce())
            .build());
        if (!synced) {
          synced = true;
          int instances = held.values().stream().mapToInt(Map::size).sum();
          boolean all = service.equals(ResourceTypes.WILDCARD);
          err.println("watching " + (all ? "every service" : service) + " at " + connection.controlPlane() + " ("
              + (all ? held.size() + " services, " : "") + instances + " instances now); "
              + (bounded ? "for " + DurationFormat.format(timeout) : "Ctrl-C to stop"));
          err.flush();
          continue;
        }
        for (InstanceChange c : changes) {
          out.println(json ? c.json() : c.line());
          out.flush();
          if (count != null && ++printed >= count) {
            return 0;
          }
        }
      }
    } finally {
      stream.cancel();
    }
  }

  /**
   * {@code apply} applies a response to {@code held} and returns the changes it makes, or throws
   * (changing nothing) when a resource is not an Endpoints.
   */
  static List<InstanceChange> apply(WatchResponse r, Map<String, Map<String, Instance>> held, Instant at)
      throws InvalidProtocolBufferException {
    List<Endpoints> decoded = new ArrayList<>(r.getResourcesCount());
    List<String> versions = new ArrayList<>(r.getResourcesCount());
    for (Resource res : r.getResourcesList()) {
      decoded.add(res.getResource().unpack(Endpoints.class));
      versions.add(res.getVersion());
    }
    List<InstanceChange> changes = new ArrayList<>();
    for (int i = 0; i < decoded.size(); i++) {
      Endpoints e = decoded.get(i);
      String name = r.getResources(i).getName();
      Map<String, Instance> before = held.getOrDefault(name, Map.of());
      changes.addAll(InstanceChange.between(name, before, e.getInstancesList(), versions.get(i), at));
      Map<String, Instance> now = new LinkedHashMap<>();
      e.getInstancesList().forEach(x -> now.put(x.getInstanceId(), x));
      held.put(name, now);
    }
    for (String name : r.getRemovedResourcesList()) {
      Map<String, Instance> before = held.remove(name);
      if (before != null) {
        changes.addAll(InstanceChange.between(name, before, List.of(), "", at));
      }
    }
    return changes;
  }

  /**
   * {@code Stream} is one Watch call: responses and the final status queued for the command's
   * thread, which alone sends requests (a request observer is not thread-safe).
   */
  private static final class Stream implements ClientResponseObserver<WatchRequest, WatchResponse> {
    private final BlockingQueue<Object> inbox = new LinkedBlockingQueue<>();
    private ClientCallStreamObserver<WatchRequest> requests;

    @Override
    public void beforeStart(ClientCallStreamObserver<WatchRequest> requestStream) {
      this.requests = requestStream;
    }

    @Override
    public void onNext(WatchResponse value) {
      inbox.add(value);
    }

    @Override
    public void onError(Throwable t) {
      inbox.add(Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
      inbox.add(Status.OK);
    }

    void send(WatchRequest r) {
      requests.onNext(r);
    }

    /** Returns the next response or final status, or null when none came within {@code nanos}. */
    Object poll(long nanos) {
      try {
        return inbox.poll(Math.max(0, nanos), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Status.CANCELLED.withDescription("interrupted");
      }
    }

    void cancel() {
      requests.cancel("the watch is over", null);
    }
  }
}
