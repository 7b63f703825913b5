package dev.vertice.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code PushRun} drives one target (a control plane or etcd) through a {@link ChangeWriter} and
 * times each change from the start of its write to the last watcher holding it, as reported to an
 * {@link Arrivals} on the wall clock. Sequence numbers continue per service across calls.
 */
final class PushRun {

  /** How long one change may take to reach every watcher before it counts as lost. */
  static final Duration CHANGE_TIMEOUT = Duration.ofSeconds(30);

  /**
   * What one phase measured; {@code samples} holds each measured change in order (one-at-a-time
   * phases only, empty for streams).
   */
  record Result(Latencies toLastWatcher, Latencies write, int changes, int lost, double achievedRate,
      List<Sample> samples) {}

  /**
   * One measured change: when its write started (wall clock, microseconds since the epoch, the
   * clock the watcher processes stamp arrivals with), the time to the last watcher and the write's
   * own time, in nanoseconds.
   */
  record Sample(long startMicros, long toLastNanos, long writeNanos) {}

  private final ChangeWriter writer;
  private final Arrivals arrivals;
  private final long[] seqs;

  PushRun(ChangeWriter writer, Arrivals arrivals, int services) {
    this.writer = writer;
    this.arrivals = arrivals;
    this.seqs = new long[services];
  }

  /** Writes every service's first value (0) and waits for the writes. */
  void seed() throws Exception {
    for (int s = 0; s < seqs.length; s++) {
      writer.write(s, 0).get(CHANGE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    }
  }

  /**
   * One change at a time, services in turn, each started once the previous one reached every
   * watcher: unmeasured for {@code warmup}, then {@code rounds} measured.
   */
  Result oneAtATime(Duration warmup, int rounds) throws Exception {
    long warmupEnd = System.nanoTime() + warmup.toNanos();
    while (System.nanoTime() < warmupEnd) {
      change(0);
    }
    long[] toLast = new long[rounds];
    long[] write = new long[rounds];
    List<Sample> samples = new ArrayList<>(rounds);
    for (int r = 0; r < rounds; r++) {
      Sample m = change(r);
      toLast[r] = m.toLastNanos();
      write[r] = m.writeNanos();
      samples.add(m);
    }
    return new Result(Latencies.of(toLast), Latencies.of(write), rounds, 0, 0, List.copyOf(samples));
  }

  /** Times one change. */
  private Sample change(int round) throws Exception {
    int s = round % seqs.length;
    long seq = ++seqs[s];
    CompletableFuture<Long> arrived = arrivals.expect(s, seq);
    long startMicros = WatchersCommand.nowMicros();
    long start = System.nanoTime();
    writer.write(s, seq).get(CHANGE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    long write = System.nanoTime() - start;
    long last;
    try {
      last = arrived.get(CHANGE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      arrivals.forget(s, seq);
      throw new IllegalStateException("change " + seq + " of service " + s + " did not reach every watcher within "
          + CHANGE_TIMEOUT);
    }
    return new Sample(startMicros, Math.max(0, last - startMicros) * 1_000, write);
  }

  /**
   * An open-loop stream of {@code rate} changes per second for {@code length}, spread over the
   * services in turn. Each change is timed from when it was due, not when it was sent, so a stalled
   * writer or server shows in the latency (no coordinated omission).
   */
  Result stream(int rate, Duration length) throws InterruptedException {
    long interval = TimeUnit.SECONDS.toNanos(1) / rate;
    long count = Math.max(1, length.toNanos() / interval);
    List<CompletableFuture<Long>> arrivedAll = new ArrayList<>();
    long[] dueMicros = new long[(int) count];
    long[] toLast = new long[(int) count];
    long[] write = new long[(int) count];
    int[] services = new int[(int) count];
    long[] seqOf = new long[(int) count];
    List<CompletableFuture<Void>> writes = new ArrayList<>();
    long t0 = System.nanoTime();
    long wall0 = WatchersCommand.nowMicros();
    for (int k = 0; k < count; k++) {
      long due = t0 + k * interval;
      long wait;
      while ((wait = due - System.nanoTime()) > 0) {
        LockSupport.parkNanos(wait);
      }
      int s = k % seqs.length;
      long seq = ++seqs[s];
      services[k] = s;
      seqOf[k] = seq;
      dueMicros[k] = wall0 + (due - t0) / 1_000;
      arrivedAll.add(arrivals.expect(s, seq));
      int index = k;
      long dueNanos = due;
      writes.add(writer.write(s, seq).whenComplete((v, t) -> write[index] = System.nanoTime() - dueNanos));
    }
    double achieved = count / ((System.nanoTime() - t0) / 1e9);
    int lost = 0;
    int n = 0;
    long deadline = System.nanoTime() + CHANGE_TIMEOUT.toNanos();
    long[] measured = new long[(int) count];
    long[] writesDone = new long[(int) count];
    for (int k = 0; k < count; k++) {
      try {
        long left = Math.max(1, deadline - System.nanoTime());
        writes.get(k).get(left, TimeUnit.NANOSECONDS);
        long last = arrivedAll.get(k).get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        toLast[k] = Math.max(0, last - dueMicros[k]) * 1_000;
        measured[n] = toLast[k];
        writesDone[n] = write[k];
        n++;
      } catch (TimeoutException | ExecutionException e) {
        lost++;
        arrivals.forget(services[k], seqOf[k]);
      }
    }
    return new Result(Latencies.of(java.util.Arrays.copyOf(measured, n)),
        Latencies.of(java.util.Arrays.copyOf(writesDone, n)), (int) count, lost, achieved, List.of());
  }
}
