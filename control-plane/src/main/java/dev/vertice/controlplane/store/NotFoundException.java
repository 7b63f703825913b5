package dev.vertice.controlplane.store;

/** {@code NotFoundException} reports an unknown service, instance or lease; nothing changed. */
public final class NotFoundException extends Exception {
  private static final long serialVersionUID = 1L;

  public NotFoundException(String message) {
    super(message);
  }
}
