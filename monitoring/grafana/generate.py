#!/usr/bin/env python3
"""Generates Vertice's Grafana dashboards from the one definition below.

    python3 monitoring/grafana/generate.py            # writes monitoring/grafana/dashboards/*.json
    python3 monitoring/grafana/generate.py --check    # fails when the committed JSON is not current
    python3 monitoring/grafana/generate.py --queries  # prints every PromQL query, one per line

Never edit the JSON by hand: change DASHBOARDS and run this. Standard library only.
"""
import json
import os
import sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dashboards")
DS = {"type": "prometheus", "uid": "prometheus"}


def ts(title, *queries, unit="short", stack=False):
    """A time series panel; each query is (expr, legend)."""
    return {"type": "timeseries", "title": title, "unit": unit, "queries": queries, "stack": stack}


def stat(title, expr, unit="short", thresholds=None):
    """A single-value panel."""
    return {"type": "stat", "title": title, "unit": unit, "queries": ((expr, ""),), "thresholds": thresholds}


def q(expr, legend=""):
    return (expr, legend)


def p(quantile, metric, by="", sel="", window="5m"):
    """histogram_quantile over a _bucket metric, summed by le (and `by`)."""
    labels = "le" + (", " + by if by else "")
    return f"histogram_quantile({quantile}, sum by ({labels}) (rate({metric}_bucket{sel}[{window}])))"


