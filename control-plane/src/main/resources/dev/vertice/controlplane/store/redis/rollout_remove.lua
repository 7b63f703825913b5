-- ARGV: prefix, rollout id, expected revision. Returns {0} when removed, {-1, current revision}
-- when the revision differs (0: absent).
local id, expected = ARGV[2], tonumber(ARGV[3])
local current = tonumber(redis.call('HGET', P .. ':rollout-revs', id) or '0')
if current == 0 or current ~= expected then
  return {-1, current}
end
redis.call('HDEL', P .. ':rollouts', id)
redis.call('HDEL', P .. ':rollout-revs', id)
return {0}
