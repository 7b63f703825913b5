-- ARGV: prefix, most leases to expire, max log length. Expires due leases atomically: whichever
-- replica runs this, each lease is removed exactly once. Returns the number removed.
local limit, maxlog = tonumber(ARGV[2]), ARGV[3]
local due = redis.call('ZRANGEBYSCORE', P .. ':deadlines', '-inf', now_ms(), 'LIMIT', 0, limit)
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
