-- wrk script: GET PREFIX..ID for a random ID from a file (one per line), with an optional
-- bearer token (BENCH_TOKEN), Cookie header (BENCH_COOKIE) and Accept header (BENCH_ACCEPT)
-- from the environment. Usage:
--   wrk ... -s bench/paths.lua URL -- IDS_FILE PREFIX
-- With IDS_FILE "-", every request is GET PREFIX (the static peer of a lookup scenario).
local ids = {}
local prefix = "/"
local headers = {}

function init(args)
  local file = args[1] or "-"
  prefix = args[2] or "/"
  if file ~= "-" then
    for line in io.lines(file) do
      if #line > 0 then ids[#ids + 1] = line end
    end
  end
  local token = os.getenv("BENCH_TOKEN")
  if token and #token > 0 then headers["Authorization"] = "Bearer " .. token end
  local cookie = os.getenv("BENCH_COOKIE")
  if cookie and #cookie > 0 then headers["Cookie"] = cookie end
  local accept = os.getenv("BENCH_ACCEPT")
  if accept and #accept > 0 then headers["Accept"] = accept end
  -- each thread gets its own sequence
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000)
end

function request()
  local path = prefix
  if #ids > 0 then path = prefix .. ids[math.random(#ids)] end
  return wrk.format("GET", path, headers)
end
