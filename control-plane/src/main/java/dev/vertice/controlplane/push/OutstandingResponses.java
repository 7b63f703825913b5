package dev.vertice.controlplane.push;

import dev.vertice.controlplane.push.NameState.Owed;
import dev.vertice.controlplane.push.NameState.Sent;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code OutstandingResponses} is the ACK/NACK ledger of one {@link Subscriber}: the responses it
 * sent that the client has not answered yet, by nonce, each with the change ranges it covers, and
 * the last NACK. It is bounded: beyond the limit the oldest response is forgotten, what it covered
 * is abandoned, and its late answer is ignored.
 *
 * <p>Not thread-safe and has no lock of its own: guarded by the owning subscriber's monitor. It
 * never calls the convergence tracker; it hands the ranges back for the subscriber to report once
 * its monitor is released.
 */
final class OutstandingResponses {

  private final LinkedHashMap<Long, List<Sent>> byNonce = new LinkedHashMap<>();
  private long nonceCounter;
  private String lastNack;

  /**
   * Forgets the response with {@code nonce} and marks what it covered answered; remembers {@code
   * nackMessage} when it is not null.
   *
   * @return what the response covered, or null when the nonce is unknown (never sent, or forgotten)
   */
  List<Sent> answer(long nonce, String nackMessage) {
    List<Sent> sents = byNonce.remove(nonce);
    if (sents == null) {
      return null;
    }
    if (nackMessage != null) {
      lastNack = nackMessage;
    }
    for (Sent s : sents) {
      s.answered = true;
    }
    return sents;
  }

  /**
   * Remembers a new response covering {@code sents} and returns its nonce. When more than {@code
   * max} are then remembered, forgets the oldest: its unanswered ranges of names not gone are
   * added to {@code evicted}.
   */
  long add(List<Sent> sents, int max, List<Owed> evicted) {
    long nonce = ++nonceCounter;
    byNonce.put(nonce, sents);
    if (byNonce.size() > max) {
      Iterator<Map.Entry<Long, List<Sent>>> it = byNonce.entrySet().iterator();
      for (Sent old : it.next().getValue()) {
        if (!old.answered) {
          old.answered = true;
          if (!old.entry.gone) {
            evicted.add(new Owed(old.entry, old.from, old.to));
          }
        }
      }
      it.remove();
    }
    return nonce;
  }

  /** Records the unanswered ranges of gone names in {@code out}, and stops counting them. */
  void collectUnanswered(List<Owed> out) {
    for (List<Sent> sents : byNonce.values()) {
      for (Sent sent : sents) {
        if (sent.entry.gone && !sent.answered) {
          sent.answered = true;
          out.add(new Owed(sent.entry, sent.from, sent.to));
        }
      }
    }
  }

  /**
   * At close, retires the names of unanswered ranges that are not gone yet: names dropped after
   * their removal was sent still owe their unanswered responses.
   */
  void retireUnanswered(long goneAt, List<Owed> out) {
    for (List<Sent> sents : byNonce.values()) {
      for (Sent sent : sents) {
        if (!sent.answered && !sent.entry.gone) {
          sent.entry.retire(goneAt, out);
        }
      }
    }
  }

  void clear() {
    byNonce.clear();
  }

  int size() {
    return byNonce.size();
  }

  String lastNack() {
    return lastNack;
  }
}
