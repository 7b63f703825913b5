-- ARGV: prefix, service, replica, revision, subscribers, nacks, complete (1/0), ttl seconds.
-- Records how the replica's watchers answered the service's policy at revision, unless it recorded a
-- later revision already (answers may arrive out of order). Returns 1 when recorded.
local key = P .. ':canary:acks:' .. ARGV[2]
local old = redis.call('HGET', key, ARGV[3])
if old then
  local rev = tonumber(string.match(old, '^(%d+)'))
  if rev and rev > tonumber(ARGV[4]) then
    return 0
  end
end
redis.call('HSET', key, ARGV[3], ARGV[4] .. ' ' .. ARGV[5] .. ' ' .. ARGV[6] .. ' ' .. ARGV[7])
redis.call('EXPIRE', key, tonumber(ARGV[8]))
return 1
