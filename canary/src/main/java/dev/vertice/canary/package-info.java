/** Rollouts: the model, the stage state machine and the analysis of per-version stats. Pure logic, no I/O. */
package dev.vertice.canary;
