package dev.vertice.chaos;

/**
 * {@code ChurnWriter} registers, renews, deregisters and abandons (a crash: no renewal, no deregistration)
 * instances through the control planes at a fixed rate, recording every write the store acknowledged,
 * so that the run can check afterwards that none was lost.
 */
public final class ChurnWriter {
}
