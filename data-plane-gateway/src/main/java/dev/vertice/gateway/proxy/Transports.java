package dev.vertice.gateway.proxy;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.util.logging.Logger;

/**
 * {@code Transports} picks Netty's native epoll transport where it loads (Linux x86-64 with the
 * native library on the class path) and NIO elsewhere, and the channel classes that go with an
 * event loop group: the listeners and the upstream connections of a gateway always use the
 * transport of the group they run on, so that an upstream connection shares its client
 * connection's event loop. A group passed in from outside (tests, embedding) decides: an NIO group
 * gets NIO channels.
 */
public final class Transports {

  private static final Logger log = Logger.getLogger(Transports.class.getName());

  /** {@code NATIVE_PROPERTY} set to {@code false} forces NIO ({@code -Dvertice.gateway.epoll=false}). */
  public static final String NATIVE_PROPERTY = "vertice.gateway.epoll";

  private Transports() {}

  /** {@code epollAvailable} says whether the native epoll transport can be used here. */
  public static boolean epollAvailable() {
    return !"false".equalsIgnoreCase(System.getProperty(NATIVE_PROPERTY)) && Epoll.isAvailable();
  }

  /** {@code newGroup} returns {@code threads} event loops on epoll when available, else on NIO. */
  public static EventLoopGroup newGroup(int threads) {
    if (epollAvailable()) {
      return new MultiThreadIoEventLoopGroup(threads, EpollIoHandler.newFactory());
    }
    if (!"false".equalsIgnoreCase(System.getProperty(NATIVE_PROPERTY))) {
      log.fine(() -> "native epoll transport unavailable, using NIO: " + Epoll.unavailabilityCause());
    }
    return new MultiThreadIoEventLoopGroup(threads, NioIoHandler.newFactory());
  }

  /** {@code isEpoll} says whether {@code group} runs the epoll transport. */
  public static boolean isEpoll(EventLoopGroup group) {
    return group instanceof IoEventLoopGroup io && Epoll.isAvailable() && io.isIoType(EpollIoHandler.class);
  }

  /** {@code serverChannel} returns the listening channel class for {@code group}. */
  public static Class<? extends ServerSocketChannel> serverChannel(EventLoopGroup group) {
    return isEpoll(group) ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
  }

  /** {@code socketChannel} returns the connecting channel class for {@code group}. */
  public static Class<? extends SocketChannel> socketChannel(EventLoopGroup group) {
    return isEpoll(group) ? EpollSocketChannel.class : NioSocketChannel.class;
  }

  /** {@code name} returns "epoll" or "nio" for {@code group} (for the start-up log). */
  public static String name(EventLoopGroup group) {
    return isEpoll(group) ? "epoll" : "nio";
  }
}
