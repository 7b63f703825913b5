-- ARGV: prefix, service, instance id, instance bytes, new lease id, ttl ms, max instances, max log length,
-- max instances per service
-- Returns {revision, lease id, created (0/1)}, or {-1} when the registry is full, {-2} when the service is.
local svc, id, data, new_lease = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local ttl, max, maxlog = tonumber(ARGV[6]), tonumber(ARGV[7]), ARGV[8]
local lease = redis.call('HGET', P .. ':lease-of:' .. svc, id)
local created = 0
if not lease then
  if tonumber(redis.call('GET', P .. ':count') or '0') >= max then
    return {-1}
  end
  if redis.call('HLEN', P .. ':lease-of:' .. svc) >= tonumber(ARGV[9]) then
    return {-2}
  end
  created = 1
  lease = new_lease
  redis.call('INCR', P .. ':count')
  redis.call('HSET', P .. ':lease-of:' .. svc, id, lease)
end
redis.call('HSET', P .. ':lease:' .. lease, 's', svc, 'i', id, 't', ttl)
redis.call('HDEL', P .. ':lease:' .. lease, 'g')
redis.call('ZADD', P .. ':deadlines', now_ms() + ttl, lease)
-- Lease time starts with the first lease, even before the first sweep (see expire.lua).
redis.call('SET', P .. ':swept', now_ms(), 'NX')
local rev
if redis.call('HGET', P .. ':svc:' .. svc, id) ~= data then
  redis.call('HSET', P .. ':svc:' .. svc, id, data)
  rev = log_change(svc, id, data, '', maxlog)
else
  rev = tonumber(redis.call('HGET', P .. ':versions', svc) or '0')
end
return {rev, lease, created}
