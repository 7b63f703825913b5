package dev.vertice.controlplane.registry;

import java.util.List;

/**
 * {@code InvalidTrafficPolicyException} rejects a TrafficPolicy; nothing changed. It names every bad
 * field, so that a gRPC layer can answer INVALID_ARGUMENT with a {@code google.rpc.BadRequest}.
 */
public final class InvalidTrafficPolicyException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  /** One bad field: its path in the policy (for example {@code subsets[1].weight}) and why. */
  public record Violation(String field, String description) {}

  private final transient List<Violation> violations;

  InvalidTrafficPolicyException(List<Violation> violations) {
    super(message(violations));
    this.violations = List.copyOf(violations);
  }

  /** Returns every bad field, in the order found. */
  public List<Violation> violations() {
    return violations;
  }

  private static String message(List<Violation> violations) {
    StringBuilder b = new StringBuilder("invalid traffic policy: ");
    for (int i = 0; i < violations.size(); i++) {
      if (i > 0) {
        b.append("; ");
      }
      b.append(violations.get(i).field()).append(": ").append(violations.get(i).description());
    }
    return b.toString();
  }
}
