#!/usr/bin/env bash
# The Gatehouse benchmark: one command, bounded in time, loopback only. Builds the server and bench/Gatehouse.Bench
# in Release, measures in process (token validation, argon2id, ES256), then starts its own Redis and the server as a
# real process twice - sessions in Redis, then the embedded default (SQLite for everything) - and loads it with wrk.
# Prints a Markdown table of every figure beside its target and writes it to bench/out/latest.md.
#
#   bench/run.sh
#
# Environment:
#   BENCH_DURATION        seconds per wrk scenario (default 20)
#   BENCH_WARMUP          seconds of unmeasured load before each wrk scenario, so the JIT has tiered up (default 5; 0: none)
#   BENCH_INPROC_DURATION seconds per in-process figure, after a 1 s warm-up (default 5)
#   BENCH_POOL            refresh tokens made before each refresh scenario (default 256; must exceed 64 by a margin)
#   BENCH_LOGIN_MEMBERS   members the login scenario cycles through (default 8)
#   BENCH_PARTS           which parts to run, any of: inproc redis embedded (default all three)
#   BENCH_NO_BUILD=1      reuse the last Release build
#
# Exit status: 0 when every part ran and every run was valid (no non-200 answer); 1 otherwise. Missing a target
# does not fail the script: the table says which ones were missed.
set -euo pipefail

readonly DURATION="${BENCH_DURATION:-20}"
readonly WARMUP="${BENCH_WARMUP:-5}"
readonly INPROC_DURATION="${BENCH_INPROC_DURATION:-5}"
readonly POOL_SIZE="${BENCH_POOL:-256}"
readonly LOGIN_MEMBERS="${BENCH_LOGIN_MEMBERS:-8}"
readonly PARTS="${BENCH_PARTS:-inproc redis embedded}"
readonly WRK_THREADS=2
readonly WRK_CONNECTIONS=64
readonly PASSWORD="bench-Correct-Horse-7341"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
readonly SERVER_DIR="$repo_root/artifacts/bin/Gatehouse.Server/release"
readonly BENCH_DLL="$repo_root/artifacts/bin/Gatehouse.Bench/release/Gatehouse.Bench.dll"
readonly OUT_DIR="$repo_root/bench/out"
mkdir -p "$OUT_DIR"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-bench.XXXXXX")"
server_pid=""
redis_pid=""
sampler_pid=""
failed=false
declare -A R=()     # figures, by key
declare -a NOTES=() # invalid runs and failed parts, for the report

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
note() { NOTES+=("$*"); log "$*"; }
now_ms() { date +%s%3N; }

