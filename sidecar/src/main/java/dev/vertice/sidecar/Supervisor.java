package dev.vertice.sidecar;

import dev.vertice.client.Backoff;
import dev.vertice.common.Ticker;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.logging.Logger;

/**
 * {@code Supervisor} runs a {@link Sidecar}'s app as a child process ({@link SidecarConfig#exec()})
 * and keeps it running: it restarts the app when its process ends, or stops and restarts it when it
 * has gone without a good probe for {@link SidecarConfig#restartAfterUnhealthy()} since its last
 * one, or since its start for {@link SidecarConfig#appStartTimeout()} (SIGTERM, then
 * SIGKILL after {@link SidecarConfig#appStopGrace()}). Restarts wait a jittered exponential backoff
 * ({@link SidecarConfig#restartBackoff()}), which starts over once the app has been healthy for a
 * whole crash-loop window. When the app ended {@link SidecarConfig#crashLoopRestarts()} restarts
 * within {@link SidecarConfig#crashLoopWindow()} already, it is not restarted again: crash loop.
 *
 * <p>It does not touch the instance's health: when the process ends it calls {@code appDown}
 * (the sidecar then marks the instance NOT_SERVING through its prober), and the prober's results,
 * which it is told through {@link #probed(boolean)}, make the instance SERVING again.
 *
 * <p>Its state is guarded by the sidecar's lock, which it shares; timers run on the scheduler and
 * read the ticker, so that tests drive it with a fake clock and a fake {@link Launcher}. Processes
 * are started and signalled outside the lock.
 */
final class Supervisor {

  private static final Logger log = Logger.getLogger("dev.vertice.sidecar.Sidecar"); // the sidecar's log

  /** Time {@link #stop()} waits for the app after SIGKILL. */
  static final long KILL_WAIT_SECONDS = 5;

  /** {@code Launcher} starts one process of the app. */
  interface Launcher {
    /** Starts {@code command}; throws when the program cannot be started. */
    App start(List<String> command) throws IOException;
  }

  /** {@code App} is one process of the app. */
  interface App {
    /** The process id. */
    long pid();

    /** Completes with the exit code when the process ended (128 + the signal when one killed it). */
    CompletableFuture<Integer> onExit();

    /** Sends SIGTERM. */
    void terminate();

    /** Sends SIGKILL. */
    void kill();
  }

  /** Starts real child processes, which share the sidecar's standard input, output and error. */
  static final Launcher CHILD_PROCESSES = command -> {
    Process p = new ProcessBuilder(command).inheritIO().start();
    return new App() {
      @Override
      public long pid() {
        return p.pid();
      }

      @Override
      public CompletableFuture<Integer> onExit() {
        return p.onExit().thenApply(Process::exitValue);
      }

      @Override
      public void terminate() {
        p.destroy();
      }

      @Override
      public void kill() {
        p.destroyForcibly();
      }
    };
  };

  private final Object lock;
  private final SidecarConfig config;
  private final Ticker ticker;
  private final ScheduledExecutorService scheduler;
  private final Launcher launcher;
  private final SidecarMeters meters;
  private final BooleanSupplier running;
  private final Runnable appDown;

  // guarded by lock
  private final Backoff backoff;
  private final ArrayDeque<Long> restartTimes = new ArrayDeque<>();
  private AppStatus.State state = AppStatus.State.STOPPED;
  private boolean stopped; // by stop(): never started again
  private App app;
  private long startedNanos;
  private boolean good; // the current process answered a good probe
  private long lastGoodNanos;
  private boolean healthy; // its last probe was good
  private long healthySinceNanos;
  private boolean stoppingUnhealthy; // SIGTERM sent because it failed its probe too long
  private boolean nextRestartUnhealthy;
  private long restarts;
  private OptionalLong lastExitCode = OptionalLong.empty();
  private ScheduledFuture<?> restartTask;
  private ScheduledFuture<?> killTask;

