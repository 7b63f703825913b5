-- ARGV: prefix. Returns {id, revision, bytes, id, revision, bytes...}: every rollout at one moment.
local revs = redis.call('HGETALL', P .. ':rollout-revs')
local out = {}
for k = 1, #revs, 2 do
  table.insert(out, revs[k])
  table.insert(out, revs[k + 1])
  table.insert(out, redis.call('HGET', P .. ':rollouts', revs[k]))
end
return out
