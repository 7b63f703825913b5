package dev.vertice.client.internal;

import java.util.List;
import java.util.Map;

/**
 * {@code ResourceStore} is where {@link WatchStreamClient} puts the accepted resources of one type
 * and reads the versions it holds, to resume a new stream from them. {@link ServiceCache} has one
 * per type.
 *
 * <p>Both methods are called holding the watch client's lock.
 *
 * @param <T> the value one resource becomes
 */
public interface ResourceStore<T> {

  /** {@code heldVersionsLocked} returns the version of every resource held, by name. */
  Map<String, String> heldVersionsLocked();

  /**
   * {@code applyLocked} applies an accepted response: {@code changed} resources replace the held
   * ones, {@code removed} names leave; listeners are notified of what actually changed.
   */
  void applyLocked(List<T> changed, List<String> removed);
}
