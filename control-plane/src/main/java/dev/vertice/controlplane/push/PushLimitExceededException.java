package dev.vertice.controlplane.push;

/** {@code PushLimitExceededException} reports a request that would exceed a {@link PushLimits} bound; nothing changed. */
public final class PushLimitExceededException extends Exception {
  private static final long serialVersionUID = 1L;

  public PushLimitExceededException(String message) {
    super(message);
  }
}
