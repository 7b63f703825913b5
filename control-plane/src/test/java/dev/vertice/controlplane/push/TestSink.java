package dev.vertice.controlplane.push;

import java.util.ArrayList;
import java.util.List;

/** A sink that records batches and is ready only while the test says so. */
final class TestSink implements PushSink {
  volatile boolean ready = true;
  final List<PushBatch> batches = new ArrayList<>();
  SubscriberCloseReason closed;

  @Override
  public boolean isReady() {
    return ready;
  }

  @Override
  public synchronized boolean send(PushBatch batch) {
    batches.add(batch);
    return true;
  }

  @Override
  public synchronized void close(SubscriberCloseReason reason) {
    closed = reason;
  }

  synchronized PushBatch last() {
    return batches.get(batches.size() - 1);
  }

  synchronized int count() {
    return batches.size();
  }

  /** Returns "name@version" for resources and "-name" for removals, over every batch. */
  synchronized List<String> log() {
    List<String> out = new ArrayList<>();
    for (PushBatch b : batches) {
      for (Resource r : b.resources()) {
        out.add(r.name() + "@" + r.version());
      }
      for (String n : b.removed()) {
        out.add("-" + n);
      }
    }
    return out;
  }
}
