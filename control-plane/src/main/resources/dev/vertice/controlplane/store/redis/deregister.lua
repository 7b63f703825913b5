-- ARGV: prefix, service, instance id, max log length. Returns {revision}, or {-1} when unknown.
local svc, id, maxlog = ARGV[2], ARGV[3], ARGV[4]
local lease = redis.call('HGET', P .. ':lease-of:' .. svc, id)
if not lease then
  return {-1}
end
return {remove_instance(svc, id, lease, 'DEREGISTERED', maxlog)}
