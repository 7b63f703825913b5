/**
 * The control plane's assembly: {@link dev.vertice.controlplane.ControlPlane} opens one store
 * backend (memory or Redis), builds the registry view, the push engine and the xDS projection, wires
 * them store &rarr; view &rarr; engine &rarr; streams, and hands out the gRPC services; {@link
 * dev.vertice.controlplane.ControlPlaneServer} binds them to a port with the transport's limits.
 *
 * <p>Nothing here decides a fact: each subpackage owns one concern ({@code store}, {@code registry},
 * {@code push}, {@code server}, {@code canary}, {@code xds}, {@code metrics}) and this package only
 * connects them.
 */
package dev.vertice.controlplane;
