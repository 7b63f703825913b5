package dev.vertice.testkit;

import dev.vertice.common.LocalPorts;
import java.io.IOException;

/**
 * {@code ReusablePorts} finds ports for a test that must close a listener and bind the same port
 * again: below the kernel's ephemeral range, where no outgoing connection can take the port in
 * between ({@link LocalPorts}).
 */
public final class ReusablePorts {

  private ReusablePorts() {}

  /**
   * {@code bindBelowEphemeralRange} calls {@code binder} with random ports between 10000 and the
   * start of the kernel's ephemeral range until one binds, and returns what it bound.
   *
   * @throws IOException the last failure, when none of 50 ports could be bound
   */
  public static <T> T bindBelowEphemeralRange(LocalPorts.Binder<T> binder) throws IOException {
    return LocalPorts.bindBelowEphemeralRange(binder);
  }
}
