-- ARGV: prefix, service, instance id, max log length, deadline (see too_late). Returns {revision},
-- {-1} when unknown, {-3} when late.
local svc, id, maxlog = ARGV[2], ARGV[3], ARGV[4]
if too_late() then
  return {-3}
end
local lease = redis.call('HGET', P .. ':lease-of:' .. svc, id)
if not lease then
  return {-1}
end
return {remove_instance(svc, id, lease, 'DEREGISTERED', maxlog)}
