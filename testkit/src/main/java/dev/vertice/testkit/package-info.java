/**
 * Test fixtures shared by every module's tests (test scope only, never a dependency of main code):
 * {@link dev.vertice.testkit.FakeClock}, {@link dev.vertice.testkit.Await} (waiting on a condition
 * with a deadline), real {@code redis-server} and {@code redis-sentinel} processes on free ports,
 * openssl-made certificates and signed JWTs.
 */
package dev.vertice.testkit;
