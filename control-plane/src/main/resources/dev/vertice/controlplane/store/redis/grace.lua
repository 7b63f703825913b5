-- ARGV: prefix, grace ms, lease ids... Brings each lease's deadline forward to now + grace, never later.
local deadline = now_ms() + tonumber(ARGV[2])
for k = 3, #ARGV do
  local lease = ARGV[k]
  if redis.call('ZADD', P .. ':deadlines', 'XX', 'LT', 'CH', deadline, lease) == 1 then
    redis.call('HSET', P .. ':lease:' .. lease, 'g', 1)
  end
end
return 0
