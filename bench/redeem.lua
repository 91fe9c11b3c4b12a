-- wrk script: POST PATH with {"code": C, "purpose": "bench"}, each code of CODES_FILE used
-- once (thread t of T takes codes t, t+T, ...; past the end it sends a code that is not
-- valid, which answers non-2xx and so marks the figures invalid), with the bearer token of
-- BENCH_TOKEN. Usage:
--   wrk -t T ... -s bench/redeem.lua URL -- CODES_FILE PATH T
-- With CODES_FILE "-", every request posts the same body (the static peer).
local codes, path, headers = {}, "/", {["Content-Type"] = "application/json"}
local step, idx = 1, 1
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
end

function init(args)
  local file = args[1] or "-"
  path = args[2] or "/"
  step = tonumber(args[3] or "1")
  idx = (tid or 0) + 1
  if file ~= "-" then
    for line in io.lines(file) do
      if #line > 0 then codes[#codes + 1] = line end
    end
  end
  local token = os.getenv("BENCH_TOKEN")
  if token and #token > 0 then headers["Authorization"] = "Bearer " .. token end
end

function request()
  local code = codes[idx] or "0000-0000-0000-0000"
  idx = idx + step
  return wrk.format("POST", path, headers,
                    '{"code":"' .. code .. '","purpose":"bench: checking an ID card"}')
end