# Stops one process this script started, by pid: TERM, then KILL after 10 s.
stop_pid() {
  local pid=$1
  [[ -n "$pid" ]] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  set +e
  stop_pid "$sampler_pid"
  stop_pid "$server_pid"
  stop_pid "$redis_pid"
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------------------------------------- tools and build
ensure_tools() {
  local missing=()
  command -v wrk >/dev/null || missing+=(wrk)
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v redis-cli >/dev/null || missing+=(redis-tools)
  command -v curl >/dev/null || missing+=(curl)
  if ((${#missing[@]} > 0)); then
    local sudo=""
    [[ "$(id -u)" == 0 ]] || sudo=sudo
    log "installing ${missing[*]} (apt-get)"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >"$tmp/apt.log" 2>&1 \
      || { tail -20 "$tmp/apt.log" >&2; die "apt-get install ${missing[*]} failed"; }
  fi
  command -v dotnet >/dev/null || die "the .NET 10 SDK (dotnet) is required"
}

# Builds one project in Release; artifacts/bin/<project>/release/ (UseArtifactsOutput). Returns non-zero on failure.
build() {
  local project=$1 name
  name="$(basename "$project" .csproj)"
  log "building $name (Release)"
  if ! dotnet build -c Release -nologo "$project" >"$OUT_DIR/build-$name.log" 2>&1; then
    grep -E 'error [A-Z]+[0-9]+' "$OUT_DIR/build-$name.log" | sort -u | head -20 >&2 || tail -20 "$OUT_DIR/build-$name.log" >&2
    return 1
  fi
}

# ------------------------------------------------------------------------------------------- processes
# A loopback port nothing listens on (never Redis's 6379 or the test scripts' 56379 / 55432).
free_port() {
  local port
  for _ in $(seq 200); do
    port=$((20000 + RANDOM % 30000))
    case $port in 6379 | 56379 | 55432) continue ;; esac
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  die "no free loopback port found"
}

start_redis() {
  mkdir -p "$tmp/redis"
  redis_port="$(free_port)"
  redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$tmp/redis" --save "" --appendonly no \
    --daemonize no --logfile "$tmp/redis/redis.log" &
  redis_pid=$!
  for _ in $(seq 100); do
    [[ "$(redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null)" == PONG ]] && { log "redis on 127.0.0.1:$redis_port (pid $redis_pid)"; return 0; }
    kill -0 "$redis_pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$tmp/redis/redis.log" >&2 || true
  die "redis-server did not start"
}

stop_redis() {
  stop_pid "$redis_pid"
  redis_pid=""
}

# start_server NAME DATA_DIR [VAR=value ...]: the server as a real process from its Release output folder (so its
# appsettings.json applies, as in a deployment), data in DATA_DIR. Sets server_pid, server_url and ready_ms (from
# the process start to /health/ready answering 200).
start_server() {
  local name=$1 data=$2
  shift 2
  mkdir -p "$data"
  local port
  port="$(free_port)"
  server_url="http://127.0.0.1:$port"
  server_log="$OUT_DIR/server-$name.log"
  local started
  started="$(now_ms)"
  # A clean environment (env -i): nothing of the caller's (a stray ConnectionStrings__*, or any *_FILE variable,
  # which the server reads as a secret file) changes what is measured. --urls as well as ASPNETCORE_URLS: the Urls
  # key of appsettings.json would otherwise win over the latter.
  (cd "$SERVER_DIR" && exec env -i \
    PATH="$PATH" HOME="${HOME:-/root}" TMPDIR="${TMPDIR:-/tmp}" ${DOTNET_ROOT:+DOTNET_ROOT="$DOTNET_ROOT"} \
    ASPNETCORE_ENVIRONMENT=Production \
    ASPNETCORE_URLS="$server_url" \
    DOTNET_NOLOGO=1 \
    Logging__LogLevel__Default=Warning \
    ConnectionStrings__Gatehouse="Data Source=$data/gh.db" \
    Gatehouse__Keys__MasterKeyPath="$data/master.key" \
    Gatehouse__Tokens__Issuer="$server_url" \
    Gatehouse__Tokens__AccessTokenLifetime=01:00:00 \
    Gatehouse__RateLimits__CredentialRequestsPerSecond=100000 \
    Gatehouse__RateLimits__CredentialBurst=100000 \
    Gatehouse__Throttling__MaxFailuresPerAccountAndAddress=1000000 \
    Gatehouse__Throttling__MaxFailuresPerAccount=1000000 \
    Gatehouse__Throttling__MaxFailuresPerAddress=1000000 \
    "$@" \
    dotnet Gatehouse.Server.dll --urls "$server_url") >"$server_log" 2>&1 &
  server_pid=$!
  local code
  while :; do
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$server_url/health/ready" 2>/dev/null)" || true
    [[ "$code" == 200 ]] && break
    if ! kill -0 "$server_pid" 2>/dev/null; then
      tail -30 "$server_log" >&2
      server_pid=""
      return 1
    fi
    if (($(now_ms) - started > 60000)); then
      tail -30 "$server_log" >&2
      log "the server did not answer 200 on /health/ready within 60 s (last: $code)"
      return 1
    fi
    sleep 0.02
  done
  ready_ms=$(($(now_ms) - started))
  # The CPU time it took (all threads): unlike the wall-clock time, it hardly depends on what else is running.
  ready_cpu_ms="$(cpu_ms "$server_pid" | awk '{ printf "%.0f", $1 }')"
  log "server '$name' ready at $server_url in ${ready_ms} ms, ${ready_cpu_ms} ms of CPU (pid $server_pid)"
}

stop_server() {
  stop_pid "$server_pid"
  server_pid=""
}

# ------------------------------------------------------------------------------------------- API helpers
# signup EMAIL: a member with $PASSWORD.
signup() {
  local code
  code="$(curl -sS -o "$tmp/signup.json" -w '%{http_code}' --max-time 30 -H 'Content-Type: application/json' \
    -d "{\"email\":\"$1\",\"password\":\"$PASSWORD\",\"nickname\":\"bench\",\"refreshTokenDelivery\":\"body\"}" \
    "$server_url/auth/signup")" || true
  [[ "$code" == 201 ]] || { log "POST /auth/signup answered $code: $(head -c 400 "$tmp/signup.json" 2>/dev/null)"; return 1; }
}

# login_many COUNT EMAIL OUTPUT: COUNT password logins (refresh token in the body), one JSON answer a line.
login_many() {
  local count=$1 email=$2 output=$3
  local body="{\"provider\":\"password\",\"email\":\"$email\",\"password\":\"$PASSWORD\",\"refreshTokenDelivery\":\"body\"}"
  # Four at a time keeps the server's hash slots (one per core) busy. Each answer is written with one printf, so
  # lines from parallel logins do not interleave.
  # shellcheck disable=SC2016 # expanded by the inner bash, from the environment
  seq "$count" | BENCH_URL="$server_url" BENCH_BODY="$body" xargs -P 4 -n 1 bash -c \
    'answer="$(curl -sS --max-time 60 -H "Content-Type: application/json" -d "$BENCH_BODY" "$BENCH_URL/auth/login" 2>&1)"; printf "%s\n" "$answer"' _ \
    >"$output"
}

# refresh_pool COUNT EMAIL FILE: COUNT live refresh tokens (COUNT sessions), one a line.
refresh_pool() {
  local count=$1 email=$2 file=$3 started
  started="$(now_ms)"
  login_many "$count" "$email" "$tmp/logins.jsonl"
  sed -n 's/.*"refreshToken":"\([^"]*\)".*/\1/p' "$tmp/logins.jsonl" >"$file"
  local got
  got="$(wc -l <"$file")"
  if ((got != count)); then
    log "only $got of $count logins gave a refresh token; first other answer: $(grep -v '"refreshToken"' "$tmp/logins.jsonl" | head -1 | head -c 400)"
    return 1
  fi
  log "made $count refresh tokens in $(($(now_ms) - started)) ms"
}

# ------------------------------------------------------------------------------------------- measuring
# Samples the server's VmRSS (kB) every 0.5 s, one line each into FILE, until stopped; run_wrk takes the largest.
start_sampler() {
  local pid=$1 file=$2
  : >"$file"
  (
    while [[ -r /proc/$pid/status ]]; do
      while read -r key value _; do
        if [[ "$key" == VmRSS: ]]; then
          echo "$value" >>"$file"
          break
        fi
      done </proc/"$pid"/status 2>/dev/null || break
      sleep 0.5
    done
  ) &
  sampler_pid=$!
}

stop_sampler() {
  stop_pid "$sampler_pid"
  sampler_pid=""
}

# The CPU time (user + system) a process has used, in ms: fields 14 and 15 of /proc/PID/stat, after the command name.
cpu_ms() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || { echo 0; return; }
  awk -v tck="$(getconf CLK_TCK)" '{ print ($12 + $13) * 1000 / tck }' <<<"${stat##*) }"
}

# wrk's "3.21ms", "812.00us", "1.20s" in milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    f = (u == "us") ? 0.001 : (u == "ms") ? 1 : (u == "s") ? 1000 : (u == "m") ? 60000 : (u == "h") ? 3600000 : -1
    if (f < 0 || v == "") print "?"; else printf "%.2f", n * f }'
}

