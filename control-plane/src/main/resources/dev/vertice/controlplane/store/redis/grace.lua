-- ARGV: prefix, grace ms, ended KeepAlive stream id, lease ids... Brings each lease's deadline
-- forward to now + grace, never later, unless another stream renewed it since (the client already
-- reconnected, possibly to another replica, before this stream's end was noticed).
local deadline = now_ms() + tonumber(ARGV[2])
local stream = ARGV[3]
for k = 4, #ARGV do
  local lease = ARGV[k]
  if redis.call('HGET', P .. ':lease:' .. lease, 'k') == stream and
      redis.call('ZADD', P .. ':deadlines', 'XX', 'LT', 'CH', deadline, lease) == 1 then
    redis.call('HSET', P .. ':lease:' .. lease, 'g', 1)
  end
end
return 0
