-- ARGV: prefix, lease id, KeepAlive stream id. Returns the TTL in ms after renewing, or -1 when the
-- lease is unknown. Remembers which stream renewed it last (see grace.lua).
local lease = ARGV[2]
local ttl = redis.call('HGET', P .. ':lease:' .. lease, 't')
if not ttl then
  return -1
end
redis.call('ZADD', P .. ':deadlines', now_ms() + tonumber(ttl), lease)
redis.call('HDEL', P .. ':lease:' .. lease, 'g')
redis.call('HSET', P .. ':lease:' .. lease, 'k', ARGV[3])
return tonumber(ttl)