# warm_up NAME SCRIPT PATH [script args...]: BENCH_WARMUP seconds of the same load, not measured (the JIT tiers up
# the hot paths meanwhile). Its answers are checked all the same.
warm_up() {
  local name=$1 script=$2 path=$3
  shift 3
  local out="$OUT_DIR/wrk-$name-warmup.txt"
  log "wrk: $name warm-up (${WARMUP} s)"
  if ! wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"${WARMUP}s" --timeout 10s \
    -s "bench/wrk/$script" "$server_url$path" -- "$@" >"$out" 2>&1; then
    cat "$out" >&2
    note "$name: the warm-up run failed; see bench/out/wrk-$name-warmup.txt"
    failed=true
    return 1
  fi
  local non200
  non200="$(sed -n 's/.* non200=\([0-9]*\).*/\1/p' "$out")"
  if [[ "${non200:-?}" != 0 ]]; then
    note "$name: ${non200:-?} non-200 answers during the warm-up. First: $(sed -n 's/^BENCH first_error=//p' "$out" | head -c 300)"
    failed=true
  fi
}

# refresh_scenario NAME POOL_FILE: warm-up on the pool, then the measured run on the tokens the warm-up left alive.
refresh_scenario() {
  local name=$1 pool=$2
  local live="$pool.live"
  if ((WARMUP > 0)); then
    warm_up "$name" refresh.lua /auth/token "$pool" "$WRK_THREADS" "$live" || return 0
  else
    cp "$pool" "$live"
  fi
  local count
  count="$(wc -l <"$live")"
  if ((count < 2 * WRK_CONNECTIONS)); then
    note "$name: only $count live refresh tokens for $WRK_CONNECTIONS connections; raise BENCH_POOL"
  fi
  run_wrk "$name" refresh.lua /auth/token "$live" "$WRK_THREADS"
}

