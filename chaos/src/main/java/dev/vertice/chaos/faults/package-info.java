/**
 * Faults that {@code ./vertice chaos} injects besides kills and stops: {@link
 * dev.vertice.chaos.faults.FaultProxy} (latency, bandwidth, stalls and resets on a TCP link), {@link
 * dev.vertice.chaos.faults.LoopbackPartition} (iptables rules that cut one process off from given
 * loopback ports), and {@link dev.vertice.chaos.faults.AlertCheck} (which of monitoring/'s alert
 * rules the scraped metrics would fire, by promtool). It knows nothing of the cluster's processes
 * beyond pids and ports, and imports nothing else of the chaos module.
 */
package dev.vertice.chaos.faults;
