package dev.vertice.controlplane.push;

import java.util.Collection;
import java.util.concurrent.ConcurrentHashMap;

/** A resource source driven by the test: {@link #put} and {@link #remove} report changes in order. */
final class TestSource implements ResourceSource {
  static final String TYPE = "type.googleapis.com/test.Thing";

  private final ConcurrentHashMap<String, Resource> values = new ConcurrentHashMap<>();
  private PushEngine engine;
  private long revision;
  private long nanos = 1_000;

  void attach(PushEngine engine) {
    this.engine = engine;
  }

  synchronized long put(String name, String value) {
    long v = ++revision;
    values.put(name, new Resource(TYPE, name, v, value, value.length()));
    engine.onChange(TYPE, name, v, nanos);
    return v;
  }

  synchronized long remove(String name) {
    long v = ++revision;
    values.remove(name);
    engine.onChange(TYPE, name, v, nanos);
    return v;
  }

  @Override
  public String typeUrl() {
    return TYPE;
  }

  @Override
  public Resource get(String name) {
    return values.get(name);
  }

  @Override
  public Collection<String> names() {
    return values.keySet();
  }
}
