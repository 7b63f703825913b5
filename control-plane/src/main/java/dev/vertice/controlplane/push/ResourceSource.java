package dev.vertice.controlplane.push;

import java.util.Collection;

/**
 * {@code ResourceSource} gives the push engine the current value of every resource of one type.
 *
 * <p>The owner of the facts (the registry) implements it and reports every change, in order,
 * through {@link PushEngine#onChange}. Both methods are called without any engine or subscriber
 * lock held and must be thread-safe; {@link #names()} must not block on writers.
 */
public interface ResourceSource {

  /** Returns the type URL this source serves. */
  String typeUrl();

  /** Returns the current value of {@code name}, or {@code null} when it does not exist. */
  Resource get(String name);

  /** Returns the names of all existing resources, for wildcard subscriptions (a weakly consistent view). */
  Collection<String> names();
}
