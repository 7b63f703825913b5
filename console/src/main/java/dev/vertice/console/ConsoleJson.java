package dev.vertice.console;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.canary.Rollout;
import dev.vertice.common.JsonStrings;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.canary.RolloutProtos;
import dev.vertice.controlplane.push.PushStats;
import dev.vertice.controlplane.push.SubscriberInfo;
import dev.vertice.controlplane.registry.ServiceSummary;
import dev.vertice.controlplane.registry.ServiceView;
import dev.vertice.controlplane.registry.StoredTrafficPolicy;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * {@code ConsoleJson} renders what the console's pages show as JSON, from the control plane's
 * in-memory state (the registry view, the push engine) and its rollout store. No secret is in any of
 * it: lease ids and tokens never leave the store.
 */
final class ConsoleJson {

  /** Decisions of a rollout shown (the newest). */
  static final int DECISIONS_SHOWN = 10;
  /** Rollouts listed (active first, then the most recently updated). */
  static final int ROLLOUTS_SHOWN = 50;

  private static final JsonFormat.Printer PROTO = JsonFormat.printer().omittingInsignificantWhitespace()
      .alwaysPrintFieldsWithNoPresence();

  private final ControlPlane cp;
  private final ConsoleEvents events;
  private final ConvergenceWindow convergence;

  ConsoleJson(ControlPlane cp, ConsoleEvents events, ConvergenceWindow convergence) {
    this.cp = cp;
    this.events = events;
    this.convergence = convergence;
  }

  String services() {
    StringBuilder b = new StringBuilder("{\"revision\":").append(cp.registry().revision()).append(",\"services\":[");
    int i = 0;
    for (ServiceSummary s : cp.registry().services()) {
      ServiceView view = cp.registry().service(s.service());
      TreeSet<String> versions = new TreeSet<>();
      TreeSet<String> zones = new TreeSet<>();
      if (view != null) {
        for (Instance in : view.instances()) {
          versions.add(in.getVersion());
          if (!in.getZone().isEmpty()) {
            zones.add(in.getZone());
          }
        }
      }
      b.append(i++ == 0 ? "" : ",").append("{\"name\":").append(JsonStrings.quote(s.service()))
          .append(",\"instances\":").append(s.instances()).append(",\"serving\":").append(s.serving())
          .append(",\"versions\":").append(strings(versions)).append(",\"zones\":").append(strings(zones))
          .append(",\"revision\":").append(s.version()).append(",\"lastChange\":").append(events.lastChange(s.service()))
          .append(",\"policy\":").append(cp.registry().trafficPolicy(s.service()) != null).append('}');
    }
    return b.append("]}").toString();
  }

  /** Returns the service's page, or null when the registry has no such service. */
  String service(String name) {
    ServiceView view = cp.registry().service(name);
    if (view == null) {
      return null;
    }
    StringBuilder b = new StringBuilder("{\"name\":").append(JsonStrings.quote(name)).append(",\"revision\":")
        .append(view.version()).append(",\"lastChange\":").append(events.lastChange(name)).append(",\"instances\":[");
    int i = 0;
    for (Instance in : view.instances()) {
      OptionalLong lease = cp.store().leaseRemaining(name, in.getInstanceId());
      b.append(i++ == 0 ? "" : ",").append("{\"id\":").append(JsonStrings.quote(in.getInstanceId()))
          .append(",\"address\":").append(JsonStrings.quote(in.getAddress())).append(",\"port\":").append(in.getPort())
          .append(",\"protocol\":").append(JsonStrings.quote(enumName(in.getProtocol().name(), "PROTOCOL_")))
          .append(",\"version\":").append(JsonStrings.quote(in.getVersion()))
          .append(",\"zone\":").append(JsonStrings.quote(in.getZone())).append(",\"weight\":").append(in.getWeight())
          .append(",\"health\":").append(JsonStrings.quote(health(in.getHealth())))
          .append(",\"leaseRemainingMs\":").append(lease.isPresent() ? Long.toString(lease.getAsLong() / 1_000_000) : "null")
          .append(",\"metadata\":{");
      int j = 0;
      for (Map.Entry<String, String> m : new TreeMap<>(in.getMetadataMap()).entrySet()) {
        b.append(j++ == 0 ? "" : ",").append(JsonStrings.quote(m.getKey())).append(':')
            .append(JsonStrings.quote(m.getValue()));
      }
      b.append("}}");
    }
    StoredTrafficPolicy policy = cp.registry().trafficPolicy(name);
    b.append("],\"policy\":").append(policy == null ? "null" : proto(policy.policy()));
    return b.append('}').toString();
  }

  String rollouts() {
    List<Rollout> all = cp.canary().list(null, false);
    List<Rollout> shown = all.stream()
        .sorted(Comparator.comparing(Rollout::isActive).reversed().thenComparing(Rollout::updatedAt,
            Comparator.reverseOrder()))
        .limit(ROLLOUTS_SHOWN).toList();
    StringBuilder b = new StringBuilder("{\"total\":").append(all.size()).append(",\"rollouts\":[");
    int i = 0;
    for (Rollout r : shown) {
      b.append(i++ == 0 ? "" : ",").append(rollout(r));
    }
    b.append("],\"policies\":[");
    i = 0;
    for (StoredTrafficPolicy p : cp.registry().trafficPolicies()) {
      b.append(i++ == 0 ? "" : ",").append("{\"service\":").append(JsonStrings.quote(p.service()))
          .append(",\"revision\":").append(p.revision()).append(",\"policy\":").append(proto(p.policy())).append('}');
    }
    return b.append("]}").toString();
  }

