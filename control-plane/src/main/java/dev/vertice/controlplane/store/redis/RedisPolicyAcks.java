package dev.vertice.controlplane.store.redis;

import dev.vertice.controlplane.store.PolicyAcks;
import dev.vertice.controlplane.store.StoreUnavailableException;
import io.lettuce.core.Range;
import io.lettuce.core.ScriptOutputType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code RedisPolicyAcks} keeps each replica's answers to TrafficPolicy revisions in one hash per
 * service ({@code <prefix>:canary:acks:<service>}, field = replica id, value = "revision
 * subscribers nacks complete", expiring a day after the last write) and the replicas' heartbeats in
 * a sorted set ({@code <prefix>:canary:replicas}, scored by the shared wall clock; entries older
 * than a minute are pruned). A few small commands per policy change and per second. Thread-safe.
 */
final class RedisPolicyAcks implements PolicyAcks {

  private static final long ANSWER_TTL_SECONDS = 86_400;
  private static final long FORGET_AFTER_MILLIS = 60_000;

  private final ScriptedRedis redis;

  RedisPolicyAcks(ScriptedRedis redis) {
    this.redis = redis;
  }

  @Override
  public boolean shared() {
    return true;
  }

  @Override
  public void publish(Answer a, String service) throws StoreUnavailableException {
    redis.eval("policy_ack", ScriptOutputType.INTEGER, service, a.replica(), a.revision(), a.subscribers(), a.nacks(),
        a.complete() ? 1 : 0, ANSWER_TTL_SECONDS);
  }

  @Override
  public void alive(String replica, long nowMillis) throws StoreUnavailableException {
    String key = redis.key("canary:replicas");
    redis.call(c -> {
      c.zadd(key, (double) nowMillis, replica.getBytes(StandardCharsets.UTF_8));
      return c.zremrangebyscore(key, Range.create(Double.NEGATIVE_INFINITY, (double) (nowMillis - FORGET_AFTER_MILLIS)));
    });
  }

  @Override
  public List<String> live(long nowMillis, long withinMillis) throws StoreUnavailableException {
    List<byte[]> ids = redis.call(c -> c.zrangebyscore(redis.key("canary:replicas"),
        Range.create((double) (nowMillis - withinMillis), Double.POSITIVE_INFINITY)));
    List<String> out = new ArrayList<>(ids.size());
    for (byte[] id : ids) {
      out.add(new String(id, StandardCharsets.UTF_8));
    }
    return out;
  }

  @Override
  public Map<String, Answer> answers(String service) throws StoreUnavailableException {
    Map<String, byte[]> raw = redis.call(c -> c.hgetall(redis.key("canary:acks:" + service)));
    Map<String, Answer> out = new HashMap<>();
    raw.forEach((replica, value) -> {
      String[] f = new String(value, StandardCharsets.UTF_8).split(" ");
      if (f.length == 4) {
        out.put(replica, new Answer(replica, Long.parseLong(f[0]), Integer.parseInt(f[1]), Integer.parseInt(f[2]),
            f[3].equals("1")));
      }
    });
    return out;
  }
}
