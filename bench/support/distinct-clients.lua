-- wrk: one of 100,000 client ids on every request (header x-client), so the rate limiter keeps
-- 100k counters and almost every request finds its own.
math.randomseed(os.time())
request = function()
  return wrk.format(nil, nil, { ["x-client"] = "client-" .. tostring(math.random(1, 100000)) })
end
