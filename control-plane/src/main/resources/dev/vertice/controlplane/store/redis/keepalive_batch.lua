-- ARGV: prefix, KeepAlive stream id, lease ids... Renews each lease as keepalive.lua does; returns
-- one TTL in ms per lease, -1 for a lease that is unknown.
local stream = ARGV[2]
local now = now_ms()
local out = {}
for k = 3, #ARGV do
  local lease = ARGV[k]
  local ttl = redis.call('HGET', P .. ':lease:' .. lease, 't')
  if ttl then
    redis.call('ZADD', P .. ':deadlines', now + tonumber(ttl), lease)
    redis.call('HDEL', P .. ':lease:' .. lease, 'g')
    redis.call('HSET', P .. ':lease:' .. lease, 'k', stream)
    out[#out + 1] = tonumber(ttl)
  else
    out[#out + 1] = -1
  end
end
return out
