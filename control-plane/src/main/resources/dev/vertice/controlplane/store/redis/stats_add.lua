-- ARGV: prefix, epoch second, ttl seconds, max bounds per bucket, entry count, then per entry:
-- service, version, requests, errors, bound count (-1: no latency measured), bounds... (as text),
-- counts... (bound count + 1 of them). Adds each entry to the hash of its (service, version,
-- second), which expires after the ttl. Fields: n (requests), e (errors), b:<bound>, b:inf.
-- A bound beyond the limit of distinct bounds in one hash counts in b:inf (overstates, never hides,
-- latency). Returns the number of entries added.
local second, ttl, maxb, n = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local k = 6
for _ = 1, n do
  local key = P .. ':stats:' .. ARGV[k] .. ':' .. ARGV[k + 1] .. ':' .. second
  redis.call('HINCRBY', key, 'n', ARGV[k + 2])
  redis.call('HINCRBY', key, 'e', ARGV[k + 3])
  local nb = tonumber(ARGV[k + 4])
  k = k + 5
  if nb >= 0 then
    for i = 0, nb - 1 do
      local field = 'b:' .. ARGV[k + i]
      if redis.call('HEXISTS', key, field) == 0 and redis.call('HLEN', key) >= maxb + 3 then
        field = 'b:inf'
      end
      redis.call('HINCRBY', key, field, ARGV[k + nb + i])
    end
    redis.call('HINCRBY', key, 'b:inf', ARGV[k + nb + nb])
    k = k + nb + nb + 1
  end
  redis.call('EXPIRE', key, ttl)
end
return n
