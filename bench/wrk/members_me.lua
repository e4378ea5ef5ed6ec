-- GET /members/me with a valid Bearer access token: JWT validation plus one member lookup.
--   wrk ... -s bench/wrk/members_me.lua http://127.0.0.1:PORT/members/me -- <access token file> <wrk threads>
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

local req

function init(args)
  local tokens = {}
  for line in io.lines(args[1]) do
    if line ~= "" then
      tokens[#tokens + 1] = line
    end
  end
  pool = #tokens
  req = wrk.format("GET", nil, { Authorization = "Bearer " .. tokens[tid % #tokens + 1] }, nil)
end

function request()
  return req
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
  else
    record_failure(status, body)
  end
end
