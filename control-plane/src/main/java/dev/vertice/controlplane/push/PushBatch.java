package dev.vertice.controlplane.push;

import java.util.List;

/**
 * {@code PushBatch} is one response to send on a subscriber's stream.
 *
 * @param typeUrl the type of every resource in the batch
 * @param systemVersion the engine's revision when the batch was built
 * @param resources added or changed resources
 * @param removed names of subscribed resources that are removed or do not exist
 * @param nonce the batch's nonce, echoed by the client's ACK or NACK
 */
public record PushBatch(String typeUrl, long systemVersion, List<Resource> resources, List<String> removed, String nonce) {

  public PushBatch {
    resources = List.copyOf(resources);
    removed = List.copyOf(removed);
  }
}
