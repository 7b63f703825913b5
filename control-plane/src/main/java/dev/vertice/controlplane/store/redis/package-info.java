/**
 * The Redis store: the same contracts as {@code store.memory}, kept in one Redis (or a Sentinel
 * group) shared by every control-plane replica. {@link
 * dev.vertice.controlplane.store.redis.RedisRegistryStore} writes instances, leases and policies
 * with Lua scripts that append to an ordered change log, which {@code ChangeLogFollower} applies
 * to this replica's registry view; stats, rollouts and leadership leases share one {@link
 * dev.vertice.controlplane.store.redis.ScriptedRedis} connection. {@code LuaScripts} is the one
 * loader of the scripts (EVALSHA, EVAL when Redis forgot them).
 *
 * <p>Knows nothing of gRPC, streams or the push engine: changes reach watchers only through the
 * registry view.
 */
package dev.vertice.controlplane.store.redis;
