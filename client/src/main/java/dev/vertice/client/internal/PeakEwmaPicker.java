package dev.vertice.client.internal;

import dev.vertice.client.VerticeAttributes;
import dev.vertice.common.PeakEwma;
import dev.vertice.common.Ticker;
import io.grpc.ClientStreamTracer;
import io.grpc.ConnectivityState;
import io.grpc.LoadBalancer;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.util.ForwardingSubchannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code PeakEwmaPicker} is the latency-aware picker of the {@code peak_ewma} child policy: the
 * power of two choices among the READY subchannels, weighted by their {@link
 * VerticeAttributes#WEIGHT}, keeping the one of lower {@link PeakEwma#cost} ({@code latency estimate
 * × (calls in flight + 1) / weight}). Each pick attaches a stream tracer that counts the call in
 * flight and, when the call closes (unless cancelled), records its duration in the subchannel's
 * estimate. Thread-safe; a pick allocates what grpc's own pickers do (the pick result) plus one
 * tracer per call.
 */
final class PeakEwmaPicker extends LoadBalancer.SubchannelPicker {

  private final Tracked[] ready;
  private final long[] cumulative;
  private final long total;

  /** {@code PeakEwmaPicker} picks among {@code ready} (not empty). */
  PeakEwmaPicker(List<Tracked> ready) {
    this.ready = ready.toArray(new Tracked[0]);
    this.cumulative = new long[this.ready.length];
    long sum = 0;
    for (int i = 0; i < this.ready.length; i++) {
      sum += this.ready[i].weight();
      cumulative[i] = sum;
    }
    this.total = sum;
  }

  @Override
  public LoadBalancer.PickResult pickSubchannel(LoadBalancer.PickSubchannelArgs args) {
    Tracked[] a = ready;
    Tracked chosen;
    if (a.length == 1) {
      chosen = a[0];
    } else {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      int i = draw(random);
      int j = draw(random);
      if (j == i) {
        j = (i + 1 + random.nextInt(a.length - 1)) % a.length;
      }
      Tracked x = a[i];
      Tracked y = a[j];
      chosen = x.cost() <= y.cost() ? x : y;
    }
    return LoadBalancer.PickResult.withSubchannel(chosen, chosen.tracerFactory);
  }

  private int draw(ThreadLocalRandom random) {
    long r = random.nextLong(total);
    int lo = 0;
    int hi = cumulative.length - 1;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (cumulative[mid] > r) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }

  @Override
  public String toString() {
    return "PeakEwmaPicker" + List.of(ready);
  }

  /**
   * {@code Tracked} is a subchannel as the {@code peak_ewma} child sees it: its connectivity state
   * (recorded before the child's own listener hears of it), its calls in flight and its latency
   * estimate. Created and started on the channel's synchronization context.
   */
  static final class Tracked extends ForwardingSubchannel {
    private final LoadBalancer.Subchannel delegate;
    private final Runnable onShutdown;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final PeakEwma latency;
    private final Ticker ticker;
    private final int weight;
    private volatile ConnectivityState state = ConnectivityState.IDLE;
    final ClientStreamTracer.Factory tracerFactory = new ClientStreamTracer.Factory() {
      @Override
      public ClientStreamTracer newClientStreamTracer(ClientStreamTracer.StreamInfo info, Metadata headers) {
        inFlight.incrementAndGet();
        return new CallTracer(ticker.nanoTime());
      }
    };

    Tracked(LoadBalancer.Subchannel delegate, int weight, Ticker ticker, Duration decay, Runnable onShutdown) {
      this.delegate = delegate;
      this.weight = Math.max(1, weight);
      this.ticker = ticker;
      this.latency = new PeakEwma(ticker, decay);
      this.onShutdown = onShutdown;
    }

    @Override
    protected LoadBalancer.Subchannel delegate() {
      return delegate;
    }

    @Override
    public void start(LoadBalancer.SubchannelStateListener listener) {
      delegate.start(s -> {
        state = s.getState();
        listener.onSubchannelState(s);
      });
    }

    @Override
    public void shutdown() {
      state = ConnectivityState.SHUTDOWN;
      onShutdown.run();
      delegate.shutdown();
    }

    ConnectivityState state() {
      return state;
    }

    /** The weight of the instance, read from its address attributes when the subchannel was created. */
    int weight() {
      return weight;
    }

    double cost() {
      return latency.cost(inFlight.get(), weight());
    }

    PeakEwma latency() {
      return latency;
    }

    @Override
    public String toString() {
      return delegate + "(" + latency + ", " + inFlight.get() + " in flight)";
    }

    /** Counts one call: in flight until closed, then timed. */
    private final class CallTracer extends ClientStreamTracer {
      private final long start;

      CallTracer(long start) {
        this.start = start;
      }

      @Override
      public void streamClosed(Status status) {
        inFlight.decrementAndGet();
        if (status.getCode() != Status.Code.CANCELLED) {
          latency.observe(ticker.nanoTime() - start);
        }
      }
    }
  }
}
