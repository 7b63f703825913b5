package dev.vertice.controlplane.push;

/** {@code SubscriberCloseReason} says why the engine ended a subscriber's stream. */
public enum SubscriberCloseReason {
  /** The control plane is shutting down; the client should reconnect, possibly elsewhere. */
  SHUTTING_DOWN,
  /** Sending to the subscriber failed unexpectedly; the client should reconnect. */
  INTERNAL_ERROR
}
