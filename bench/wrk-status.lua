-- wrk counts 3xx as success; a signed-in page that redirects to /login is a failure here.
-- Prints `NON200 <count>` at the end (scripts/bench-load.sh reads it).
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non200 = 0
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("non200")
  end
  io.write(string.format("NON200 %d\n", total))
end