# run_wrk NAME SCRIPT PATH [script args...]: -t2 -c64 for BENCH_DURATION seconds; figures into R[NAME.*].
run_wrk() {
  local name=$1 script=$2 path=$3
  shift 3
  local out="$OUT_DIR/wrk-$name.txt" rss_file="$tmp/rss-$name"
  log "wrk: $name ($path, ${DURATION} s, $WRK_THREADS threads, $WRK_CONNECTIONS connections)"
  start_sampler "$server_pid" "$rss_file"
  local cpu_before redis_before=0
  cpu_before="$(cpu_ms "$server_pid")"
  [[ -n "$redis_pid" ]] && redis_before="$(cpu_ms "$redis_pid")"
  local status=0 TIMEFORMAT='%U %S'
  # bash's time gives wrk's own CPU time (user, system), written to wrk_cpu.
  { time wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency \
    -s "bench/wrk/$script" "$server_url$path" -- "$@" >"$out" 2>&1 || status=$?; } 2>"$tmp/wrk_cpu"
  local cpu_after redis_after=0
  cpu_after="$(cpu_ms "$server_pid")"
  [[ -n "$redis_pid" ]] && redis_after="$(cpu_ms "$redis_pid")"
  stop_sampler
  R[$name.rss]="$(sort -n "$rss_file" | awk 'END { if (NR > 0) printf "%.0f", $1 / 1024 }')"
  if ((status != 0)) || ! grep -q '^Requests/sec:' "$out"; then
    cat "$out" >&2
    note "$name: wrk failed (exit $status); see bench/out/wrk-$name.txt"
    failed=true
    return 0
  fi

  R[$name.rps]="$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$out")"
  R[$name.p50]="$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")"
  R[$name.p99]="$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")"
  R[$name.non2xx]="$(awk -F': *' '/Non-2xx or 3xx responses/ { print $2 }' "$out")"
  R[$name.non2xx]="${R[$name.non2xx]:-0}"
  # Server CPU per request: less sensitive than requests/s to whatever else shares the cores.
  local requests
  requests="$(awk '/ requests in / { print $1 }' "$out")"
  R[$name.cpu_us]="$(awk -v a="$cpu_before" -v b="$cpu_after" -v n="${requests:-0}" 'BEGIN { if (n > 0) printf "%.0f", (b - a) * 1000 / n }')"
  R[$name.wrk_cpu_us]="$(awk -v n="${requests:-0}" '{ if (n > 0) printf "%.0f", ($1 + $2) * 1000000 / n }' "$tmp/wrk_cpu")"
  if [[ -n "$redis_pid" ]]; then
    R[$name.redis_cpu_us]="$(awk -v a="$redis_before" -v b="$redis_after" -v n="${requests:-0}" 'BEGIN { if (n > 0) printf "%.0f", (b - a) * 1000 / n }')"
  fi
  local bench_line
  bench_line="$(grep '^BENCH ok=' "$out" || true)"
  local non200 exhausted missing socket statuses
  non200="$(sed -n 's/.* non200=\([0-9]*\).*/\1/p' <<<"$bench_line")"
  exhausted="$(sed -n 's/.* exhausted=\([0-9]*\).*/\1/p' <<<"$bench_line")"
  missing="$(sed -n 's/.* missing=\([0-9]*\).*/\1/p' <<<"$bench_line")"
  socket="$(sed -n 's/.* socket_errors=\([0-9]*\).*/\1/p' <<<"$bench_line")"
  statuses="$(sed -n 's/.* statuses=\([^ ]*\).*/\1/p' <<<"$bench_line")"
  R[$name.non200]="${non200:-?}"
  if [[ "${non200:-1}" != 0 || "${exhausted:-0}" != 0 || "${missing:-0}" != 0 || "${socket:-0}" != 0 ]]; then
    note "$name: INVALID run - ${non200:-?} non-200 answers (status:count ${statuses:--}), ${exhausted:-?} requests without a live token, ${missing:-?} 200s without a successor, ${socket:-?} socket errors. First: $(sed -n 's/^BENCH first_error=//p' "$out" | head -c 300)"
    R[$name.invalid]=1
    failed=true
  fi
  log "$name: ${R[$name.rps]} req/s, p50 ${R[$name.p50]} ms, p99 ${R[$name.p99]} ms, non-200 ${R[$name.non200]}, peak RSS ${R[$name.rss]} MB, CPU per request: server ${R[$name.cpu_us]} µs, wrk ${R[$name.wrk_cpu_us]} µs"
}

