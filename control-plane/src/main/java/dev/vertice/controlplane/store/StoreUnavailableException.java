package dev.vertice.controlplane.store;

/**
 * {@code StoreUnavailableException} reports that the shared store cannot be reached; nothing
 * changed. Clients should retry, possibly on another replica.
 */
public final class StoreUnavailableException extends Exception {
  private static final long serialVersionUID = 1L;

  public StoreUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
