-- ARGV: prefix, lease name, owner, ttl ms, mode ('acquire' or 'renew'). Returns 1 when the owner
-- holds the lease afterwards (taken, or renewed), 0 when another owner holds it (or, to renew,
-- nobody does). Redis's clock times the lease (PX).
local key = P .. ':lease-lock:' .. ARGV[2]
local owner, ttl, mode = ARGV[3], ARGV[4], ARGV[5]
local holder = redis.call('GET', key)
if holder == owner then
  redis.call('PEXPIRE', key, ttl)
  return 1
end
if holder or mode == 'renew' then
  return 0
end
redis.call('SET', key, owner, 'PX', ttl)
return 1
