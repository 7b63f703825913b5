-- ARGV: prefix, service, policy bytes ('' removes it), max policies, max log length, deadline (see
-- too_late). Returns {revision}; {0} when removing a policy that does not exist; {-1} when the
-- limit of policies is reached; {-3} when late. Setting the bytes already held changes nothing and
-- returns their revision.
local svc, data, max, maxlog = ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]
if too_late() then
  return {-3}
end
local current = redis.call('HGET', P .. ':policies', svc)
if data == '' then
  if not current then
    return {0}
  end
  return {log_policy(svc, '', maxlog)}
end
if current == data then
  return {tonumber(redis.call('HGET', P .. ':policy-versions', svc))}
end
if not current and redis.call('HLEN', P .. ':policies') >= max then
  return {-1}
end
return {log_policy(svc, data, maxlog)}
