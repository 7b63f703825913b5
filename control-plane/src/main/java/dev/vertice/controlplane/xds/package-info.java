/**
 * The xDS projection: {@link dev.vertice.controlplane.xds.XdsResources} derives Envoy's cluster,
 * endpoint, listener and route resources ({@code XdsMapping}) from the registry view's changes and
 * feeds them to the same push engine; {@link dev.vertice.controlplane.xds.AdsGrpcService} serves
 * them over the Aggregated Discovery Service (state of the world) through the shared stream adapter
 * of {@code controlplane.server}.
 *
 * <p>It reads the registry view only and never writes the store; {@code server} must not import
 * this package.
 */
package dev.vertice.controlplane.xds;
