-- ARGV: prefix, service, version, first second, last second. Returns the sums of every field of
-- the (service, version) hashes of those seconds as {field, value, field, value...}.
local base = P .. ':stats:' .. ARGV[2] .. ':' .. ARGV[3] .. ':'
local sums = {}
for s = tonumber(ARGV[4]), tonumber(ARGV[5]) do
  local h = redis.call('HGETALL', base .. s)
  for i = 1, #h, 2 do
    sums[h[i]] = (sums[h[i]] or 0) + tonumber(h[i + 1])
  end
end
local out = {}
for f, v in pairs(sums) do
  table.insert(out, f)
  table.insert(out, string.format('%.0f', v))
end
return out
