-- wrk: a different item id on every request, so no Cedar decision is ever repeated.
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, "/api/items/" .. tostring(counter) .. "-" .. tostring(math.random(1, 1000000000)))
end
