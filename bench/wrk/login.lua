-- POST /auth/login with the password provider: one argon2id verification per request, then a new session.
-- Cycles through a few members so per-account work (throttle keys, the member row) is not one hot key.
--   wrk ... -s bench/wrk/login.lua http://127.0.0.1:PORT/auth/login -- <credentials file> <wrk threads>
-- The credentials file has one "email<TAB>password" a line.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

local bodies, next_body = {}, 0
local headers = { ["Content-Type"] = "application/json" }

function init(args)
  for line in io.lines(args[1]) do
    local email, password = string.match(line, "^([^\t]+)\t(.+)$")
    if email then
      bodies[#bodies + 1] = string.format(
        '{"provider":"password","email":"%s","password":"%s","refreshTokenDelivery":"body"}', email, password)
    end
  end
  pool = #bodies
  next_body = tid
end

function request()
  next_body = next_body + 1
  return wrk.format("POST", nil, headers, bodies[next_body % #bodies + 1])
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
  else
    record_failure(status, body)
  end
end
