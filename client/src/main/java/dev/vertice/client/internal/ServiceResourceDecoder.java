package dev.vertice.client.internal;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import dev.vertice.api.discovery.v1.Resource;
import dev.vertice.api.discovery.v1.WatchResponse;
import dev.vertice.common.ServiceNames;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code ServiceResourceDecoder} holds the checks every Vertice resource type shares: resources
 * are named by canonical service name, each name appears once, carries a version, and unpacks as
 * the type's message; removed names are canonical and not also changed. Subclasses check and
 * convert one unpacked message.
 *
 * @param <M> the protobuf message of the type
 * @param <T> the value one resource becomes
 */
abstract class ServiceResourceDecoder<M extends Message, T> implements ResourceDecoder<T> {

  private final String typeUrl;
  private final Class<M> messageType;
  private final String messageName;
  /** How rejection messages call one resource of this type: {@code "resource"}, {@code "policy"}. */
  private final String noun;

  ServiceResourceDecoder(String typeUrl, Class<M> messageType, String messageName, String noun) {
    this.typeUrl = typeUrl;
    this.messageType = messageType;
    this.messageName = messageName;
    this.noun = noun;
  }

  @Override
  public final String typeUrl() {
    return typeUrl;
  }

  @Override
  public final Decoded<T> decode(WatchResponse response) {
    if (!typeUrl.equals(response.getTypeUrl())) {
      return Decoded.rejected("unexpected type_url '" + clip(response.getTypeUrl()) + "'; subscribed to " + typeUrl);
    }
    Set<String> seen = new HashSet<>();
    List<T> changed = new ArrayList<>(response.getResourcesCount());
    for (Resource r : response.getResourcesList()) {
      String name = r.getName();
      if (!ServiceNames.isCanonical(name)) {
        return Decoded.rejected(noun + " name '" + clip(name) + "' is not a canonical service name");
      }
      if (!seen.add(name)) {
        return Decoded.rejected(noun + " '" + name + "' appears twice");
      }
      if (r.getVersion().isEmpty()) {
        return Decoded.rejected(noun + " '" + name + "' has no version");
      }
      M message;
      try {
        message = r.getResource().unpack(messageType);
      } catch (InvalidProtocolBufferException e) {
        return Decoded.rejected("resource '" + name + "' is not a " + messageName + " (type_url '"
            + clip(r.getResource().getTypeUrl()) + "'): " + e.getMessage());
      }
      try {
        changed.add(convert(name, r.getVersion(), message));
      } catch (Rejected e) {
        return Decoded.rejected(e.getMessage());
      }
    }
    for (String name : response.getRemovedResourcesList()) {
      if (!ServiceNames.isCanonical(name)) {
        return Decoded.rejected("removed " + noun + " name '" + clip(name) + "' is not a canonical service name");
      }
      if (seen.contains(name)) {
        return Decoded.rejected(noun + " '" + name + "' is both changed and removed");
      }
    }
    return Decoded.accepted(changed, response.getRemovedResourcesList());
  }

  /**
   * Checks {@code message}, the resource named {@code name} (canonical, unique in the response),
   * and converts it into the client's value.
   *
   * @throws Rejected when the resource is unacceptable, saying why
   */
  abstract T convert(String name, String version, M message) throws Rejected;

  /** Shortens text quoted from the server to 64 characters. */
  static String clip(String s) {
    return s.length() <= 64 ? s : s.substring(0, 61) + "...";
  }

  /** {@code Rejected} says why one resource is unacceptable; it rejects the whole response. */
  static final class Rejected extends Exception {
    private static final long serialVersionUID = 1L;

    Rejected(String problem) {
      super(problem, null, false, false);
    }
  }
}
