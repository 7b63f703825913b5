package dev.vertice.chaos;

import java.time.Duration;

/**
 * {@code ChaosRun} is what a {@link Scenario} works with: the cluster's processes and ports, the load
 * driver, the churn writer, the fault log and the measurements the report needs. One run serves every
 * scenario of a command, one scenario at a time.
 */
public interface ChaosRun {

  /** The durations and rates of this run. */
  ChaosSettings settings();

  /** The cluster: its processes (kill, stop, continue, restart) and addresses. */
  ClusterHandle cluster();

  /** The open-loop load through both gateways. */
  LoadDriver load();

  /** The registration churn: every acknowledged write is recorded and checked after each scenario. */
  ChurnWriter churn();

  /** The timeline of injected faults and heals, printed with the report. */
  FaultLog faults();

  /**
   * Opens the fault window: the load figures of the report (sent, failed, p99) count the requests whose
   * intended send time falls between this and {@link #faultEnds()}.
   */
  void faultBegins(String what);

  /** Closes the fault window: the fault is healed (processes restarted or continued, links restored). */
  void faultEnds(String what);

  /**
   * Records that instance {@code instanceId} of the load's target service crashed now: failed requests that
   * were in flight to it at this moment are counted apart (the targets excuse them).
   */
  void crashed(String instanceId);

  /**
   * Starts a victim: a demo app and its sidecar as two processes, registered in the load's target service,
   * and waits until both gateways route to it.
   */
  Victim startVictim() throws Exception;

  /**
   * Waits until no gateway routes to the instance at {@code hostPort} any more and returns how long that
   * took from {@code since} (a {@link System#nanoTime()}); empty after {@code timeout}.
   */
  java.util.Optional<Duration> awaitOutOfRotation(String hostPort, long since, Duration timeout)
      throws InterruptedException;

  /**
   * Waits until every watcher of every live control plane is at the store's version, measured from {@code
   * since} (a {@link System#nanoTime()}); empty after {@code timeout}.
   */
  java.util.Optional<Duration> awaitConverged(long since, Duration timeout) throws InterruptedException;

  /** The control plane the first gateway is connected to (the one a kill hurts most). */
  ClusterProcess connectedControlPlane();

  /**
   * Restarts a killed process of the cluster with its command line and waits until it answers: a control
   * plane its health check, Redis its PING (then told to follow the master Sentinel names, or to be it).
   */
  void restart(ClusterProcess p) throws Exception;

  /** Sleeps {@code d}, or returns early when the run is being stopped (Ctrl-C). */
  void pause(Duration d) throws InterruptedException;
}
