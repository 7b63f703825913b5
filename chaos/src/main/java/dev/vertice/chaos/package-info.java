/**
 * {@code ./vertice chaos}: fault scenarios against a live {@code ./vertice cluster up} topology, one at a
 * time, under open-loop load through both gateways and registration churn, healing in between, with a
 * report of each scenario against its targets (failed requests, acknowledged writes lost, time out of
 * rotation, convergence after heal).
 *
 * <p>{@link dev.vertice.chaos.Scenario} is the seam: a scenario gets a {@link dev.vertice.chaos.ChaosRun}
 * (the cluster's processes and ports, the load driver, the churn writer, the fault log) and returns a
 * {@link dev.vertice.chaos.ScenarioOutcome}. The fault components a scenario may use (a fault-injecting
 * TCP proxy, loopback partitions, alert evaluation) live in {@code dev.vertice.chaos.faults}, which must
 * not import this package's runner.
 *
 * <p>This module drives the product through its processes and public ports only; nothing in a component
 * depends on it.
 */
package dev.vertice.chaos;
