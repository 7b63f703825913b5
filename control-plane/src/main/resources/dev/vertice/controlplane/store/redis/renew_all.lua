-- ARGV: prefix. After the store was unreachable, gives every lease a full TTL from now (never
-- shortening one): clients could not renew while it was down, so none is expired for that.
local now = now_ms()
local leases = redis.call('ZRANGE', P .. ':deadlines', 0, -1)
for _, lease in ipairs(leases) do
  local ttl = redis.call('HGET', P .. ':lease:' .. lease, 't')
  if ttl then
    redis.call('ZADD', P .. ':deadlines', 'GT', now + tonumber(ttl), lease)
  end
end
return #leases
