package dev.vertice.controlplane.push;

/**
 * {@code ChangeListener} receives the changes of resources, in revision order: the registry view
 * reports its changes to the push engine and to the xDS projection through it, and the projection
 * reports the changes of the resources it derives to the engine.
 */
public interface ChangeListener {

  /**
   * Resource {@code name} of {@code typeUrl} changed (or was removed) at {@code version}. Called in
   * increasing version order by the single writer of the facts, under its lock: must be fast and
   * must not call back into the writer.
   *
   * @param changedAtNanos the {@code Ticker} reading when the change was committed
   */
  void onChange(String typeUrl, String name, long version, long changedAtNanos);
}
