-- Shared by every Vertice script. ARGV[1] is the key prefix, e.g. "{vertice}": one hash tag, so
-- every key lives in one slot and a script may touch any of them.
local P = ARGV[1]
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- Whether a write whose last argument is its deadline in Redis's milliseconds (0: none) arrived
-- after it: such a write changes nothing and returns {-3} (a call cut mid-way by a partition and
-- retransmitted after it healed, long after its caller gave up and maybe wrote again).
local function too_late()
  local not_after = tonumber(ARGV[#ARGV] or '0') or 0
  return not_after > 0 and now_ms() > not_after
end
-- The id of the change-log entry of revision rev: "<rev>-0", or one past the log's last entry when
-- that is higher (a log written before ids were assigned here). Never the server's clock: a master
-- promoted with a clock behind the old one would write ids at or below those replicas already read,
-- and XREAD would skip them for ever. An id at or below one a replica read can still come after lost
-- writes (the same revision taken again); the replica's history check finds that (ChangeLogFollower).
local function log_id(rev)
  local last = redis.call('XREVRANGE', P .. ':log', '+', '-', 'COUNT', 1)
  local ms = rev
  if #last > 0 then
    local last_ms = tonumber(string.match(last[1][1], '^(%d+)'))
    if last_ms >= ms then
      ms = last_ms + 1
    end
  end
  return string.format('%d-0', ms)
end
-- Appends one change to the log and returns its revision. data == '' means "removed".
local function log_change(svc, id, data, reason, maxlog)
  local rev = redis.call('INCR', P .. ':rev')
  if redis.call('HLEN', P .. ':svc:' .. svc) == 0 then
    redis.call('HDEL', P .. ':versions', svc)
  else
    redis.call('HSET', P .. ':versions', svc, rev)
  end
  redis.call('XADD', P .. ':log', 'MAXLEN', '~', maxlog, log_id(rev), 'r', rev, 's', svc, 'i', id, 'd', data,
    'x', reason)
  return rev
end
-- Removes an instance and its lease; returns the revision of the removal.
local function remove_instance(svc, id, lease, reason, maxlog)
  redis.call('HDEL', P .. ':lease-of:' .. svc, id)
  redis.call('HDEL', P .. ':svc:' .. svc, id)
  redis.call('DEL', P .. ':lease:' .. lease)
  redis.call('ZREM', P .. ':deadlines', lease)
  redis.call('DECR', P .. ':count')
  return log_change(svc, id, '', reason, maxlog)
end
-- Sets (data ~= '') or removes (data == '') the TrafficPolicy of a service, appends the change to
-- the same log under the same revision sequence (entry type 't' = 'p'), and returns its revision.
local function log_policy(svc, data, maxlog)
  local rev = redis.call('INCR', P .. ':rev')
  if data == '' then
    redis.call('HDEL', P .. ':policies', svc)
    redis.call('HDEL', P .. ':policy-versions', svc)
  else
    redis.call('HSET', P .. ':policies', svc, data)
    redis.call('HSET', P .. ':policy-versions', svc, rev)
  end
  redis.call('XADD', P .. ':log', 'MAXLEN', '~', maxlog, log_id(rev), 'r', rev, 't', 'p', 's', svc, 'd', data)
  return rev
end
