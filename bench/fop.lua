-- wrk script: FOP registrations end to end (POST /api/v1/applications with submit), one per
-- citizen: each request takes the next session token of TOKENS_FILE (one per line; thread t
-- of T takes tokens t, t+T, t+2T, ...) and a unique Idempotency-Key. When the tokens run out a
-- thread starts over, and those repeats answer 422 not-eligible (counted as non-2xx).
--   wrk -t T ... -s bench/fop.lua URL -- TOKENS_FILE
local counter = 0
local threads = {}

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local tokens = {}
local next_i = 0
local nthreads = 1
local body = '{"service":"fop-registration","submit":true,"answers":{"activities":' ..
             '[{"code":"62.01"},{"code":"62.02"}],"tax_system":"single-3",' ..
             '"email":"bench@example.com"}}'

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then tokens[#tokens + 1] = line end
  end
  nthreads = tonumber(args[2] or "2")
  next_i = tid + 1
end

function request()
  local t = tokens[next_i]
  local key = tid .. "-" .. next_i
  next_i = next_i + nthreads
  if next_i > #tokens then next_i = tid + 1 end
  return wrk.format("POST", "/api/v1/applications", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. t,
    ["Idempotency-Key"] = key,
  }, body)
end
