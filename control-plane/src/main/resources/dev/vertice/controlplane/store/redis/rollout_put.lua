-- ARGV: prefix, rollout id, rollout bytes, expected revision (0: create), max rollouts.
-- Returns {new revision}, {-1, current revision} when the revision differs (0: absent), or {-2}
-- when creating beyond the limit. Publishes "<revision> <id>" on <prefix>:rollouts after a write.
local id, data, expected, max = ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local current = tonumber(redis.call('HGET', P .. ':rollout-revs', id) or '0')
if current ~= expected then
  return {-1, current}
end
if current == 0 and redis.call('HLEN', P .. ':rollout-revs') >= max then
  return {-2}
end
local rev = current + 1
redis.call('HSET', P .. ':rollouts', id, data)
redis.call('HSET', P .. ':rollout-revs', id, rev)
redis.call('PUBLISH', P .. ':rollouts', rev .. ' ' .. id)
return {rev}
