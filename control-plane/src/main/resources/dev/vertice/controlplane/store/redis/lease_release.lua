-- ARGV: prefix, lease name, owner. Deletes the lease only if the owner holds it; returns 1 if so.
local key = P .. ':lease-lock:' .. ARGV[2]
if redis.call('GET', key) == ARGV[3] then
  redis.call('DEL', key)
  return 1
end
return 0
