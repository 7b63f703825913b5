-- ARGV: prefix, most leases to look at, max log length, outage threshold ms. Expires due leases
-- atomically: whichever replica runs this, each lease is removed exactly once. Looks at no more than
-- the given number of due leases (the caller runs it again while it returns that many), so one call
-- stays short at any registry size. Returns {leases looked at, {service, instance id, reason}...
-- flattened}: the removals this call made, for this replica to count.
--
-- Every call records when it ran. When no replica swept for longer than the threshold, Redis was
-- unreachable for all of them (or all were down): no client could renew meanwhile, so every lease
-- whose deadline fell in that pause, and is not in its grace period, gets a full TTL from the sweep
-- that noticed the pause before it expires. That is recorded once, as the pause's start and the
-- time sweeps resumed (':pause-from', ':resumed'), and applied lazily: a lease found due whose
-- deadline fell after the pause's start and whose TTL has not run since the sweeps resumed is moved
-- to resumed + TTL instead of being removed. No call rewrites every lease. (A lease renewed before
-- the pause never has a deadline later than resumed + TTL, so this is the same as shifting its
-- deadline by the pause.) Leases already due before the pause, waiting for their batch, still go.
-- When a second pause comes before the leases of the first were all looked at, the window grows to
-- cover both. The decision is Redis's own, made once, whatever one replica's connection went through.
local limit, maxlog, threshold = tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
local now = now_ms()
local last = tonumber(redis.call('GET', P .. ':swept') or '0')
redis.call('SET', P .. ':swept', now)
if last > 0 and now - last > threshold then
  local from = last
  local before = tonumber(redis.call('GET', P .. ':resumed') or '0')
  if before > 0 and #redis.call('ZRANGEBYSCORE', P .. ':deadlines', '-inf', before, 'LIMIT', 0, 1) > 0 then
    from = math.min(from, tonumber(redis.call('GET', P .. ':pause-from') or from))
  end
  redis.call('SET', P .. ':pause-from', from)
  redis.call('SET', P .. ':resumed', now)
end
local resumed = tonumber(redis.call('GET', P .. ':resumed') or '0')
local from = tonumber(redis.call('GET', P .. ':pause-from') or '0')
local due = redis.call('ZRANGEBYSCORE', P .. ':deadlines', '-inf', now, 'WITHSCORES', 'LIMIT', 0, limit)
local removed = {}
for k = 1, #due, 2 do
  local lease, deadline = due[k], tonumber(due[k + 1])
  local f = redis.call('HMGET', P .. ':lease:' .. lease, 's', 'i', 't', 'g')
  local svc, id, ttl, graced = f[1], f[2], tonumber(f[3] or '0'), f[4]
  if svc and redis.call('HGET', P .. ':lease-of:' .. svc, id) == lease then
    if not graced and deadline > from and resumed + ttl > now then
      redis.call('ZADD', P .. ':deadlines', resumed + ttl, lease)
    else
      local reason = graced and 'GRACE_EXPIRED' or 'EXPIRED'
      remove_instance(svc, id, lease, reason, maxlog)
      removed[#removed + 1] = svc
      removed[#removed + 1] = id
      removed[#removed + 1] = reason
    end
  else
    redis.call('DEL', P .. ':lease:' .. lease)
    redis.call('ZREM', P .. ':deadlines', lease)
  end
end
return {#due / 2, removed}
