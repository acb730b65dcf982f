-- wrk script: POST one submission per request, each with its own invitation token.
-- tokens.txt holds one JSON body per line; thread k of T sends lines k, k+T, k+2T, ...
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  bodies = {}
  for line in io.lines(os.getenv("BENCH_BODIES")) do bodies[#bodies + 1] = line end
  step = tonumber(os.getenv("BENCH_THREADS"))
  index = id + 1
  path = os.getenv("BENCH_PATH")
  headers = {["Content-Type"] = "application/json"}
end

function request()
  local body = bodies[index]
  index = index + step
  if body == nil then body = bodies[1] end  -- out of tokens: a 409, not counted as accepted
  return wrk.format("POST", path, headers, body)
end
