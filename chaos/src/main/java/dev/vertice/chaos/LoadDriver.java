package dev.vertice.chaos;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.MalformedURLException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code LoadDriver} sends requests through both gateways at a fixed rate (open loop: a request is sent
 * at its intended time whether or not earlier ones answered; a late sender catches up, it never skips)
 * and records each one's latency from its intended send time and its status.
 * {@link #window} summarises the requests intended between two instants.
 */
public final class LoadDriver implements AutoCloseable {

  /** Status of a request that got no HTTP answer: refused, reset, timed out. */
  public static final int NO_ANSWER = 0;
  /** Each request's deadline. */
  public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);

  /** Threads sending requests: each blocks on one request at a time; late ones wait in the queue. */
  static final int SENDER_THREADS = 256;

  static {
    // The JDK keeps 5 idle connections per destination by default: the load's senders reuse up to all.
    if (System.getProperty("http.maxConnections") == null) {
      System.setProperty("http.maxConnections", Integer.toString(SENDER_THREADS));
    }
  }

  private final List<URL> targets;
  private final int ratePerTarget;
  private final ThreadPoolExecutor executor;
  private final List<Thread> schedulers = new ArrayList<>();
  private volatile boolean running;
  private final AtomicLong inFlight = new AtomicLong();
  /** Finished requests: intended send time, latency, status or error (appended under the lock). */
  private final Object lock = new Object();
  private long[] intended = new long[1 << 16];
  private long[] latency = new long[1 << 16];
  private int[] status = new int[1 << 16];
  private String[] error = new String[1 << 16];
  private int size;

  /**
   * @param gateways the gateways' {@code host:port}
   * @param path the request path, e.g. {@code /test-service/chaos}
   * @param ratePerGateway requests per second to each gateway
   */
  public LoadDriver(List<String> gateways, String path, int ratePerGateway) {
    List<URL> urls = new ArrayList<>();
    for (String g : gateways) {
      try {
        urls.add(URI.create("http://" + g + path).toURL());
      } catch (MalformedURLException e) {
        throw new IllegalArgumentException("gateway address " + g + ": " + e.getMessage(), e);
      }
    }
    this.targets = List.copyOf(urls);
    this.ratePerTarget = ratePerGateway;
    this.executor = new ThreadPoolExecutor(SENDER_THREADS, SENDER_THREADS, 10, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, "chaos-load-http");
          t.setDaemon(true);
          return t;
        });
    executor.allowCoreThreadTimeOut(true);
  }

  /** Starts one scheduler per gateway. */
  public void start() {
    running = true;
    for (URL target : targets) {
      Thread t = new Thread(() -> schedule(target), "chaos-load-" + target.getPort());
      t.setDaemon(true);
      schedulers.add(t);
      t.start();
    }
  }

  private void schedule(URL target) {
    long period = 1_000_000_000L / ratePerTarget;
    long next = System.nanoTime();
    while (running) {
      long now = System.nanoTime();
      if (now < next) {
        LockSupport.parkNanos(next - now);
        continue;
      }
      long at = next;
      next += period;
      inFlight.incrementAndGet();
      executor.execute(() -> send(target, at));
    }
  }

  private void send(URL target, long at) {
    int st = NO_ANSWER;
    String err = null;
    try {
      HttpURLConnection c = (HttpURLConnection) target.openConnection();
      c.setConnectTimeout((int) REQUEST_TIMEOUT.toMillis());
      c.setReadTimeout((int) REQUEST_TIMEOUT.toMillis());
      c.setRequestProperty("x-chaos", "1");
      st = c.getResponseCode();
      try (InputStream in = st >= 400 ? c.getErrorStream() : c.getInputStream()) {
        if (in != null) {
          in.readAllBytes(); // read to the end: the connection goes back to the keep-alive cache
        }
      }
    } catch (SocketTimeoutException e) {
      err = "timeout";
    } catch (IOException e) {
      err = e.getClass().getSimpleName();
    } finally {
      inFlight.decrementAndGet();
      record(at, System.nanoTime() - at, st, err);
    }
  }

  private void record(long at, long lat, int st, String err) {
    synchronized (lock) {
      if (size == intended.length) {
        int n = size * 2;
        intended = Arrays.copyOf(intended, n);
        latency = Arrays.copyOf(latency, n);
        status = Arrays.copyOf(status, n);
        error = Arrays.copyOf(error, n);
      }
      intended[size] = at;
      latency[size] = lat;
      status[size] = st;
      error[size] = err;
      size++;
    }
  }

  /** Requests sent and not yet answered. */
  public long inFlight() {
    return inFlight.get();
  }

  /** Requests answered (or failed) so far. */
  public int finished() {
    synchronized (lock) {
      return size;
    }
  }

  /**
   * Summarises the requests intended in {@code [fromNanos, toNanos)}; a failed request intended before
   * a crash instant and ended after it (in flight when an instance crashed) is counted as excused.
   */
  public Window window(long fromNanos, long toNanos, List<Long> crashNanos) {
    List<Long> lat = new ArrayList<>();
    Map<String, Long> failed = new TreeMap<>();
    long sent = 0;
    long excused = 0;
    synchronized (lock) {
      for (int i = 0; i < size; i++) {
        long at = intended[i];
        if (at < fromNanos || at >= toNanos) {
          continue;
        }
        sent++;
        lat.add(latency[i]);
        if (status[i] >= 200 && status[i] < 400) {
          continue;
        }
        long end = at + latency[i];
        boolean inFlightAtCrash = crashNanos.stream().anyMatch(c -> at <= c && end >= c);
        if (inFlightAtCrash) {
          excused++;
        } else {
          String key = status[i] == NO_ANSWER ? error[i] : Integer.toString(status[i]);
          failed.merge(key, 1L, Long::sum);
        }
      }
    }
    long[] sorted = lat.stream().mapToLong(Long::longValue).sorted().toArray();
    double p99 = sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * 0.99) - 1)]
        / 1e6;
    double p50 = sorted.length == 0 ? 0 : sorted[(sorted.length - 1) / 2] / 1e6;
    return new Window(sent, failed, excused, p50, p99);
  }

  /** Waits until every request sent has finished, at most the request timeout and a second. */
  public void drain() throws InterruptedException {
    long deadline = System.nanoTime() + REQUEST_TIMEOUT.toNanos() + 1_000_000_000L;
    while (inFlight.get() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
  }

  @Override
  public void close() {
    try {
      stop();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void stop() throws InterruptedException {
    running = false;
    for (Thread t : schedulers) {
      t.join(2_000);
    }
    drain();
    executor.shutdownNow();
  }

  /**
   * The requests of a window.
   *
   * @param sent requests intended in the window
   * @param failed failed requests by status ({@code 503}) or error ({@code timeout}, {@code ConnectException})
   * @param excused failed requests that were in flight when an instance crashed
   * @param p50Millis median latency from the intended send time
   * @param p99Millis 99th percentile latency from the intended send time
   */
  public record Window(long sent, Map<String, Long> failed, long excused, double p50Millis, double p99Millis) {
    public long failedTotal() {
      return failed.values().stream().mapToLong(Long::longValue).sum();
    }
  }
}
