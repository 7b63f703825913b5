package dev.vertice.controlplane.store;

/** {@code CapacityExceededException} reports a registration beyond the registry's instance limit; nothing changed. */
public final class CapacityExceededException extends Exception {
  private static final long serialVersionUID = 1L;

  public CapacityExceededException(String message) {
    super(message);
  }
}
