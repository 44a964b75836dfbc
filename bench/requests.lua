-- wrk script: cycles through the requests listed in $BENCH_REQUESTS, one per line:
--   METHOD <TAB> PATH <TAB> BODY (may be empty) <TAB> FLAGS ("idem": add an Idempotency-Key)
-- and prints one JSON line "BENCH_RESULT {...}" at the end (requests/s, p50, p99, errors).

local lines = {}
local index = 0
local counter = 0
local token = os.getenv("BENCH_TOKEN")
local run = os.getenv("BENCH_RUN") or "run"
local thread_number = 0
local threads = {}

function setup(thread)
  thread_number = thread_number + 1
  thread:set("tid", thread_number)
  table.insert(threads, thread)
end

local function split(line)
  local fields = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do
    table.insert(fields, field)
  end
  return fields
end

function init(args)
  for line in io.lines(os.getenv("BENCH_REQUESTS")) do
    if line ~= "" then
      table.insert(lines, split(line))
    end
  end
  index = math.random(#lines) - 1
end

function request()
  index = (index % #lines) + 1
  local fields = lines[index]
  local headers = { ["Accept"] = "application/json" }
  if token and token ~= "" then
    headers["Authorization"] = "Bearer " .. token
  end
  local body = fields[3]
  if body == "" then
    body = nil
  else
    headers["Content-Type"] = "application/json"
  end
  if fields[4] == "idem" then
    counter = counter + 1
    headers["Idempotency-Key"] = run .. "-" .. tid .. "-" .. counter
  end
  return wrk.format(fields[1], fields[2], headers, body)
end

function done(summary, latency, requests)
  local errors = summary.errors
  local failed = errors.connect + errors.read + errors.write + errors.timeout + errors.status
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "seconds": %.3f, "p50_us": %d, "p99_us": %d, "errors": %d, '
      .. '"non_2xx": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
    failed, errors.status, errors.connect, errors.read, errors.write, errors.timeout))
end
