-- ARGV: prefix, max instances, max log length, max instances per service, entry count, then per
-- entry: service, instance id, instance bytes, new lease id, ttl ms; last, the deadline in Redis's
-- milliseconds (0: none): a call that arrives later returns {-3} and changes nothing (a write cut
-- mid-way by a partition and retransmitted after it healed, long after its caller gave up).
-- Registers every entry as register.lua would, all or none: the capacity is checked for the whole
-- batch before anything is written. Returns {-1} when the registry would be over its limit,
-- {-2, service} when that service would be; else {highest version, then per entry: lease id,
-- created (0/1), the version of its service after the batch}.
local max, maxlog, max_per_service, n = tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local base = 5
local not_after = tonumber(ARGV[base + n * 5 + 1] or '0')
if not_after > 0 and now_ms() > not_after then
  return {-3}
end
local leases = {}
local added = {}
local added_total = 0
for k = 0, n - 1 do
  local a = base + k * 5
  local svc, id = ARGV[a + 1], ARGV[a + 2]
  leases[k] = redis.call('HGET', P .. ':lease-of:' .. svc, id)
  if not leases[k] then
    added[svc] = (added[svc] or 0) + 1
    added_total = added_total + 1
  end
end
if tonumber(redis.call('GET', P .. ':count') or '0') + added_total > max then
  return {-1}
end
for svc, count in pairs(added) do
  if redis.call('HLEN', P .. ':lease-of:' .. svc) + count > max_per_service then
    return {-2, svc}
  end
end
local now = now_ms()
-- Lease time starts with the first lease, even before the first sweep (see expire.lua).
redis.call('SET', P .. ':swept', now, 'NX')
local out = {0}
for k = 0, n - 1 do
  local a = base + k * 5
  local svc, id, data, ttl = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], tonumber(ARGV[a + 5])
  local lease = leases[k]
  local created = 0
  if not lease then
    created = 1
    lease = ARGV[a + 4]
    redis.call('INCR', P .. ':count')
    redis.call('HSET', P .. ':lease-of:' .. svc, id, lease)
  end
  redis.call('HSET', P .. ':lease:' .. lease, 's', svc, 'i', id, 't', ttl)
  redis.call('HDEL', P .. ':lease:' .. lease, 'g')
  redis.call('ZADD', P .. ':deadlines', now + ttl, lease)
  if redis.call('HGET', P .. ':svc:' .. svc, id) ~= data then
    redis.call('HSET', P .. ':svc:' .. svc, id, data)
    log_change(svc, id, data, '', maxlog)
  end
  out[#out + 1] = lease
  out[#out + 1] = created
  out[#out + 1] = 0
end
local highest = 0
for k = 0, n - 1 do
  local v = tonumber(redis.call('HGET', P .. ':versions', ARGV[base + k * 5 + 1]) or '0')
  out[3 + k * 3 + 1] = v
  if v > highest then
    highest = v
  end
end
out[1] = highest
return out