# ------------------------------------------------------------------------------------------- parts
part_inproc() {
  if [[ ! -f "$BENCH_DLL" ]]; then
    note "in-process: bench/Gatehouse.Bench did not build; its figures are missing"
    failed=true
    return 0
  fi
  log "in-process figures (Gatehouse.Bench, ${INPROC_DURATION} s each)"
  if ! dotnet "$BENCH_DLL" --duration "$INPROC_DURATION" --results "$tmp/inproc.tsv" | tee "$OUT_DIR/inproc.txt"; then
    note "in-process: Gatehouse.Bench failed; see bench/out/inproc.txt"
    failed=true
    return 0
  fi
  local key value _
  while IFS=$'\t' read -r key value _; do
    R[inproc.$key]="$value"
  done <"$tmp/inproc.tsv"
  [[ "${R[inproc.argon2_source]:-}" == gatehouse ]] || note "argon2id: Gatehouse's hasher was not reachable; libsodium through Geralt with the same parameters stood in"
}

part_redis() {
  start_redis
  if ! start_server redis "$tmp/redis-run" Gatehouse__Sessions__Store=redis ConnectionStrings__Redis="127.0.0.1:$redis_port"; then
    note "redis: the server did not start; see bench/out/server-redis.log"
    failed=true
    stop_redis
    return 0
  fi
  if signup "pool@bench.example" && refresh_pool "$POOL_SIZE" "pool@bench.example" "$tmp/refresh-redis.txt"; then
    refresh_scenario refresh_redis "$tmp/refresh-redis.txt"
  else
    note "redis: could not log in to make the refresh-token pool; see bench/out/server-redis.log"
    failed=true
  fi
  stop_server
  stop_redis
}

