package dev.vertice.controlplane.push;

import java.util.List;

/**
 * {@code SubscriberInfo} is what one open stream looks like now, for operators (the console): who
 * it is, what it subscribes to and holds, and how far behind it is.
 *
 * @param nodeId the client's node id, as its first request named it
 * @param nodeKind the client's kind ("gateway", "sidecar", "client", ...)
 * @param zone the client's zone as its first request named it, or empty
 * @param types the resource types it subscribes to, with "*" after a type it watches whole
 * @param subscriptions explicit names subscribed, over every type
 * @param resourcesHeld resources the client was sent and holds (removals not counted)
 * @param pending resources waiting to be sent to it
 * @param outstanding responses sent and not yet answered
 * @param sentRevision the registry revision of the last response sent, 0 before the first
 * @param ackedRevision the registry revision of the last response it ACKed, 0 before the first
 * @param acks responses it ACKed
 * @param nacks responses it NACKed
 * @param lastNack the message of its last NACK, or null
 * @param openedAtNanos the engine's ticker reading when the stream opened
 * @param lastAnswerAtNanos the ticker reading of its last ACK or NACK, or of the opening before any
 */
public record SubscriberInfo(String nodeId, String nodeKind, String zone, List<String> types, int subscriptions,
    int resourcesHeld, int pending, int outstanding, long sentRevision, long ackedRevision, long acks, long nacks,
    String lastNack, long openedAtNanos, long lastAnswerAtNanos) {

  /** Copies {@code types}. */
  public SubscriberInfo {
    types = List.copyOf(types);
  }

  /** Says whether everything this subscriber needs was sent and answered. */
  public boolean inSync() {
    return pending == 0 && outstanding == 0;
  }
}
