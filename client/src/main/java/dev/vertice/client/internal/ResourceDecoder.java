package dev.vertice.client.internal;

import dev.vertice.api.discovery.v1.WatchResponse;
import java.util.List;
import java.util.Objects;

/**
 * {@code ResourceDecoder} turns the responses of one resource type into the client's immutable
 * values, or says why a response is unacceptable (as grpc-java's {@code XdsResourceType} does for
 * each xDS type). One implementation per type: {@link EndpointsDecoder}, {@link
 * TrafficPolicyDecoder}.
 *
 * <p>Decoders are stateless and thread-safe; they know nothing of the stream or the cache.
 *
 * @param <T> the value one resource becomes
 */
public interface ResourceDecoder<T> {

  /** {@code typeUrl} returns the type URL of the resources this decoder reads. */
  String typeUrl();

  /**
   * {@code decode} checks the whole response and unpacks every resource in it; the response is
   * accepted or rejected as a whole. Never throws on bad input.
   */
  Decoded<T> decode(WatchResponse response);

  /**
   * {@code Decoded} is the outcome of decoding one response: either the resources changed and the
   * names removed, or the reason to reject the response (the message of the NACK).
   *
   * @param changed the resources changed, in the order received; empty when rejected
   * @param removed the names of the resources removed; empty when rejected
   * @param problem why the response is rejected, or null when it is accepted
   * @param <T> the value one resource becomes
   */
  record Decoded<T>(List<T> changed, List<String> removed, String problem) {

    /** {@code Decoded} copies the lists. */
    public Decoded {
      changed = List.copyOf(changed);
      removed = List.copyOf(removed);
    }

    /** {@code accepted} returns the outcome of a response that is applied. */
    public static <T> Decoded<T> accepted(List<T> changed, List<String> removed) {
      return new Decoded<>(changed, removed, null);
    }

    /** {@code rejected} returns the outcome of a response that is NACKed with {@code problem}. */
    public static <T> Decoded<T> rejected(String problem) {
      return new Decoded<>(List.of(), List.of(), Objects.requireNonNull(problem, "problem"));
    }

    /** {@code isAccepted} returns whether the response is to be applied and ACKed. */
    public boolean isAccepted() {
      return problem == null;
    }
  }
}