DASHBOARDS = [
    ("vertice-registry-health", "Service Registry Health", [
        stat("Control-plane replicas up", 'sum(up{job="vertice-control-plane"})'),
        stat("Instances", "max(vertice_instances)"),
        stat("Services", "max(vertice_services)"),
        stat("Replicas not following the store", "count(vertice_store_following == 0) or vector(0)",
             thresholds=[0, 1]),
        ts("Registrations and removals per second",
           q("sum(rate(vertice_registrations_total[5m])) by (result)", "register {{result}}"),
           q("sum(rate(vertice_deregistrations_total[5m]))", "deregister"),
           q("sum(rate(vertice_lease_expirations_total[5m])) by (reason)", "expired ({{reason}})"), unit="ops"),
        ts("Keepalives per second", q("sum(rate(vertice_keepalives_total[5m])) by (instance)", "{{instance}}"),
           unit="ops"),
        ts("Unary call latency p99",
           q(p(0.99, "vertice_rpc_server_seconds", "method", '{job="vertice-control-plane",type="unary"}'),
             "{{method}}"), unit="s"),
        ts("Redis store breaker",
           q('vertice_store_circuit_breaker_state{state="open"}', "open {{instance}}"),
           q('vertice_store_circuit_breaker_state{state="half_open"}', "half-open {{instance}}")),
    ]),
    ("vertice-health-check-cache", "Health Check Cache", [
        stat("Cache hit ratio (15 min)",
             'sum(rate(vertice_gateway_health_checks_total{layer=~"memory|redis"}[15m]))'
             " / sum(rate(vertice_gateway_health_checks_total[15m]))", unit="percentunit"),
        ts("Answers by layer", q("sum(rate(vertice_gateway_health_checks_total[5m])) by (layer)", "{{layer}}"),
           unit="ops", stack=True),
        ts("Latency p99 by layer",
           q(p(0.99, "vertice_gateway_health_check_seconds", "layer"), "{{layer}}"), unit="s"),
        ts("Redis layer errors",
           q("sum(rate(vertice_gateway_health_cache_redis_errors_total[5m])) by (instance)", "{{instance}}"),
           unit="ops"),
    ]),
    ("vertice-gateway-performance", "API Gateway Performance", [
        stat("Requests per second", "sum(rate(vertice_gateway_requests_total[1m]))", unit="reqps"),
        stat("5xx ratio (5 min)",
             'sum(rate(vertice_gateway_requests_total{code_class="5xx"}[5m]))'
             " / sum(rate(vertice_gateway_requests_total[5m]))", unit="percentunit"),
        ts("Requests by service", q("sum(rate(vertice_gateway_requests_total[1m])) by (service)", "{{service}}"),
           unit="reqps"),
        ts("Requests by status class",
           q("sum(rate(vertice_gateway_requests_total[1m])) by (code_class)", "{{code_class}}"), unit="reqps",
           stack=True),
        ts("Total latency", q(p(0.5, "vertice_gateway_request_seconds"), "p50"),
           q(p(0.99, "vertice_gateway_request_seconds"), "p99"), unit="s"),
        ts("Upstream latency p99 by service",
           q(p(0.99, "vertice_gateway_upstream_seconds", "service"), "{{service}}"), unit="s"),
        ts("Retries", q("sum(rate(vertice_gateway_retries_total[5m])) by (service)", "{{service}}"), unit="ops"),
    ]),
    ("vertice-circuit-breakers", "Circuit Breakers Overview", [
        stat("Open service breakers", 'sum(max by (service) (vertice_gateway_circuit_breaker_state{state="open"}))'),
        ts("Service breakers open", q('max by (service) (vertice_gateway_circuit_breaker_state{state="open"})',
                                     "{{service}}")),
        ts("Breaker transitions",
           q("sum(increase(vertice_gateway_circuit_breaker_transitions_total[5m])) by (service, to)",
             "{{service}} -> {{to}}")),
        ts("Outlier ejections", q("sum(increase(vertice_gateway_outlier_ejections_total[5m])) by (service)",
                                  "{{service}}")),
        ts("Redis store breaker (control plane)",
           q('vertice_store_circuit_breaker_state{state="open"}', "{{instance}}")),
    ]),
    ("vertice-system-performance", "System Performance Overview", [
        ts("Process CPU", q("process_cpu_usage", "{{job}} {{instance}}"), unit="percentunit"),
        ts("Heap used", q('sum by (job, instance) (jvm_memory_used_bytes{area="heap"})', "{{job}} {{instance}}"),
           unit="bytes"),
        ts("GC pause time per second", q("sum by (job, instance) (rate(jvm_gc_pause_seconds_sum[5m]))",
                                        "{{job}} {{instance}}"), unit="s"),
        ts("Live threads", q("jvm_threads_live_threads", "{{job}} {{instance}}")),
        ts("Open file descriptors", q("process_files_open_files", "{{job}} {{instance}}")),
    ]),
    ("vertice-alerting", "Alerting & Incidents", [
        stat("Critical alerts firing", 'count(ALERTS{alertstate="firing",severity="critical"}) or vector(0)',
             thresholds=[0, 1]),
        stat("Warnings firing", 'count(ALERTS{alertstate="firing",severity="warning"}) or vector(0)'),
        ts("Firing alerts by name", q('count by (alertname) (ALERTS{alertstate="firing"})', "{{alertname}}")),
        ts("Pending alerts", q('count by (alertname) (ALERTS{alertstate="pending"})', "{{alertname}}")),
    ]),
    ("vertice-service-discovery", "Service Discovery", [
        stat("Watch streams", "sum(vertice_watch_streams)"),
        stat("Convergence p99 (5 min)", p(0.99, "vertice_push_convergence_seconds", "", '{type="endpoints"}'),
             unit="s"),
        ts("Services and instances", q("max(vertice_services)", "services"), q("max(vertice_instances)",
                                                                                 "instances")),
        ts("Watch streams by replica", q("vertice_watch_streams", "{{instance}}")),
        ts("Data-plane staleness", q("vertice_watch_staleness_seconds", "{{job}} {{instance}}"), unit="s"),
        ts("Data planes connected", q("sum by (job) (vertice_watch_connected)", "{{job}}")),
    ]),
    ("vertice-system-overview", "System Overview", [
        stat("Control planes up", 'sum(up{job="vertice-control-plane"})'),
        stat("Gateways up", 'sum(up{job="vertice-gateway"})'),
        stat("Instances", "max(vertice_instances)"),
        stat("Gateway requests per second", "sum(rate(vertice_gateway_requests_total[1m]))", unit="reqps"),
        ts("Targets up by job", q("sum by (job) (up)", "{{job}}")),
        ts("Push convergence p99", q(p(0.99, "vertice_push_convergence_seconds", "type"), "{{type}}"), unit="s"),
    ]),
    ("vertice-sla", "SLA & Availability", [
        stat("Gateway availability (24 h)",
             '1 - sum(increase(vertice_gateway_requests_total{code_class="5xx"}[1d]))'
             " / sum(increase(vertice_gateway_requests_total[1d]))", unit="percentunit"),
        stat("Control-plane availability (24 h)", 'avg(avg_over_time(up{job="vertice-control-plane"}[1d]))',
             unit="percentunit"),
        ts("Availability by service (1 h)",
           q('1 - sum by (service) (increase(vertice_gateway_requests_total{code_class="5xx"}[1h]))'
             " / sum by (service) (increase(vertice_gateway_requests_total[1h]))", "{{service}}"),
           unit="percentunit"),
        ts("Uptime by job (1 h)", q("avg by (job) (avg_over_time(up[1h]))", "{{job}}"), unit="percentunit"),
    ]),
    ("vertice-infrastructure", "Infrastructure Metrics", [
        ts("CPU busy", q('1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m]))', "{{instance}}"),
           unit="percentunit"),
        ts("Memory available", q("node_memory_MemAvailable_bytes", "{{instance}}"), unit="bytes"),
        ts("Disk space available", q('node_filesystem_avail_bytes{fstype!~"tmpfs|overlay"}',
                                     "{{instance}} {{mountpoint}}"), unit="bytes"),
        ts("Network received", q("sum by (instance) (rate(node_network_receive_bytes_total[5m]))",
                                 "{{instance}}"), unit="Bps"),
        ts("Load average (1 min)", q("node_load1", "{{instance}}")),
    ]),
    ("vertice-redis", "Redis Performance", [
        stat("Redis up", "sum(redis_up)"),
        stat("Connected replicas", "max(redis_connected_slaves)"),
        ts("Commands per second", q("sum by (instance) (rate(redis_commands_processed_total[1m]))",
                                    "{{instance}}"), unit="ops"),
        ts("Memory used", q("redis_memory_used_bytes", "{{instance}}"), unit="bytes"),
        ts("Connected clients", q("redis_connected_clients", "{{instance}}")),
        ts("Replication link", q("redis_master_link_up", "{{instance}}")),
    ]),
    ("vertice-business", "Custom Business Metrics", [
        stat("Services registered", "max(vertice_services)"),
        ts("Top services by traffic", q("topk(10, sum by (service) (rate(vertice_gateway_requests_total[5m])))",
                                        "{{service}}"), unit="reqps"),
        ts("Traffic by version", q("sum by (service, version) (rate(vertice_gateway_requests_total[5m]))",
                                   "{{service}} {{version}}"), unit="reqps"),
        ts("Sidecar probes", q("sum by (result) (rate(vertice_sidecar_probes_total[5m]))", "{{result}}"),
           unit="ops"),
        ts("Sidecar health transitions", q("sum by (to) (increase(vertice_sidecar_health_transitions_total[5m]))",
                                           "to {{to}}")),
        ts("Supervised app restarts (sidecar --exec)",
           q("sum by (reason) (increase(vertice_sidecar_app_restarts_total[5m]))", "{{reason}}")),
        stat("Supervised apps crash-looping", "sum(vertice_sidecar_app_crash_loop) or vector(0)"),
        ts("Canary decisions", q("sum by (kind) (increase(vertice_canary_decisions_total[10m]))", "{{kind}}")),
    ]),
    ("vertice-push-convergence", "Push & Convergence", [
        stat("Convergence p99 (endpoints)", p(0.99, "vertice_push_convergence_seconds", "", '{type="endpoints"}'),
             unit="s"),
        stat("NACKs per second", 'sum(rate(vertice_watch_answers_total{answer="nack"}[5m]))', unit="ops"),
        ts("Convergence time", q(p(0.5, "vertice_push_convergence_seconds", "type"), "p50 {{type}}"),
           q(p(0.99, "vertice_push_convergence_seconds", "type"), "p99 {{type}}"), unit="s"),
        ts("Answers by node kind", q("sum by (node_kind, answer) (rate(vertice_watch_answers_total[5m]))",
                                     "{{node_kind}} {{answer}}"), unit="ops"),
        ts("Responses and resources pushed", q("sum(rate(vertice_push_responses_total[1m]))", "responses"),
           q("sum(rate(vertice_push_resources_total[1m]))", "resources"), unit="ops"),
        ts("Pending values and tracked changes", q("sum(vertice_push_pending_values)", "pending values"),
           q("sum(vertice_push_tracked_changes)", "tracked changes")),
        ts("Changes abandoned before converging",
           q("sum by (type) (rate(vertice_push_convergence_abandoned_total[5m]))", "{{type}}"), unit="ops"),
    ]),
    ("vertice-canary", "Canary Rollouts", [
        ts("Candidate weight", q("max by (service) (vertice_canary_candidate_weight)", "{{service}}"),
           unit="percent"),
        ts("Stage", q("max by (service) (vertice_canary_stage)", "{{service}}")),
        ts("Decisions", q("sum by (service, kind) (increase(vertice_canary_decisions_total[5m]))",
                          "{{service}} {{kind}}")),
        ts("Requests by version", q("sum by (service, version) (rate(vertice_gateway_requests_total[1m]))",
                                    "{{service}} {{version}}"), unit="reqps"),
        ts("Error rate by version",
           q('sum by (service, version) (rate(vertice_gateway_requests_total{code_class="5xx"}[1m]))'
             " / sum by (service, version) (rate(vertice_gateway_requests_total[1m]))", "{{service}} {{version}}"),
           unit="percentunit"),
    ]),
]