part_embedded() {
  local data="$tmp/embedded"
  # Ready time on a fresh data folder (master key, schema and first signing key created), then on the second start.
  if ! start_server embedded-first "$data"; then
    note "embedded: the server did not start; see bench/out/server-embedded-first.log"
    failed=true
    return 0
  fi
  R[ready.first]=$ready_ms
  R[ready.first.cpu]=$ready_cpu_ms
  stop_server
  if ! start_server embedded "$data"; then
    note "embedded: the server did not start a second time; see bench/out/server-embedded.log"
    failed=true
    return 0
  fi
  R[ready.second]=$ready_ms
  R[ready.second.cpu]=$ready_cpu_ms

  if signup "pool@bench.example" && refresh_pool "$POOL_SIZE" "pool@bench.example" "$tmp/refresh-embedded.txt"; then
    refresh_scenario refresh_embedded "$tmp/refresh-embedded.txt"
  else
    note "embedded: could not make the refresh-token pool"
    failed=true
  fi

  login_many 1 "pool@bench.example" "$tmp/me-login.jsonl"
  sed -n 's/.*"accessToken":"\([^"]*\)".*/\1/p' "$tmp/me-login.jsonl" >"$tmp/access.txt"
  if [[ -s "$tmp/access.txt" ]]; then
    if ((WARMUP == 0)) || warm_up members_me members_me.lua /members/me "$tmp/access.txt" "$WRK_THREADS"; then
      run_wrk members_me members_me.lua /members/me "$tmp/access.txt" "$WRK_THREADS"
    fi
  else
    note "embedded: no access token for /members/me: $(head -c 300 "$tmp/me-login.jsonl")"
    failed=true
  fi

  : >"$tmp/credentials.txt"
  local i ok=true
  for i in $(seq "$LOGIN_MEMBERS"); do
    signup "login$i@bench.example" || { ok=false; break; }
    printf 'login%s@bench.example\t%s\n' "$i" "$PASSWORD" >>"$tmp/credentials.txt"
  done
  if $ok; then
    if ((WARMUP == 0)) || warm_up login login.lua /auth/login "$tmp/credentials.txt" "$WRK_THREADS"; then
      run_wrk login login.lua /auth/login "$tmp/credentials.txt" "$WRK_THREADS"
    fi
  else
    note "embedded: could not sign up the login members"
    failed=true
  fi
  stop_server

  # The raw argon2id rate again, right after the login run with the server stopped: the percentage compares figures
  # taken under the same conditions, which minutes apart on a shared machine they are not.
  if [[ -n "${R[login.rps]:-}" && -f "$BENCH_DLL" ]] \
    && dotnet "$BENCH_DLL" --only argon2 --duration "$INPROC_DURATION" --results "$tmp/argon2.tsv" >"$OUT_DIR/argon2-after-login.txt" 2>&1; then
    R[argon2.adjacent]="$(awk -F'\t' '$1 == "argon2_2t" { print $2 }' "$tmp/argon2.tsv")"
  fi
}

# ------------------------------------------------------------------------------------------- report
# fmt N: an integer with thousands separators; "n/a" when empty.
fmt() {
  [[ -n "${1:-}" && "$1" != "?" ]] || { echo "n/a"; return; }
  awk -v n="$1" 'BEGIN { s = sprintf("%.0f", n); r = ""; while (length(s) > 3) { r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3) } print s r }'
}

# met VALUE OP TARGET: yes / **no** / n/a.
met() {
  [[ -n "${1:-}" && "$1" != "?" && "$1" != "n/a" ]] || { echo "n/a"; return; }
  awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN { ok = (op == ">=") ? v >= t : v <= t; print ok ? "yes" : "**no**" }'
}

