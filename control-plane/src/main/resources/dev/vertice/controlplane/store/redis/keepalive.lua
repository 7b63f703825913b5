-- ARGV: prefix, lease id. Returns the TTL in ms after renewing, or -1 when the lease is unknown.
local lease = ARGV[2]
local ttl = redis.call('HGET', P .. ':lease:' .. lease, 't')
if not ttl then
  return -1
end
redis.call('ZADD', P .. ':deadlines', now_ms() + tonumber(ttl), lease)
redis.call('HDEL', P .. ':lease:' .. lease, 'g')
return tonumber(ttl)
