/**
 * Faults that {@code ./vertice chaos} injects besides kills and stops, as standalone components
 * that know nothing of the cluster beyond pids and ports and import nothing else of the chaos
 * module: {@link dev.vertice.chaos.faults.FaultProxy} (latency, bandwidth, stalls and resets on a
 * TCP link), {@link dev.vertice.chaos.faults.LoopbackPartition} (iptables rules that cut one
 * process off from given loopback ports), {@link dev.vertice.chaos.faults.LinkRedirect} (one
 * process's connections sent through proxies, without a restart), and {@link
 * dev.vertice.chaos.faults.MetricsRecorder} with {@link dev.vertice.chaos.faults.AlertCheck}
 * (which of monitoring/'s alert rules the scraped metrics would fire, by promtool).
 */
package dev.vertice.chaos.faults;