# A wrk scenario's rows. valid: the run had no non-200 answer.
scenario_rows() {
  local name=$1 label=$2 rps_target=$3 p99_target=${4:-}
  local rps="${R[$name.rps]:-}" p50="${R[$name.p50]:-}" p99="${R[$name.p99]:-}"
  local invalid=""
  [[ -n "${R[$name.invalid]:-}" ]] && invalid=" (INVALID run)"
  if [[ -n "$rps_target" ]]; then
    echo "| $label: requests/s$invalid | $(fmt "$rps") | ≥ $(fmt "$rps_target") | $(met "$rps" '>=' "$rps_target") |"
  else
    echo "| $label: requests/s$invalid | $(fmt "$rps") | - | - |"
  fi
  if [[ -n "$p99_target" ]]; then
    echo "| $label: p50 / p99 latency | ${p50:-n/a} / ${p99:-n/a} ms | p99 ≤ $p99_target ms | $(met "$p99" '<=' "$p99_target") |"
  else
    echo "| $label: p50 / p99 latency | ${p50:-n/a} / ${p99:-n/a} ms | - | - |"
  fi
  echo "| $label: non-200 answers (wrk non-2xx) | ${R[$name.non200]:-n/a} (${R[$name.non2xx]:-n/a}) | 0 | $([[ "${R[$name.non200]:-}" == 0 ]] && echo yes || echo "**no**") |"
  echo "| $label: server peak RSS | ${R[$name.rss]:-n/a} MB | ≤ 200 MB | $(met "${R[$name.rss]:-}" '<=' 200) |"
  local cpu="${R[$name.cpu_us]:-}" ceiling="n/a"
  [[ -n "$cpu" && "$cpu" != 0 ]] && ceiling="$(fmt "$(awk -v c="$cpu" 'BEGIN { print 2000000 / c }')")"
  local others
  others="wrk $(fmt "${R[$name.wrk_cpu_us]:-}") µs"
  [[ -n "${R[$name.redis_cpu_us]:-}" ]] && others+=", Redis $(fmt "${R[$name.redis_cpu_us]}") µs"
  echo "| $label: CPU per request, server (requests/s if it had both cores to itself); $others | $(fmt "$cpu") µs ($ceiling/s) | - | - |"
}

