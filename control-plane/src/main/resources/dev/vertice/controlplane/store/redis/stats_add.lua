-- ARGV: prefix, epoch second, ttl seconds, max bounds per bucket, max series, entry count, then per
-- entry: keep (1: keep beyond the series limit), service, version, requests, errors, bound count (-1:
-- no latency measured), bounds... (as text), counts... (bound count + 1 of them).
-- The series index <P>:stats:series (a sorted set of "service:version" scored by the last second
-- reported) bounds the keyspace: series not reported within the ttl leave it, and an entry that
-- would add a series while it holds max series is dropped unless marked keep.
-- Adds each other entry to the hash of its (service, version, second), which expires after the ttl.
-- Fields: n (requests), e (errors), b:<bound>, b:inf. A bound beyond the limit of distinct bounds
-- in one hash counts in b:inf (overstates, never hides, latency). Returns the number of entries
-- dropped at the series limit.
local second, ttl, maxb = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local maxs, n = tonumber(ARGV[5]), tonumber(ARGV[6])
local maxfields = maxb + 3
local index = P .. ':stats:series'
redis.call('ZREMRANGEBYSCORE', index, '-inf', second - ttl)
local held = redis.call('ZCARD', index)
local dropped = 0
local k = 7
for _ = 1, n do
  local member = ARGV[k + 1] .. ':' .. ARGV[k + 2]
  local nb = tonumber(ARGV[k + 5])
  local skip = false
  if redis.call('ZSCORE', index, member) == false then
    if held >= maxs and ARGV[k] ~= '1' then
      skip = true
    else
      held = held + 1
    end
  end
  if skip then
    dropped = dropped + 1
    k = k + 6
    if nb >= 0 then
      k = k + nb + nb + 1
    end
  else
    redis.call('ZADD', index, 'GT', second, member)
    local key = P .. ':stats:' .. member .. ':' .. second
    redis.call('HINCRBY', key, 'n', ARGV[k + 3])
    redis.call('HINCRBY', key, 'e', ARGV[k + 4])
    k = k + 6
    if nb >= 0 then
      local len = redis.call('HLEN', key)
      if len + nb + 1 <= maxfields then
        -- Every bound fits, new or not: no check per bound.
        for i = 0, nb - 1 do
          redis.call('HINCRBY', key, 'b:' .. ARGV[k + i], ARGV[k + nb + i])
        end
      else
        for i = 0, nb - 1 do
          local field = 'b:' .. ARGV[k + i]
          if redis.call('HEXISTS', key, field) == 0 then
            if len >= maxfields then
              field = 'b:inf'
            else
              len = len + 1
            end
          end
          redis.call('HINCRBY', key, field, ARGV[k + nb + i])
        end
      end
      redis.call('HINCRBY', key, 'b:inf', ARGV[k + nb + nb])
      k = k + nb + nb + 1
    end
    redis.call('EXPIRE', key, ttl)
  end
end
return dropped