  /** One rollout: its proto form (the newest decisions only) plus the weights spelled out. */
  String rollout(Rollout r) {
    dev.vertice.api.canary.v1.Rollout.Builder p = RolloutProtos.toProto(r).toBuilder();
    int n = p.getDecisionsCount();
    if (n > DECISIONS_SHOWN) {
      List<dev.vertice.api.canary.v1.Decision> newest = List.copyOf(p.getDecisionsList().subList(n - DECISIONS_SHOWN, n));
      p.clearDecisions().addAllDecisions(newest);
    }
    return "{\"rollout\":" + proto(p) + ",\"active\":" + r.isActive() + ",\"candidateWeight\":" + r.candidateWeight()
        + ",\"stableWeight\":" + r.stableWeight() + ",\"state\":" + JsonStrings.quote(r.state().name()) + "}";
  }

  String nodes() {
    long now = cp.engine().clock().nanoTime();
    List<SubscriberInfo> subs = cp.engine().subscribers().stream()
        .sorted(Comparator.comparing(SubscriberInfo::nodeKind).thenComparing(SubscriberInfo::nodeId)).toList();
    StringBuilder b = new StringBuilder("{\"revision\":").append(cp.engine().revision()).append(",\"nodes\":[");
    int i = 0;
    for (SubscriberInfo s : subs) {
      long staleMs = s.inSync() ? 0 : Math.max(0, now - s.lastAnswerAtNanos()) / 1_000_000;
      b.append(i++ == 0 ? "" : ",").append("{\"nodeId\":").append(JsonStrings.quote(s.nodeId()))
          .append(",\"kind\":").append(JsonStrings.quote(s.nodeKind())).append(",\"zone\":")
          .append(JsonStrings.quote(s.zone())).append(",\"types\":").append(strings(s.types()))
          .append(",\"subscriptions\":").append(s.subscriptions()).append(",\"held\":").append(s.resourcesHeld())
          .append(",\"pending\":").append(s.pending()).append(",\"outstanding\":").append(s.outstanding())
          .append(",\"sentRevision\":").append(s.sentRevision()).append(",\"ackedRevision\":").append(s.ackedRevision())
          .append(",\"acks\":").append(s.acks()).append(",\"nacks\":").append(s.nacks())
          .append(",\"lastNack\":").append(s.lastNack() == null ? "null" : JsonStrings.quote(s.lastNack()))
          .append(",\"inSync\":").append(s.inSync()).append(",\"staleMs\":").append(staleMs)
          .append(",\"connectedMs\":").append(Math.max(0, now - s.openedAtNanos()) / 1_000_000).append('}');
    }
    return b.append("]}").toString();
  }

  String push() {
    PushStats st = cp.engine().stats();
    ConvergenceWindow.Figures f = convergence == null ? null : convergence.figures();
    StringBuilder b = new StringBuilder("{\"revision\":").append(cp.engine().revision())
        .append(",\"streams\":").append(st.subscribers()).append(",\"pending\":").append(st.pendingValues())
        .append(",\"waitingChanges\":").append(st.waitingChanges()).append(",\"batchesSent\":").append(st.batchesSent())
        .append(",\"resourcesSent\":").append(st.resourcesSent()).append(",\"acks\":").append(st.acks())
        .append(",\"nacks\":").append(st.nacks()).append(",\"instances\":").append(cp.registry().instanceCount())
        .append(",\"liveConsolePages\":").append(events.openStreams()).append(",\"convergence\":");
    if (f == null) {
      b.append("null");
    } else {
      b.append("{\"window\":").append(f.count()).append(",\"total\":").append(f.total())
          .append(",\"p50Ms\":").append(round(f.p50Millis())).append(",\"p99Ms\":").append(round(f.p99Millis()))
          .append(",\"maxMs\":").append(round(f.maxMillis())).append('}');
    }
    return b.append('}').toString();
  }

  static String health(HealthStatus h) {
    return enumName(h.name(), "HEALTH_STATUS_");
  }

  private static String enumName(String name, String prefix) {
    return name.startsWith(prefix) ? name.substring(prefix.length()) : name.toUpperCase(Locale.ROOT);
  }

  private static String round(double v) {
    return String.format(Locale.ROOT, "%.2f", v);
  }

  private static String strings(java.util.Collection<String> values) {
    StringBuilder b = new StringBuilder("[");
    int i = 0;
    for (String v : values) {
      b.append(i++ == 0 ? "" : ",").append(JsonStrings.quote(v));
    }
    return b.append(']').toString();
  }

  private static String proto(MessageOrBuilder m) {
    try {
      return PROTO.print(m);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot render " + m.getClass().getSimpleName() + " as JSON", e);
    }
  }
}
