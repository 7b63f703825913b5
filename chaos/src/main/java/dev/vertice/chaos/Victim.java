package dev.vertice.chaos;

/**
 * {@code Victim} is an instance the run started for a scenario to crash: a demo app and its sidecar as
 * two processes, registered in the load's target service.
 *
 * @param instanceId the instance id the sidecar registered
 * @param hostPort where the app listens ({@code 127.0.0.1:port}), as the gateways route to it
 * @param app the demo app's process
 * @param sidecar the sidecar's process
 */
public record Victim(String instanceId, String hostPort, ClusterProcess app, ClusterProcess sidecar) {}
