package dev.vertice.controlplane.store;

import java.util.List;
import java.util.Map;

/**
 * {@code PolicyAcks} is where each control-plane replica says how its own watchers answered each
 * TrafficPolicy revision, and that it is alive, so that the canary controller on the lease holder
 * can tell when the watchers of every replica have answered, not only its own.
 *
 * <p>In memory there is one replica: {@link #LOCAL} shares nothing and the controller relies on its
 * own watchers. In Redis every replica writes its answers and heartbeats. Implementations are
 * thread-safe.
 */
public interface PolicyAcks {

  /**
   * How one replica's watchers answered a service's TrafficPolicy, as of its last settled revision.
   *
   * @param replica the replica's id
   * @param revision the policy revision answered (later answers replace earlier ones)
   * @param subscribers how many of its watchers needed that revision
   * @param nacks how many of them NACKed it
   * @param complete false when some left before answering
   */
  record Answer(String replica, long revision, int subscribers, int nacks, boolean complete) {}

  /** One process: nothing shared. */
  PolicyAcks LOCAL = new PolicyAcks() {
    @Override
    public boolean shared() {
      return false;
    }

    @Override
    public void publish(Answer answer, String service) {}

    @Override
    public void alive(String replica, long nowMillis) {}

    @Override
    public List<String> live(long nowMillis, long withinMillis) {
      return List.of();
    }

    @Override
    public Map<String, Answer> answers(String service) {
      return Map.of();
    }
  };

  /** Returns whether other replicas publish here too. */
  boolean shared();

  /** Records {@code answer} of {@code service}'s policy, unless the replica answered a later revision already. */
  void publish(Answer answer, String service) throws StoreUnavailableException;

  /** Records that {@code replica} is alive at {@code nowMillis} (the shared wall clock). */
  void alive(String replica, long nowMillis) throws StoreUnavailableException;

  /** Returns the replicas that said they were alive within {@code withinMillis} of {@code nowMillis}. */
  List<String> live(long nowMillis, long withinMillis) throws StoreUnavailableException;

  /** Returns every replica's last answer for {@code service}'s policy, by replica id. */
  Map<String, Answer> answers(String service) throws StoreUnavailableException;
}
