package dev.vertice.chaos;

/**
 * {@code LoadDriver} sends requests through both gateways at a fixed rate (open loop: a request is sent
 * at its intended time whether or not earlier ones answered) and records each one's latency from its
 * intended send time, and its status.
 */
public final class LoadDriver {
}
