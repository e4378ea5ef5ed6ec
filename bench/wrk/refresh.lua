-- POST /auth/token {"refreshToken": …}: refresh-token rotation under load.
-- Rotation consumes each token, so every thread keeps a queue of live tokens: request() takes the oldest, and
-- response() puts the successor from the answer at the back. The queue is filled from a pool file made by
-- logging in N times before the run; N must exceed the connections by a margin, because each connection holds
-- one token while its request is in flight.
--   wrk ... -s bench/wrk/refresh.lua http://127.0.0.1:PORT/auth/token -- <token file> <wrk threads> [<save file>]
-- With a save file, the tokens still live at the end (every queued one: those in flight when wrk stopped are
-- lost) are written there, so a warm-up run can hand its pool to the measured run.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

-- Globals, not locals, so that done() in the main state can read them through thread:get().
queue, qhead, qtail = {}, 1, 0
save_path = nil
local headers = { ["Content-Type"] = "application/json" }

function init(args)
  for _, token in ipairs(my_share(args[1], tonumber(args[2]) or 1)) do
    qtail = qtail + 1
    queue[qtail] = token
  end
  pool = qtail
  save_path = args[3]
end

function finish(threads)
  local path = threads[1] and threads[1]:get("save_path")
  if not path then
    return
  end
  local file = assert(io.open(path, "w"))
  local saved = 0
  for _, thread in ipairs(threads) do
    local q, first, last = thread:get("queue"), thread:get("qhead"), thread:get("qtail")
    for i = first, last do
      if q[i] then
        file:write(q[i], "\n")
        saved = saved + 1
      end
    end
  end
  file:close()
  io.write(string.format("BENCH saved=%d\n", saved))
end

function request()
  local token
  if qhead <= qtail then
    token = queue[qhead]
    queue[qhead] = nil
    qhead = qhead + 1
  else
    -- Every live token is in flight or was lost to a failed request: the answer (400) makes the run invalid.
    exhausted = exhausted + 1
    token = "pool-exhausted"
  end
  return wrk.format("POST", nil, headers, '{"refreshToken":"' .. token .. '"}')
end

function response(status, headers, body)
  if status ~= 200 then
    record_failure(status, body)
    return
  end
  local successor = string.match(body, '"refreshToken":"([^"]+)"')
  if successor then
    ok = ok + 1
    qtail = qtail + 1
    queue[qtail] = successor
  else
    missing = missing + 1
    record_failure(status, "200 without a refreshToken: " .. body)
  end
end
