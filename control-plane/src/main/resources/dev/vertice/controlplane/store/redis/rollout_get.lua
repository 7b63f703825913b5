-- ARGV: prefix, rollout id. Returns {revision, bytes}, or {0} when absent.
local rev = redis.call('HGET', P .. ':rollout-revs', ARGV[2])
if not rev then
  return {0}
end
return {tonumber(rev), redis.call('HGET', P .. ':rollouts', ARGV[2])}
