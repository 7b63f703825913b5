/**
 * {@code dev.vertice.common} holds the rules every component shares and nothing else: service
 * names ({@link dev.vertice.common.ServiceNames}), resource type URLs, the {@link
 * dev.vertice.common.Ticker} time source, daemon {@link dev.vertice.common.Threads}, and text
 * helpers for logs and JSON.
 *
 * <p>It depends on the JDK only: no gRPC, no protobuf, no other Vertice module; every module may
 * depend on it.
 */
package dev.vertice.common;
