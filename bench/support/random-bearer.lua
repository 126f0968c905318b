-- wrk: a different opaque bearer token on every request, so no verification cache can answer.
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, nil, { ["Authorization"] = "Bearer opaque-" .. tostring(math.random(1, 1000000000)) .. "-" .. counter })
end