  /**
   * {@code Supervisor} starts the app with {@code launcher}; {@code meters} may be null; {@code
   * running} says (under the lock) whether the sidecar still runs (no restart once it drains);
   * {@code appDown} runs, outside the lock, each time the app's process ended while it did.
   */
  Supervisor(Object lock, SidecarConfig config, Ticker ticker, ScheduledExecutorService scheduler, Launcher launcher,
      Random random, SidecarMeters meters, BooleanSupplier running, Runnable appDown) {
    this.lock = lock;
    this.config = config;
    this.ticker = ticker;
    this.scheduler = scheduler;
    this.launcher = launcher;
    this.meters = meters;
    this.running = running;
    this.appDown = appDown;
    this.backoff = new Backoff(config.restartBackoff(), random);
    if (meters != null) {
      meters.supervised(this::upNow, this::crashLoopNow);
    }
  }

  /**
   * {@code start} starts the app for the first time.
   *
   * @throws InvalidSettingException naming {@code exec} when its program cannot be started
   */
  void start() {
    try {
      launch();
    } catch (IOException e) {
      throw new InvalidSettingException("exec", "cannot start " + config.exec() + ": " + e.getMessage());
    }
  }

  /** {@code status} returns what the supervisor is doing. */
  AppStatus status() {
    synchronized (lock) {
      return new AppStatus(state, app == null ? OptionalLong.empty() : OptionalLong.of(app.pid()), restarts,
          lastExitCode);
    }
  }

  /**
   * {@code probed} takes one probe result of the app: a failed one may stop it (restarted when it
   * ended), a good one after a whole healthy crash-loop window starts the restart backoff over.
   */
  void probed(boolean ok) {
    App unhealthy;
    long unhealthyNanos;
    String limit;
    synchronized (lock) {
      if (state != AppStatus.State.RUNNING || app == null || stoppingUnhealthy || !running.getAsBoolean()) {
        return;
      }
      long now = ticker.nanoTime();
      if (ok) {
        good = true;
        lastGoodNanos = now;
        if (!healthy) {
          healthy = true;
          healthySinceNanos = now;
        } else if (now - healthySinceNanos >= config.crashLoopWindow().toNanos()) {
          backoff.reset();
        }
        return;
      }
      healthy = false;
      // Before its first good probe the app may still be starting: it has the start timeout.
      unhealthyNanos = now - (good ? lastGoodNanos : startedNanos);
      if (unhealthyNanos < (good ? config.restartAfterUnhealthy() : config.appStartTimeout()).toNanos()) {
        return;
      }
      limit = good ? "restart-after-unhealthy " + config.restartAfterUnhealthy()
          : "app-start-timeout " + config.appStartTimeout() + ", no good probe since its start";
      stoppingUnhealthy = true;
      unhealthy = app;
      killTask = scheduler.schedule(() -> killIfRunning(unhealthy), config.appStopGrace().toNanos(),
          TimeUnit.NANOSECONDS);
    }
    log.warning(() -> "the app (pid " + unhealthy.pid() + ") has failed its probe for "
        + TimeUnit.NANOSECONDS.toMillis(unhealthyNanos) + " ms (" + limit + "): stopping it (SIGTERM, SIGKILL after " + config.appStopGrace() + ")");
    unhealthy.terminate();
  }

  /** Cancels pending restarts and kills (the sidecar drains or stops; {@link #stop()} follows). */
  void cancelLocked() {
    for (ScheduledFuture<?> f : new ScheduledFuture<?>[] {restartTask, killTask}) {
      if (f != null) {
        f.cancel(false);
      }
    }
    restartTask = null;
    killTask = null;
  }

