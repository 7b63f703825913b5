-- ARGV: prefix. Returns {revision, last log id, {{service, version, {instance bytes...}}...},
-- {{service, version, policy bytes}...}, {fields of the last log entry, flattened}}: the whole state at one revision, for a replica whose
-- position fell out of the trimmed log.
local rev = tonumber(redis.call('GET', P .. ':rev') or '0')
local last = redis.call('XREVRANGE', P .. ':log', '+', '-', 'COUNT', 1)
local last_id = '0-0'
local last_fields = {}
if #last > 0 then
  last_id = last[1][1]
  last_fields = last[1][2]
end
local services = {}
local versions = redis.call('HGETALL', P .. ':versions')
for k = 1, #versions, 2 do
  local svc = versions[k]
  table.insert(services, {svc, tonumber(versions[k + 1]), redis.call('HVALS', P .. ':svc:' .. svc)})
end
local policies = {}
local pv = redis.call('HGETALL', P .. ':policy-versions')
for k = 1, #pv, 2 do
  local svc = pv[k]
  table.insert(policies, {svc, tonumber(pv[k + 1]), redis.call('HGET', P .. ':policies', svc)})
end
return {rev, last_id, services, policies, last_fields}
