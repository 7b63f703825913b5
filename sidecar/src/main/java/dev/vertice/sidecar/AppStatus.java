package dev.vertice.sidecar;

import java.util.OptionalLong;

/**
 * {@code AppStatus} is what a {@link Sidecar} that supervises its app ({@link SidecarConfig#exec()})
 * knows of it: an immutable snapshot.
 *
 * @param state what the supervisor is doing
 * @param pid the process id of the running app, empty while it is down
 * @param restarts how many times the app was restarted since the sidecar started
 * @param lastExitCode the exit code of the app's last process, empty before one ended
 */
public record AppStatus(State state, OptionalLong pid, long restarts, OptionalLong lastExitCode) {

  /** What the supervisor is doing with the app. */
  public enum State {
    /** The app's process runs. */
    RUNNING,
    /** The app's process ended (or was stopped for failing its probe); it is restarted after the backoff. */
    RESTARTING,
    /** The app restarted too often within the crash-loop window: it stays down until the sidecar restarts. */
    CRASH_LOOP,
    /** The sidecar stopped the app (drain or close), or never started it. */
    STOPPED
  }
}
