package dev.vertice.sidecar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.observability.Meters;
import dev.vertice.testkit.FakeClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The supervision state machine on a fake clock with fake processes: restart backoff, the
 * crash-loop limit, restarts of an app that fails its probe, and the stop.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SupervisorTest {

  private final FakeClock clock = new FakeClock();
  private final Object lock = new Object();
  private final FakeLauncher launcher = new FakeLauncher();
  private final AtomicInteger appDowns = new AtomicInteger();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  /** No jitter: nextDouble() = 0.5 moves each delay by 0 %. */
  private static Random noJitter() {
    return new Random() {
      private static final long serialVersionUID = 1L;

      @Override
      public double nextDouble() {
        return 0.5;
      }
    };
  }

  private Supervisor supervisor(SidecarConfig.Builder b) {
    SidecarConfig config = b.exec(List.of("app")).build();
    SidecarMeters meters = new SidecarMeters(Meters.of(registry), () -> 0);
    return new Supervisor(lock, config, clock, clock.scheduler(), launcher, noJitter(), meters, running::get,
        appDowns::incrementAndGet);
  }

  private static SidecarConfig.Builder config() {
    return SidecarConfig.custom("orders", 8080).probeInterval(Duration.ofSeconds(1))
        .appStartTimeout(Duration.ofHours(1))
        .restartBackoffInitial(Duration.ofSeconds(1)).restartBackoffMax(Duration.ofSeconds(4))
        .crashLoopRestarts(100).crashLoopWindow(Duration.ofMinutes(10)).appStopGrace(Duration.ofSeconds(2));
  }

  /** Lets the current app crash and returns the delay until its restart, in ms (-1: never, within an hour). */
  private long crashAndTimeRestart(Supervisor s) {
    int before = launcher.started.size();
    launcher.last().exit(1);
    long ms = 0;
    while (launcher.started.size() == before) {
      if (ms > 3_600_000) {
        return -1;
      }
      clock.forwardTime(Duration.ofMillis(100));
      ms += 100;
    }
    return ms;
  }

  @Test
  void restartBackoffDoublesAndCapsAtTheMaximum() {
    Supervisor s = supervisor(config());
    s.start();
    List<Long> delays = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      delays.add(crashAndTimeRestart(s));
    }
    assertEquals(List.of(1000L, 2000L, 4000L, 4000L, 4000L), delays);
    assertEquals(5, s.status().restarts());
    assertEquals(5, appDowns.get(), "every exit marks the app down");
    assertEquals(5.0, registry.get("vertice.sidecar.app.restarts").tag("reason", "exited").counter().count());
    assertEquals(1.0, registry.get("vertice.sidecar.app.up").gauge().value());
  }

  @Test
  void appIsDownBetweenItsExitAndItsRestart() {
    Supervisor s = supervisor(config());
    s.start();
    launcher.last().exit(3);
    assertEquals(AppStatus.State.RESTARTING, s.status().state());
    assertEquals(3, s.status().lastExitCode().getAsLong());
    assertTrue(s.status().pid().isEmpty());
    assertEquals(0.0, registry.get("vertice.sidecar.app.up").gauge().value());
    clock.forwardTime(Duration.ofSeconds(1));
    assertEquals(AppStatus.State.RUNNING, s.status().state());
    assertEquals(launcher.last().pid, s.status().pid().getAsLong());
  }

  @Test
  void crashLoopLimitStopsRestartsAndReportsIt() {
    Supervisor s = supervisor(config().crashLoopRestarts(3).crashLoopWindow(Duration.ofMinutes(1)));
    s.start();
    for (int i = 0; i < 3; i++) {
      assertTrue(crashAndTimeRestart(s) > 0);
    }
    assertEquals(-1, crashAndTimeRestart(s), "the 4th exit within the window is not restarted");
    assertEquals(AppStatus.State.CRASH_LOOP, s.status().state());
    assertEquals(4, launcher.started.size());
    assertEquals(3, s.status().restarts());
    assertEquals(1.0, registry.get("vertice.sidecar.app.crash.loop").gauge().value());
    assertEquals(0.0, registry.get("vertice.sidecar.app.up").gauge().value());
    s.probed(false); // probes go on failing: nothing happens
    clock.forwardTime(Duration.ofHours(1));
    assertEquals(4, launcher.started.size());
  }

  @Test
  void restartsOutsideTheWindowDoNotCountTowardTheCrashLoop() {
    Supervisor s = supervisor(config().crashLoopRestarts(2).crashLoopWindow(Duration.ofSeconds(30)));
    s.start();
    for (int i = 0; i < 6; i++) {
      assertTrue(crashAndTimeRestart(s) > 0, "restart " + i);
      clock.forwardTime(Duration.ofSeconds(20)); // runs a while (not healthy: no probe) before crashing
    }
    assertEquals(AppStatus.State.RUNNING, s.status().state());
    assertEquals(0.0, registry.get("vertice.sidecar.app.crash.loop").gauge().value());
  }

  @Test
  void healthyRunForAWindowResetsTheBackoff() {
    Supervisor s = supervisor(config().crashLoopWindow(Duration.ofMinutes(1)));
    s.start();
    crashAndTimeRestart(s);
    crashAndTimeRestart(s);
    assertEquals(4000, crashAndTimeRestart(s), "the backoff grew");
    // A shorter healthy run does not reset it.
    s.probed(true);
    clock.forwardTime(Duration.ofSeconds(30));
    s.probed(true);
    assertEquals(4000, crashAndTimeRestart(s));
    // A whole window of good probes does.
    for (int i = 0; i <= 60; i++) {
      s.probed(true);
      clock.forwardTime(Duration.ofSeconds(1));
    }
    assertEquals(1000, crashAndTimeRestart(s));
    assertEquals(2000, crashAndTimeRestart(s));
  }

  @Test
  void appFailingItsProbeLongerThanTheSettingIsTerminatedKilledAfterTheGraceAndRestarted() {
    Supervisor s = supervisor(config().restartAfterUnhealthy(Duration.ofSeconds(5)));
    s.start();
    FakeApp first = launcher.last();
    first.ignoreTerm = true; // hung: SIGTERM does nothing
    s.probed(true);
    for (int i = 0; i < 4; i++) {
      clock.forwardTime(Duration.ofSeconds(1));
      s.probed(false);
    }
    assertEquals(0, first.terms, "4 s without a good probe: not yet");
    clock.forwardTime(Duration.ofSeconds(1));
    s.probed(false);
    assertEquals(1, first.terms, "5 s: SIGTERM");
    s.probed(false);
    assertEquals(1, first.terms, "once");
    clock.forwardTime(Duration.ofMillis(1999));
    assertEquals(0, first.kills);
    clock.forwardTime(Duration.ofMillis(1));
    assertEquals(1, first.kills, "SIGKILL after the stop grace");
    assertEquals(1, appDowns.get());
    clock.forwardTime(Duration.ofSeconds(1));
    assertEquals(2, launcher.started.size(), "restarted after the backoff");
    assertEquals(1.0, registry.get("vertice.sidecar.app.restarts").tag("reason", "unhealthy").counter().count());
    assertEquals(0.0, registry.get("vertice.sidecar.app.restarts").tag("reason", "exited").counter().count());
  }

  @Test
  void appThatNeverAnswersWithinTheStartTimeoutIsRestartedTooAndOneThatStopsOnTermIsNotKilled() {
    Supervisor s = supervisor(config().appStartTimeout(Duration.ofSeconds(3)));
    s.start();
    FakeApp first = launcher.last();
    for (int i = 0; i < 2; i++) {
      clock.forwardTime(Duration.ofSeconds(1));
      s.probed(false);
    }
    assertEquals(0, first.terms, "restart-after-unhealthy (6 s) does not apply before the first good probe");
    clock.forwardTime(Duration.ofSeconds(1));
    s.probed(false);
    assertEquals(1, first.terms);
    clock.forwardTime(Duration.ofSeconds(10));
    assertEquals(0, first.kills, "it ended on SIGTERM");
    assertEquals(2, launcher.started.size());
  }

  @Test
  void stopTerminatesTheAppAndNothingRestartsIt() {
    Supervisor s = supervisor(config());
    s.start();
    FakeApp app = launcher.last();
    running.set(false); // the sidecar drains
    s.stop();
    assertEquals(1, app.terms);
    assertEquals(AppStatus.State.STOPPED, s.status().state());
    clock.forwardTime(Duration.ofHours(1));
    assertEquals(1, launcher.started.size());
    assertEquals(0, appDowns.get(), "a stop is not a failure");
  }

  @Test
  void exitWhileTheSidecarDrainsIsNotRestarted() {
    Supervisor s = supervisor(config());
    s.start();
    running.set(false);
    launcher.last().exit(0);
    clock.forwardTime(Duration.ofHours(1));
    assertEquals(1, launcher.started.size());
    assertEquals(AppStatus.State.STOPPED, s.status().state());
  }

  @Test
  void programThatCannotStartIsAnInvalidExecSetting() {
    launcher.fail = true;
    Supervisor s = supervisor(config());
    InvalidSettingException e = assertThrows(InvalidSettingException.class, s::start);
    assertEquals("exec", e.setting());
    assertTrue(e.getMessage().contains("no such program"), e.getMessage());
  }

  /** Fake processes: exit when told to, or on SIGTERM (unless hung) and SIGKILL. */
  static final class FakeLauncher implements Supervisor.Launcher {
    final List<FakeApp> started = new ArrayList<>();
    boolean fail;

    @Override
    public Supervisor.App start(List<String> command) throws IOException {
      if (fail) {
        throw new IOException("no such program");
      }
      FakeApp app = new FakeApp(100 + started.size());
      started.add(app);
      return app;
    }

    FakeApp last() {
      return started.get(started.size() - 1);
    }
  }

  static final class FakeApp implements Supervisor.App {
    final long pid;
    final CompletableFuture<Integer> exit = new CompletableFuture<>();
    boolean ignoreTerm;
    int terms;
    int kills;

    FakeApp(long pid) {
      this.pid = pid;
    }

    void exit(int code) {
      exit.complete(code);
    }

    @Override
    public long pid() {
      return pid;
    }

    @Override
    public CompletableFuture<Integer> onExit() {
      return exit;
    }

    @Override
    public void terminate() {
      terms++;
      if (!ignoreTerm) {
        exit(143);
      }
    }

    @Override
    public void kill() {
      kills++;
      exit(137);
    }
  }
}
