-- Compare-and-set of one instance's stored bytes (used for health changes: Lua cannot edit protobuf).
-- ARGV: prefix, service, instance id, expected bytes, new bytes, max log length, deadline (see
-- too_late). Returns {revision}, {-1} when unknown, {-2} when the stored bytes changed meanwhile
-- (retry), {-3} when late.
local svc, id, expected, data, maxlog = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
if too_late() then
  return {-3}
end
local current = redis.call('HGET', P .. ':svc:' .. svc, id)
if not current then
  return {-1}
end
if current ~= expected then
  return {-2}
end
if current == data then
  return {tonumber(redis.call('HGET', P .. ':versions', svc) or '0')}
end
redis.call('HSET', P .. ':svc:' .. svc, id, data)
return {log_change(svc, id, data, '', maxlog)}
