package dev.vertice.controlplane.push;

import java.util.Collection;

/**
 * {@code ResourceSource} gives the push engine the current value of every resource of one type.
 *
 * <p>The owner of the facts (the registry) implements it and reports every change, in order,
 * through {@link PushEngine#onChange}. Both methods must be thread-safe; {@link #get} is called
 * with no engine or subscriber lock held and may take the owner's lock.
 */
public interface ResourceSource {

  /** Returns the type URL this source serves. */
  String typeUrl();

  /** Returns the current value of {@code name}, or {@code null} when it does not exist. */
  Resource get(String name);

  /**
   * Returns the names of all existing resources, for wildcard subscriptions: a weakly consistent
   * view that includes every resource created before the call. Called under the engine lock, so
   * it must take no lock.
   */
  Collection<String> names();
}
