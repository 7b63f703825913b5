-- ARGV: prefix, most leases to expire, max log length, outage threshold ms. Expires due leases
-- atomically: whichever replica runs this, each lease is removed exactly once. Returns the number
-- removed.
--
-- Every sweep records when it ran. When no replica swept for longer than the threshold, Redis was
-- unreachable for all of them (or all were down): no client could renew meanwhile, so every lease
-- not in its grace period gets that time back, and at least a full TTL from now to reconnect,
-- before anything expires. The decision is Redis's own, made once, whatever one replica's
-- connection went through.
local limit, maxlog, threshold = tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
local now = now_ms()
local last = tonumber(redis.call('GET', P .. ':swept') or '0')
redis.call('SET', P .. ':swept', now)
if last > 0 and now - last > threshold then
  local gap = now - last
  local leases = redis.call('ZRANGE', P .. ':deadlines', 0, -1)
  for _, lease in ipairs(leases) do
    local ttl = redis.call('HGET', P .. ':lease:' .. lease, 't')
    if ttl and not redis.call('HGET', P .. ':lease:' .. lease, 'g') then
      local shifted = tonumber(redis.call('ZSCORE', P .. ':deadlines', lease)) + gap
      redis.call('ZADD', P .. ':deadlines', math.max(shifted, now + tonumber(ttl)), lease)
    end
  end
end
local due = redis.call('ZRANGEBYSCORE', P .. ':deadlines', '-inf', now, 'LIMIT', 0, limit)
local removed = 0
for _, lease in ipairs(due) do
  local svc = redis.call('HGET', P .. ':lease:' .. lease, 's')
  local id = redis.call('HGET', P .. ':lease:' .. lease, 'i')
  local graced = redis.call('HGET', P .. ':lease:' .. lease, 'g')
  if svc and redis.call('HGET', P .. ':lease-of:' .. svc, id) == lease then
    remove_instance(svc, id, lease, graced and 'GRACE_EXPIRED' or 'EXPIRED', maxlog)
    removed = removed + 1
  else
    redis.call('DEL', P .. ':lease:' .. lease)
    redis.call('ZREM', P .. ':deadlines', lease)
  end
end
return removed