  /**
   * {@code stop} stops the app for good: SIGTERM, SIGKILL after the stop grace. Blocks until the
   * process ended, for at most the grace plus {@value #KILL_WAIT_SECONDS} s.
   */
  void stop() {
    App a;
    synchronized (lock) {
      cancelLocked();
      stopped = true;
      state = AppStatus.State.STOPPED;
      a = app;
    }
    if (a == null) {
      return;
    }
    log.info(() -> "stopping the app (pid " + a.pid() + "): SIGTERM, SIGKILL after " + config.appStopGrace());
    a.terminate();
    try {
      try {
        a.onExit().get(config.appStopGrace().toNanos(), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        log.warning(() -> "the app (pid " + a.pid() + ") did not stop within " + config.appStopGrace() + ": SIGKILL");
        a.kill();
        a.onExit().get(KILL_WAIT_SECONDS, TimeUnit.SECONDS);
      }
      log.info(() -> "the app (pid " + a.pid() + ") stopped");
    } catch (InterruptedException e) {
      a.kill();
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      log.warning(() -> "the app (pid " + a.pid() + ") did not end after SIGKILL: " + e);
    }
  }

  private void launch() throws IOException {
    App a = launcher.start(config.exec());
    boolean keep;
    synchronized (lock) {
      keep = running.getAsBoolean() && !stopped;
      if (keep) {
        app = a;
        state = AppStatus.State.RUNNING;
        startedNanos = ticker.nanoTime();
        good = false;
        healthy = false;
        stoppingUnhealthy = false;
      }
    }
    if (!keep) {
      a.kill(); // the sidecar stopped while the process started
      return;
    }
    log.info(() -> "started the app (pid " + a.pid() + "): " + String.join(" ", config.exec()));
    a.onExit().whenComplete((code, error) -> exited(a, code == null ? -1 : code));
  }

  private void killIfRunning(App a) {
    synchronized (lock) {
      killTask = null;
      if (app != a) {
        return;
      }
    }
    log.warning(() -> "the app (pid " + a.pid() + ") did not stop within " + config.appStopGrace() + ": SIGKILL");
    a.kill();
  }

  private void exited(App a, int code) {
    synchronized (lock) {
      if (app != a) {
        return;
      }
      app = null;
      lastExitCode = OptionalLong.of(code);
      if (killTask != null) {
        killTask.cancel(false);
        killTask = null;
      }
      if (stopped || !running.getAsBoolean()) {
        state = AppStatus.State.STOPPED;
        return;
      }
      String why = stoppingUnhealthy ? "was stopped for failing its probe" : "exited with code " + code;
      afterExitLocked("the app (pid " + a.pid() + ") " + why, stoppingUnhealthy);
    }
    appDown.run();
  }

  /** The app is down: schedules its restart after the backoff, or gives up (crash loop). */
  private void afterExitLocked(String what, boolean unhealthy) {
    long now = ticker.nanoTime();
    long windowStart = now - config.crashLoopWindow().toNanos();
    while (!restartTimes.isEmpty() && restartTimes.peekFirst() - windowStart <= 0) {
      restartTimes.removeFirst();
    }
    if (restartTimes.size() >= config.crashLoopRestarts()) {
      state = AppStatus.State.CRASH_LOOP;
      log.severe(what + "; it was restarted " + restartTimes.size() + " times within " + config.crashLoopWindow()
          + " (crash-loop-restarts " + config.crashLoopRestarts() + ", crash-loop-window " + config.crashLoopWindow()
          + "): CRASH LOOP, the app stays down; its instance stays NOT_SERVING until the sidecar is restarted");
      return;
    }
    state = AppStatus.State.RESTARTING;
    nextRestartUnhealthy = unhealthy;
    long delay = backoff.nextDelayNanos();
    log.warning(what + "; restarting it in " + TimeUnit.NANOSECONDS.toMillis(delay) + " ms (restart "
        + (restartTimes.size() + 1) + " of at most " + config.crashLoopRestarts() + " within "
        + config.crashLoopWindow() + ")");
    restartTask = scheduler.schedule(this::restart, delay, TimeUnit.NANOSECONDS);
  }

  private void restart() {
    synchronized (lock) {
      restartTask = null;
      if (state != AppStatus.State.RESTARTING || !running.getAsBoolean()) {
        return;
      }
      restartTimes.addLast(ticker.nanoTime());
      restarts++;
      if (meters != null) {
        (nextRestartUnhealthy ? meters.restartsUnhealthy : meters.restartsExited).increment();
      }
    }
    try {
      launch();
    } catch (IOException e) {
      synchronized (lock) {
        if (state != AppStatus.State.RESTARTING || !running.getAsBoolean()) {
          return;
        }
        afterExitLocked("the app could not be started again (" + e.getMessage() + ")", false);
      }
    }
  }

  private double upNow() {
    synchronized (lock) {
      return app != null ? 1 : 0;
    }
  }

  private double crashLoopNow() {
    synchronized (lock) {
      return state == AppStatus.State.CRASH_LOOP ? 1 : 0;
    }
  }
}
