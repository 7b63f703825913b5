package dev.vertice.chaos.faults;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * {@code FaultProxy} is a TCP proxy that injects faults between its clients and one target: it
 * listens on a free loopback port, opens one connection to the target per client connection, and
 * forwards bytes both ways, delayed by an added latency per {@link Direction}, paced to a bandwidth
 * limit per direction, held back entirely while stalled (connections stay open), and cut on demand
 * with a TCP reset (SO_LINGER 0, then close) seen by both ends. Every fault can be changed while
 * connections are open and applies to them at once; {@link #heal()} removes them all.
 *
 * <p>Semantics, per direction: a chunk read at time t is written no earlier than t + latency, in
 * the order read; with a bandwidth limit b, a chunk of n bytes occupies the link for n / b seconds
 * ({@value #CHUNK} bytes at most per chunk, so the first chunk of a burst passes at once); while
 * stalled nothing is written and reading stops once {@value #MAX_QUEUED_BYTES} bytes wait.
 *
 * <p>Thread-safe: settings are volatile; each client connection and its target connection live on
 * one event loop of the proxy's single thread.
 */
public final class FaultProxy implements AutoCloseable {

  private static final Logger log = Logger.getLogger(FaultProxy.class.getName());

  /** Largest chunk paced as one write. */
  static final int CHUNK = 16 * 1024;
  /** Bytes queued per direction and connection before the proxy stops reading from the sender. */
  static final int MAX_QUEUED_BYTES = 1 << 20;
  /** Time allowed to connect to the target. */
  static final int CONNECT_TIMEOUT_MILLIS = 5_000;

  /** {@code Direction} is a side of the proxied link. */
  public enum Direction {
    /** Client to target. */
    UPSTREAM,
    /** Target to client. */
    DOWNSTREAM
  }

  private final InetSocketAddress target;
  private final EventLoopGroup group;
  private final Channel server;
  private final Set<Link> links = ConcurrentHashMap.newKeySet();
  private final long[] latencyNanos = new long[2];
  private final long[] bytesPerSecond = new long[2];
  private final AtomicLong[] forwarded = {new AtomicLong(), new AtomicLong()};
  private final AtomicLong accepted = new AtomicLong();
  private final AtomicLong resets = new AtomicLong();
  private volatile long stalledUntilNanos = Long.MIN_VALUE; // System.nanoTime(); Long.MAX_VALUE: until resume()
  private volatile boolean stalled;
  private volatile boolean resetNew;

  private FaultProxy(InetSocketAddress target, String host) throws IOException {
    this.target = target;
    this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("fault-proxy", true),
        NioIoHandler.newFactory());
    ServerBootstrap b = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            accept(ch);
          }
        });
    try {
      this.server = b.bind(host, 0).syncUninterruptibly().channel();
    } catch (RuntimeException e) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw new IOException("cannot listen on " + host + ": " + e.getMessage(), e);
    }
  }

  /** {@code start} listens on a free port of 127.0.0.1 and forwards each connection to {@code target}. */
  public static FaultProxy start(InetSocketAddress target) throws IOException {
    return new FaultProxy(target, "127.0.0.1");
  }

  /** The port clients connect to. */
  public int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  /** {@code host:port} clients connect to. */
  public String address() {
    return "127.0.0.1:" + port();
  }

  /** Where connections are forwarded. */
  public InetSocketAddress target() {
    return target;
  }

  /** {@code latency} sets the delay added to bytes going {@code direction} (zero: none). */
  public FaultProxy latency(Direction direction, Duration added) {
    if (added.isNegative()) {
      throw new IllegalArgumentException("latency must not be negative: " + added);
    }
    latencyNanos[direction.ordinal()] = added.toNanos();
    kickAll();
    return this;
  }

  /** {@code bandwidth} limits bytes going {@code direction} to {@code limit} per second per connection (0: no limit). */
  public FaultProxy bandwidth(Direction direction, long limit) {
    if (limit < 0) {
      throw new IllegalArgumentException("bandwidth must be 0 (no limit) or positive bytes/s: " + limit);
    }
    bytesPerSecond[direction.ordinal()] = limit;
    kickAll();
    return this;
  }

  /** {@code stall} stops forwarding both ways for {@code duration}, connections kept open. */
  public FaultProxy stall(Duration duration) {
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException("stall must be positive: " + duration);
    }
    stalledUntilNanos = System.nanoTime() + duration.toNanos();
    stalled = true;
    kickAll();
    return this;
  }

  /** {@code stall} stops forwarding both ways until {@link #resume()}. */
  public FaultProxy stall() {
    stalledUntilNanos = Long.MAX_VALUE;
    stalled = true;
    return this;
  }

  /** {@code resume} ends a stall: what was held back is forwarded. */
  public FaultProxy resume() {
    stalled = false;
    stalledUntilNanos = Long.MIN_VALUE;
    kickAll();
    return this;
  }

  /**
   * {@code reset} cuts every open connection with a TCP reset to both the client and the target
   * (SO_LINGER 0, then close; queued bytes are dropped) and returns how many it cut. New
   * connections are accepted as before.
   */
  public int reset() {
    List<Link> open = List.copyOf(links);
    for (Link l : open) {
      l.client.eventLoop().execute(l::reset);
    }
    resets.addAndGet(open.size());
    return open.size();
  }

  /**
   * {@code resetNew} makes the proxy answer each new connection with a reset as soon as it is
   * accepted (the client sees its connection reset before any byte), or stop doing so.
   */
  public FaultProxy resetNew(boolean on) {
    resetNew = on;
    return this;
  }

  /** {@code heal} removes every fault (latency, bandwidth, stall, resets of new connections); open connections go on. */
  public FaultProxy heal() {
    resetNew = false;
    for (Direction d : Direction.values()) {
      latencyNanos[d.ordinal()] = 0;
      bytesPerSecond[d.ordinal()] = 0;
    }
    return resume();
  }

  /** Client connections open now. */
  public int connections() {
    return links.size();
  }

  /** Client connections accepted since the start. */
  public long accepted() {
    return accepted.get();
  }

  /** Connections cut by {@link #reset()} since the start. */
  public long resets() {
    return resets.get();
  }

  /** Bytes forwarded {@code direction} since the start. */
  public long forwarded(Direction direction) {
    return forwarded[direction.ordinal()].get();
  }

  /** A one-line description of the faults in force, for logs and reports. */
  public String describe() {
    StringBuilder s = new StringBuilder();
    for (Direction d : Direction.values()) {
      long lat = latencyNanos[d.ordinal()];
      long bw = bytesPerSecond[d.ordinal()];
      if (lat > 0) {
        s.append(d.name().toLowerCase()).append(" +").append(TimeUnit.NANOSECONDS.toMillis(lat)).append(" ms ");
      }
      if (bw > 0) {
        s.append(d.name().toLowerCase()).append(' ').append(bw).append(" B/s ");
      }
    }
    if (stalledNow(System.nanoTime())) {
      s.append("stalled ");
    }
    if (resetNew) {
      s.append("new connections reset ");
    }
    return s.length() == 0 ? "no fault" : s.toString().strip();
  }

  /** Closes the listener and every connection (normally, not with a reset). */
  @Override
  public void close() {
    server.close().syncUninterruptibly();
    for (Link l : List.copyOf(links)) {
      l.client.close();
      if (l.upstream != null) {
        l.upstream.close();
      }
    }
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private boolean stalledNow(long now) {
    return stalled && now - stalledUntilNanos < 0;
  }

  private void kickAll() {
    for (Link l : links) {
      l.client.eventLoop().execute(() -> {
        l.toTarget.drain();
        l.toClient.drain();
      });
    }
  }

  private void accept(SocketChannel client) {
    accepted.incrementAndGet();
    if (resetNew) {
      resets.incrementAndGet();
      client.config().setOption(ChannelOption.SO_LINGER, 0);
      client.close();
      return;
    }
    Link link = new Link(client);
    links.add(link);
    client.pipeline().addLast(new Reader(link.toTarget, link));
    new Bootstrap().group(client.eventLoop()).channel(NioSocketChannel.class)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MILLIS)
        .handler(new Reader(link.toClient, link))
        .connect(target).addListener((ChannelFutureListener) f -> {
          if (!f.isSuccess()) {
            log.fine(() -> "fault proxy: cannot connect to " + target + ": " + f.cause());
            client.close();
            return;
          }
          if (!client.isOpen()) {
            f.channel().close();
            return;
          }
          link.upstream = f.channel();
          link.toClient.source = link.upstream;
          link.toTarget.dest = link.upstream;
          link.toTarget.drain(); // what the client sent while the target connection opened
        });
    client.closeFuture().addListener(f -> links.remove(link));
  }

  /** One client connection and its connection to the target. */
  private final class Link {
    final Channel client;
    volatile Channel upstream;
    final Pipe toTarget;
    final Pipe toClient;
    boolean cut;

    Link(Channel client) {
      this.client = client;
      this.toTarget = new Pipe(Direction.UPSTREAM, this);
      this.toClient = new Pipe(Direction.DOWNSTREAM, this);
      toTarget.source = client;
      toClient.dest = client;
    }

    void reset() {
      if (cut) {
        return;
      }
      cut = true;
      toTarget.discard();
      toClient.discard();
      for (Channel c : new Channel[] {client, upstream}) {
        if (c != null && c.isOpen()) {
          c.config().setOption(ChannelOption.SO_LINGER, 0);
          c.close();
        }
      }
    }
  }

  /** One direction of a link: a queue of timed chunks. All on the link's event loop. */
  private final class Pipe {
    final Direction direction;
    final Link link;
    Channel source;
    Channel dest; // null until the target connection is up (upstream direction)
    final ArrayDeque<Chunk> queue = new ArrayDeque<>();
    long queuedBytes;
    long lastDueNanos = Long.MIN_VALUE;
    long nextFreeNanos = Long.MIN_VALUE;
    boolean sourceClosed;
    ScheduledFuture<?> timer;

    Pipe(Direction direction, Link link) {
      this.direction = direction;
      this.link = link;
    }

    void offer(ByteBuf msg) {
      long now = System.nanoTime();
      long due = Math.max(now + latencyNanos[direction.ordinal()], lastDueNanos == Long.MIN_VALUE ? now : lastDueNanos);
      lastDueNanos = due;
      while (msg.isReadable()) {
        ByteBuf part = msg.readRetainedSlice(Math.min(CHUNK, msg.readableBytes()));
        queue.addLast(new Chunk(part, due));
        queuedBytes += part.readableBytes();
      }
      msg.release();
      if (queuedBytes > MAX_QUEUED_BYTES) {
        source.config().setAutoRead(false);
      }
      drain();
    }

    void drain() {
      if (dest == null || link.cut) {
        return;
      }
      boolean wrote = false;
      while (!queue.isEmpty()) {
        long now = System.nanoTime();
        if (stalledNow(now)) {
          schedule(stalledUntilNanos == Long.MAX_VALUE ? -1 : stalledUntilNanos - now);
          break;
        }
        Chunk head = queue.peekFirst();
        long release = Math.max(head.dueNanos, nextFreeNanos == Long.MIN_VALUE ? head.dueNanos : nextFreeNanos);
        if (release - now > 0) {
          schedule(release - now);
          break;
        }
        queue.removeFirst();
        int n = head.bytes.readableBytes();
        queuedBytes -= n;
        long bps = bytesPerSecond[direction.ordinal()];
        nextFreeNanos = bps > 0 ? Math.max(release, now) + n * 1_000_000_000L / bps : Long.MIN_VALUE;
        forwarded[direction.ordinal()].addAndGet(n);
        dest.write(head.bytes);
        wrote = true;
      }
      if (wrote) {
        dest.flush();
      }
      if (queue.isEmpty() && sourceClosed) {
        dest.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        return;
      }
      if (!sourceClosed && queuedBytes <= MAX_QUEUED_BYTES / 2 && !source.config().isAutoRead()) {
        source.config().setAutoRead(true);
      }
    }

    private void schedule(long delayNanos) {
      if (timer != null) {
        timer.cancel(false);
        timer = null;
      }
      if (delayNanos >= 0) {
        timer = link.client.eventLoop().schedule(() -> {
          timer = null;
          drain();
        }, delayNanos, TimeUnit.NANOSECONDS);
      }
    }

    void discard() {
      if (timer != null) {
        timer.cancel(false);
      }
      for (Chunk c : queue) {
        c.bytes.release();
      }
      queue.clear();
      queuedBytes = 0;
    }

    void sourceEnded(boolean reset) {
      sourceClosed = true;
      if (reset) {
        link.reset(); // an RST on one side is passed on as an RST to the other
      } else if (dest == null) {
        link.client.close();
      } else {
        drain();
      }
    }
  }

  private record Chunk(ByteBuf bytes, long dueNanos) {}

  /** Reads one channel into its pipe. */
  private static final class Reader extends ChannelInboundHandlerAdapter {
    private final Pipe pipe;
    private final Link link;

    Reader(Pipe pipe, Link link) {
      this.pipe = pipe;
      this.link = link;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (link.cut || !(msg instanceof ByteBuf b)) {
        ReferenceCountUtil.release(msg);
        return;
      }
      pipe.offer(b);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (!pipe.sourceClosed) {
        pipe.sourceEnded(false);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      pipe.sourceEnded(cause instanceof IOException);
      ctx.close();
    }
  }
}