def panel_json(i, spec):
    w = 6 if spec["type"] == "stat" else 12
    h = 4 if spec["type"] == "stat" else 8
    targets = [{"datasource": DS, "expr": expr, "legendFormat": legend, "refId": chr(ord("A") + n)}
               for n, (expr, legend) in enumerate(spec["queries"])]
    defaults = {"unit": spec["unit"]}
    if spec.get("thresholds"):
        defaults["thresholds"] = {"mode": "absolute", "steps": [
            {"color": "green", "value": None}] + [{"color": "red", "value": v} for v in spec["thresholds"][1:]]}
    panel = {"id": i + 1, "type": spec["type"], "title": spec["title"], "datasource": DS, "targets": targets,
             "fieldConfig": {"defaults": defaults, "overrides": []}}
    if spec["type"] == "timeseries":
        panel["fieldConfig"]["defaults"]["custom"] = {
            "stacking": {"mode": "normal" if spec["stack"] else "none", "group": "A"}}
        panel["options"] = {"legend": {"displayMode": "list", "placement": "bottom"}, "tooltip": {"mode": "multi"}}
    return panel, w, h


def dashboard_json(uid, title, panels):
    out, x, y, row_h = [], 0, 0, 0
    for i, spec in enumerate(panels):
        panel, w, h = panel_json(i, spec)
        if x + w > 24:
            x, y, row_h = 0, y + row_h, 0
        panel["gridPos"] = {"x": x, "y": y, "w": w, "h": h}
        x, row_h = x + w, max(row_h, h)
        out.append(panel)
    return {"uid": uid, "title": title, "tags": ["vertice", "generated"], "timezone": "browser",
            "schemaVersion": 39, "version": 1, "editable": False, "refresh": "30s",
            "time": {"from": "now-1h", "to": "now"}, "panels": out,
            "description": "Generated by monitoring/grafana/generate.py: do not edit by hand."}


def render():
    return {f"{uid}.json": json.dumps(dashboard_json(uid, title, panels), indent=2, sort_keys=True) + "\n"
            for uid, title, panels in DASHBOARDS}


def main(argv):
    files = render()
    if "--queries" in argv:
        for _, _, panels in DASHBOARDS:
            for spec in panels:
                for expr, _ in spec["queries"]:
                    print(expr)
        return 0
    if "--check" in argv:
        stale = [name for name, text in files.items()
                 if not os.path.exists(os.path.join(OUT, name)) or open(os.path.join(OUT, name)).read() != text]
        extra = sorted(set(os.listdir(OUT)) - set(files)) if os.path.isdir(OUT) else []
        if stale or extra:
            print("dashboards not current (run python3 monitoring/grafana/generate.py): "
                  + ", ".join(stale + extra), file=sys.stderr)
            return 1
        return 0
    os.makedirs(OUT, exist_ok=True)
    for name, text in files.items():
        with open(os.path.join(OUT, name), "w") as f:
            f.write(text)
    print(f"wrote {len(files)} dashboards to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
