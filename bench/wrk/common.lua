-- Shared by the scenario scripts (loaded with dofile). wrk runs one Lua state per thread plus a main one:
-- setup() and done() run in the main state, init()/request()/response() in each thread's own state, so the
-- counters below are per thread and done() adds them up through thread:get().

ok, non200, missing, exhausted, pool = 0, 0, 0, 0, 0
statuses = {}
first_error = ""

local threads = {}

-- Each thread learns its index (tid) before its init() runs, so it can take its own share of a pool file.
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

-- Reads a file's non-empty lines, keeping those whose index modulo nthreads is this thread's tid.
function my_share(path, nthreads)
  local mine, i = {}, 0
  for line in io.lines(path) do
    if line ~= "" then
      if i % nthreads == tid then
        mine[#mine + 1] = line
      end
      i = i + 1
    end
  end
  return mine
end

-- Any answer but 200 makes the run invalid: it is counted, and the first one is kept for the report.
function record_failure(status, body)
  non200 = non200 + 1
  statuses[status] = (statuses[status] or 0) + 1
  if first_error == "" then
    first_error = status .. " " .. (string.gsub(string.sub(body or "", 1, 300), "%s+", " "))
  end
end

-- Machine-readable lines for bench/run.sh, after wrk's own report.
function done(summary, latency, requests)
  local sum = { ok = 0, non200 = 0, missing = 0, exhausted = 0, pool = 0 }
  local codes, first = {}, ""
  for _, thread in ipairs(threads) do
    for key in pairs(sum) do
      sum[key] = sum[key] + (thread:get(key) or 0)
    end
    for code, count in pairs(thread:get("statuses") or {}) do
      codes[code] = (codes[code] or 0) + count
    end
    if first == "" then
      first = thread:get("first_error") or ""
    end
  end

  local list = {}
  for code, count in pairs(codes) do
    list[#list + 1] = code .. ":" .. count
  end
  table.sort(list)

  local e = summary.errors
  io.write(string.format(
    "BENCH ok=%d non200=%d missing=%d exhausted=%d pool=%d statuses=%s socket_errors=%d\n",
    sum.ok, sum.non200, sum.missing, sum.exhausted, sum.pool,
    #list > 0 and table.concat(list, ",") or "-", e.connect + e.read + e.write + e.timeout))
  if first ~= "" then
    io.write("BENCH first_error=" .. first .. "\n")
  end
  if finish then
    finish(threads)
  end
end