report() {
  local login_pct="" argon2="${R[argon2.adjacent]:-${R[inproc.argon2_2t]:-}}"
  if [[ -n "${R[login.rps]:-}" && -n "$argon2" ]]; then
    login_pct="$(awk -v l="${R[login.rps]}" -v h="$argon2" 'BEGIN { if (h > 0) printf "%.0f", 100 * l / h }')"
  fi
  local commit dirty=""
  commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  [[ -n "$(git status --porcelain 2>/dev/null | head -1)" ]] && dirty=" (working tree with uncommitted changes)"
  {
    echo "# Gatehouse benchmark"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit$dirty. $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)."
    echo "wrk -t$WRK_THREADS -c$WRK_CONNECTIONS, ${DURATION} s per scenario after ${WARMUP} s of warm-up, on the same cores as the server; in-process figures ${INPROC_DURATION} s each after 1 s of warm-up."
    echo "Load average before / after: $load_before / $(cut -d' ' -f1-3 /proc/loadavg) (anything else running makes every figure lower)."
    echo
    echo "| Figure | Measured | Target | Met |"
    echo "|---|---|---|---|"
    scenario_rows refresh_redis "Refresh rotation, Redis sessions" 10000 25
    scenario_rows refresh_embedded "Refresh rotation, embedded (SQLite)" 3000
    scenario_rows members_me "GET /members/me (Bearer), embedded" ""
    scenario_rows login "Password login, embedded" ""
    echo "| Password login as % of the raw argon2id rate (2 threads, measured right after: ${argon2:-n/a}/s) | ${login_pct:-n/a} % | ≥ 90 % | $(met "$login_pct" '>=' 90) |"
    echo "| Ready after start, embedded, fresh data folder (CPU time used) | $(fmt "${R[ready.first]:-}") ms ($(fmt "${R[ready.first.cpu]:-}") ms) | ≤ 2,000 ms | $(met "${R[ready.first]:-}" '<=' 2000) |"
    echo "| Ready after start, embedded, second start (CPU time used) | $(fmt "${R[ready.second]:-}") ms ($(fmt "${R[ready.second.cpu]:-}") ms) | ≤ 2,000 ms | $(met "${R[ready.second]:-}" '<=' 2000) |"
    echo "| Validation cold (distinct tokens), 1 thread | $(fmt "${R[inproc.validate_cold_1t]:-}")/s | ≥ 15,000/s per core | $(met "${R[inproc.validate_cold_1t]:-}" '>=' 15000) |"
    echo "| Validation cold, 2 threads ÷ 2 | $(fmt "${R[inproc.validate_cold_per_core]:-}")/s | ≥ 15,000/s per core | $(met "${R[inproc.validate_cold_per_core]:-}" '>=' 15000) |"
    echo "| Reference: validation cold with the validated-token cache off, 1 thread | $(fmt "${R[inproc.validate_cold_nocache_1t]:-}")/s | - | - |"
    echo "| Validation cached (16 tokens), 1 thread | $(fmt "${R[inproc.validate_cached_1t]:-}")/s | ≥ 500,000/s per core | $(met "${R[inproc.validate_cached_1t]:-}" '>=' 500000) |"
    echo "| Validation cached, 2 threads ÷ 2 | $(fmt "${R[inproc.validate_cached_per_core]:-}")/s | ≥ 500,000/s per core | $(met "${R[inproc.validate_cached_per_core]:-}" '>=' 500000) |"
    echo "| argon2id m=19456 KiB t=2 p=1, 1 thread / 2 threads (in-process run) | ${R[inproc.argon2_1t]:-n/a} / ${R[inproc.argon2_2t]:-n/a} per s | - | - |"
    echo "| ES256 access token (AccessTokenIssuer.Issue), 1 thread | ${R[inproc.sign_issue_us]:-n/a} µs | - | - |"
    echo "| Reference: bare P-256 sign / verify, 1 thread | ${R[inproc.sign_raw_us]:-n/a} µs / $(fmt "${R[inproc.verify_raw_1t]:-}")/s | - | - |"
    if ((${#NOTES[@]} > 0)); then
      echo
      echo "Problems in this run:"
      echo
      local n
      for n in "${NOTES[@]}"; do
        echo "- $n"
      done
    fi
    echo
    echo "Raw output: bench/out/ (wrk-*.txt, inproc.txt, server-*.log)."
  } >"$OUT_DIR/latest.md"
  echo
  cat "$OUT_DIR/latest.md"
}

# ------------------------------------------------------------------------------------------- main
main() {
  ensure_tools
  load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
  rm -f "$OUT_DIR"/wrk-*.txt "$OUT_DIR"/server-*.log "$OUT_DIR"/inproc.txt "$OUT_DIR"/argon2-after-login.txt

  local server_built=true
  if [[ "${BENCH_NO_BUILD:-}" != 1 ]]; then
    build src/Gatehouse.Server/Gatehouse.Server.csproj || { server_built=false; note "the server did not build; see bench/out/build-Gatehouse.Server.log"; failed=true; }
    build bench/Gatehouse.Bench/Gatehouse.Bench.csproj || { rm -f "$BENCH_DLL"; note "bench/Gatehouse.Bench did not build; see bench/out/build-Gatehouse.Bench.log"; failed=true; }
  fi
  [[ -f "$SERVER_DIR/Gatehouse.Server.dll" ]] || server_built=false

  local part
  for part in $PARTS; do
    case $part in
      inproc) part_inproc ;;
      redis | embedded)
        if $server_built; then
          "part_$part"
        else
          note "$part: skipped, no server build"
        fi
        ;;
      *) die "unknown part '$part' in BENCH_PARTS (inproc, redis, embedded)" ;;
    esac
  done

  report
  if $failed; then
    exit 1
  fi
}

main "$@"
