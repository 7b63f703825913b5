package dev.vertice.controlplane.push;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Like TestSource, but a one-shot hook can run inside get(name) AFTER the value was read: a
 * deterministic stand-in for "a registry commit lands between Subscriber.nextBatch's source.get()
 * and its second synchronized block" (in production get() runs lock-free on a push thread while
 * commits happen on transport threads).
 */
final class HookSource implements ResourceSource {
  static final String TYPE = "type.googleapis.com/test.Thing";

  private final ConcurrentHashMap<String, Resource> values = new ConcurrentHashMap<>();
  private final Map<String, Runnable> hooks = new ConcurrentHashMap<>();
  private PushEngine engine;
  private long revision;

  void attach(PushEngine engine) {
    this.engine = engine;
  }

  void afterNextGet(String name, Runnable hook) {
    hooks.put(name, hook);
  }

  synchronized long put(String name, String value) {
    long v = ++revision;
    values.put(name, new Resource(TYPE, name, v, value, value.length()));
    engine.onChange(TYPE, name, v, 1_000 * v);
    return v;
  }

  synchronized long remove(String name) {
    long v = ++revision;
    values.remove(name);
    engine.onChange(TYPE, name, v, 1_000 * v);
    return v;
  }

  @Override
  public String typeUrl() {
    return TYPE;
  }

  @Override
  public Resource get(String name) {
    Resource r = values.get(name);
    Runnable hook = hooks.remove(name);
    if (hook != null) {
      hook.run();
    }
    return r;
  }

  @Override
  public Collection<String> names() {
    return values.keySet();
  }
}
