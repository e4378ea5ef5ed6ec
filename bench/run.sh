#!/usr/bin/env bash
# The Gatehouse benchmark: one command, bounded in time, loopback only. Builds the server and bench/Gatehouse.Bench
# in Release, measures in process (token validation, argon2id, ES256), then starts its own Redis and the server as a
# real process twice - sessions in Redis, then the embedded default (SQLite for everything) - and loads it with wrk;
# then social login on PostgreSQL + Redis against a provider fake on loopback (Gatehouse.Bench social).
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
#   BENCH_PARTS           which parts to run, any of: inproc redis embedded social (default all four)
#   BENCH_NO_BUILD=1      reuse the last publish of the server and build of the bench
#   BENCH_SERVER_ENV      extra NAME=VALUE settings for every server process, space-separated, to measure a trade-off
#                         against the shipped settings (e.g. "DOTNET_gcConcurrent=1" or "DOTNET_TieredPGO=1"); the
#                         report lists them
#   GATEHOUSE_ARTIFACTS   the build output folder (default artifacts/), as for every dotnet build of the repo
# The social part (PostgreSQL 15 + Redis, a Kakao fake inside Gatehouse.Bench):
#   BENCH_SOCIAL_COUNT             measured completions (default 30000), after BENCH_SOCIAL_WARMUP (default 10000) unmeasured ones
#   BENCH_SOCIAL_CONCURRENCY       completions in flight in the throughput run (default 64)
#   BENCH_SOCIAL_RETURNING         share of returning members among the measured completions (default 0.5)
#   BENCH_SOCIAL_INFLIGHT          logins kept in flight against the slow provider (default 500)
#   BENCH_SOCIAL_ROUNDS            logins each of those makes in turn (default 10)
#   BENCH_SOCIAL_DELAY_MS          the slow provider's token-endpoint delay (default 1000)
#   BENCH_SOCIAL_POOL              PostgreSQL pool cap (Maximum Pool Size) of the slow-provider run (default 10)
#   BENCH_SOCIAL_REFRESH_RATE      paced refresh rotations per second measured beside it, and idle (default 500)
#   BENCH_SOCIAL_REFRESH_DURATION  seconds of the idle refresh measurement (default 10)
#   BENCH_SOCIAL_PHASES            which social runs, any of: throughput inflight (default both)
#   BENCH_SOCIAL_PG_OPTIONS        appended to both PostgreSQL connection strings, e.g. ";Max Auto Prepare=20" (default none)
#
# Exit status: 0 when every part ran and every run was valid (no non-200 answer); 1 otherwise. Missing a target
# does not fail the script: the table says which ones were missed.
set -euo pipefail

readonly DURATION="${BENCH_DURATION:-20}"
readonly WARMUP="${BENCH_WARMUP:-5}"
readonly INPROC_DURATION="${BENCH_INPROC_DURATION:-5}"
readonly POOL_SIZE="${BENCH_POOL:-256}"
readonly LOGIN_MEMBERS="${BENCH_LOGIN_MEMBERS:-8}"
readonly PARTS="${BENCH_PARTS:-inproc redis embedded social}"
read -r -a SERVER_ENV <<<"${BENCH_SERVER_ENV:-}"
readonly SOCIAL_COUNT="${BENCH_SOCIAL_COUNT:-30000}"
readonly SOCIAL_WARMUP="${BENCH_SOCIAL_WARMUP:-10000}"
readonly SOCIAL_CONCURRENCY="${BENCH_SOCIAL_CONCURRENCY:-64}"
readonly SOCIAL_RETURNING="${BENCH_SOCIAL_RETURNING:-0.5}"
readonly SOCIAL_INFLIGHT="${BENCH_SOCIAL_INFLIGHT:-500}"
readonly SOCIAL_ROUNDS="${BENCH_SOCIAL_ROUNDS:-10}"
readonly SOCIAL_DELAY_MS="${BENCH_SOCIAL_DELAY_MS:-1000}"
readonly SOCIAL_POOL="${BENCH_SOCIAL_POOL:-10}"
readonly SOCIAL_REFRESH_RATE="${BENCH_SOCIAL_REFRESH_RATE:-500}"
readonly SOCIAL_REFRESH_DURATION="${BENCH_SOCIAL_REFRESH_DURATION:-10}"
readonly SOCIAL_PG_OPTIONS="${BENCH_SOCIAL_PG_OPTIONS:-}"
readonly SOCIAL_PHASES="${BENCH_SOCIAL_PHASES:-throughput inflight}"
readonly PG_VERSION=15
readonly PG_BIN="/usr/lib/postgresql/$PG_VERSION/bin"
readonly WRK_THREADS=2
readonly WRK_CONNECTIONS=64
readonly PASSWORD="bench-Correct-Horse-7341"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# GATEHOUSE_ARTIFACTS moves the build output (Directory.Build.props reads it too): made absolute here, before the cd.
artifacts="${GATEHOUSE_ARTIFACTS:-$repo_root/artifacts}"
[[ "$artifacts" == /* ]] || artifacts="$PWD/$artifacts"
export GATEHOUSE_ARTIFACTS="$artifacts"
cd "$repo_root"
# The server runs as it is deployed: published for this machine's runtime identifier with ReadyToRun (precompiled code,
# so start-up does not JIT the whole host; the project turns ReadyToRun on whenever a runtime identifier is given).
case "$(uname -m)" in
  x86_64) readonly RID=linux-x64 ;;
  aarch64 | arm64) readonly RID=linux-arm64 ;;
  *) readonly RID="linux-$(uname -m)" ;;
esac
readonly SERVER_DIR="$artifacts/publish/Gatehouse.Server/bench_$RID"
readonly BENCH_DLL="$artifacts/bin/Gatehouse.Bench/release/Gatehouse.Bench.dll"
readonly OUT_DIR="$repo_root/bench/out"
mkdir -p "$OUT_DIR"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-bench.XXXXXX")"
server_pid=""
redis_pid=""
sampler_pid=""
pg_started=false
failed=false
declare -A R=()     # figures, by key
declare -a NOTES=() # invalid runs and failed parts, for the report
declare -a SETTLED=() # how idle the cores were before each part

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
  stop_postgres
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
  if [[ " $PARTS " == *" social "* ]]; then
    [[ -x "$PG_BIN/postgres" && -x "$PG_BIN/pg_ctl" && -x "$PG_BIN/initdb" ]] || missing+=("postgresql-$PG_VERSION")
    command -v psql >/dev/null || missing+=(postgresql-client)
  fi
  if ((${#missing[@]} > 0)); then
    local sudo=""
    [[ "$(id -u)" == 0 ]] || sudo=sudo
    log "installing ${missing[*]} (apt-get)"
    # Keep the packages' own services (PostgreSQL's default cluster, Redis on 6379) from starting: policy-rc.d
    # answering 101 tells invoke-rc.d not to start anything; only if there is none already.
    local policy=/usr/sbin/policy-rc.d policy_added=false status=0
    if [[ ! -e "$policy" ]]; then
      printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null && $sudo chmod 755 "$policy" && policy_added=true
    fi
    $sudo apt-get update -qq || status=$?
    if ((status == 0)); then
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$tmp/apt.log" 2>&1 || status=$?
    fi
    if $policy_added; then $sudo rm -f "$policy"; fi
    ((status == 0)) || { tail -20 "$tmp/apt.log" >&2 || true; die "apt-get install ${missing[*]} failed"; }
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

# Publishes the server (Release, framework-dependent, ReadyToRun for $RID) into SERVER_DIR.
publish_server() {
  log "publishing Gatehouse.Server (Release, $RID, ReadyToRun)"
  if ! dotnet publish -c Release -nologo -r "$RID" --self-contained false -o "$SERVER_DIR" src/Gatehouse.Server/Gatehouse.Server.csproj \
    >"$OUT_DIR/build-Gatehouse.Server.log" 2>&1; then
    grep -E 'error [A-Z]+[0-9]+' "$OUT_DIR/build-Gatehouse.Server.log" | sort -u | head -20 >&2 || tail -20 "$OUT_DIR/build-Gatehouse.Server.log" >&2
    return 1
  fi
}

# ------------------------------------------------------------------------------------------- processes
# A loopback port nothing listens on (never Redis's 6379, PostgreSQL's 5432, or the ports of the test scripts and
# the development server: 55432, 56379, 55532, 56479, 5080), below the kernel's ephemeral range: a port taken there
# could be the local end of some connection (or its TIME-WAIT) by the time the listener binds it.
free_port() {
  local port low=20000 high=50000 ephemeral
  ephemeral="$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)" || true
  [[ "$ephemeral" =~ ^[0-9]+$ ]] && ((ephemeral > low + 1000)) && high=$ephemeral
  for _ in $(seq 200); do
    port=$((low + RANDOM % (high - low)))
    case $port in 6379 | 5432 | 56379 | 55432 | 55532 | 56479 | 5080) continue ;; esac
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

# Runs a PostgreSQL program as the postgres user when we are root (initdb and postgres refuse root).
as_pg() {
  if [[ "$(id -u)" == 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# start_postgres DB...: a throw-away PostgreSQL cluster in the temp folder on a free loopback port, with PostgreSQL's
# default durability (fsync, synchronous_commit on), and the databases named. Sets pg_port and pg_pid (the postmaster).
start_postgres() {
  local dir="$tmp/pg"
  mkdir -p "$dir/data" "$dir/sock"
  chmod 711 "$tmp" # the postgres user must reach $tmp/pg; the rest of the folder stays unlisted
  chmod 755 "$dir"
  chmod 700 "$dir/data"
  if [[ "$(id -u)" == 0 ]]; then chown -R postgres:postgres "$dir"; fi
  pg_port="$(free_port)"
  as_pg "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-sync >"$dir/sock/initdb.log" 2>&1 \
    || { cat "$dir/sock/initdb.log" >&2; return 1; }
  pg_started=true
  # pg_ctl puts the postmaster in its own session: a Ctrl-C reaches only this script, whose trap stops it.
  as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/sock/postgres.log" -w -t 60 start -o \
    "-c listen_addresses=127.0.0.1 -c port=$pg_port -c unix_socket_directories=$dir/sock -c max_connections=200" \
    >/dev/null || { cat "$dir/sock/postgres.log" >&2 || true; return 1; }
  pg_pid="$(head -n1 "$dir/data/postmaster.pid")"
  local db
  for db in "$@"; do
    psql -q -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -c "CREATE DATABASE $db" >/dev/null || return 1
  done
  log "PostgreSQL $PG_VERSION on 127.0.0.1:$pg_port (postmaster pid $pg_pid)"
}

stop_postgres() {
  $pg_started || return 0
  pg_started=false
  local data="$tmp/pg/data" pid
  pid="$(head -n1 "$data/postmaster.pid" 2>/dev/null)" || return 0
  if ! as_pg "$PG_BIN/pg_ctl" -D "$data" stop -m fast -w -t 30 >/dev/null 2>&1; then
    # Only the postmaster this script started, by its pid, and only while it still is a postgres process.
    if [[ "$pid" =~ ^[0-9]+$ && "$(cat "/proc/$pid/comm" 2>/dev/null)" == postgres ]]; then
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
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
    ${SERVER_ENV[@]+"${SERVER_ENV[@]}"} \
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
  R[$name.rps_exact]="$(awk '/^Requests\/sec:/ { print $2 }' "$out")"
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
      # The raw argon2id rate right before and right after the login run (the server idle in between): the percentage
      # compares figures taken over the same minute. On a shared host the 2-thread rate moves by a quarter from one
      # run to the next, so one sample minutes apart says more about the host than about Gatehouse.
      raw_argon2 before
      run_wrk login login.lua /auth/login "$tmp/credentials.txt" "$WRK_THREADS"
      raw_argon2 after
    fi
  else
    note "embedded: could not sign up the login members"
    failed=true
  fi
  stop_server
}

# raw_argon2 WHEN: Gatehouse's hasher flat out on 2 threads in its own process for 10 s, into R[argon2.WHEN].
raw_argon2() {
  [[ -f "$BENCH_DLL" ]] || return 0
  if dotnet "$BENCH_DLL" --only argon2 --duration 10 --results "$tmp/argon2-$1.tsv" >"$OUT_DIR/argon2-$1-login.txt" 2>&1; then
    R[argon2.$1]="$(awk -F'\t' '$1 == "argon2_2t" { print $2 }' "$tmp/argon2-$1.tsv")"
  fi
}

# social_server NAME DATABASE [CONNECTION STRING SUFFIX]: the server on PostgreSQL (DATABASE) + Redis, with the
# kakao provider pointing at the fake (which Gatehouse.Bench serves on $fake_port once it runs; the server calls it
# only during logins) and $frontend as the allowed frontend origin.
social_server() {
  local name=$1 db=$2 suffix=${3:-}
  local fake="http://127.0.0.1:$fake_port"
  start_server "$name" "$tmp/$name" \
    Gatehouse__Database__Provider=postgres \
    ConnectionStrings__Gatehouse="Host=127.0.0.1;Port=$pg_port;Database=$db;Username=postgres;Password=unused$SOCIAL_PG_OPTIONS$suffix" \
    Gatehouse__Sessions__Store=redis ConnectionStrings__Redis="127.0.0.1:$redis_port" \
    Gatehouse__Frontend__Origins__0="$frontend" \
    Gatehouse__Metrics__Runtime="$([[ $name == social-inflight ]] && echo true || echo false)" \
    Gatehouse__Social__Providers__kakao__ClientId=bench-kakao-rest-api-key \
    Gatehouse__Social__Providers__kakao__ClientSecret=bench-kakao-client-secret \
    Gatehouse__Social__Providers__kakao__AuthorizationEndpoint="$fake/oauth/authorize" \
    Gatehouse__Social__Providers__kakao__TokenEndpoint="$fake/oauth/token" \
    Gatehouse__Social__Providers__kakao__UserInfoEndpoint="$fake/v2/user/me"
}

# social_bench NAME PHASE [options...]: Gatehouse.Bench's social part against the running server, bounded in time;
# its figures into R[NAME.*]. Returns non-zero when it failed or saw an unexpected answer.
social_bench() {
  local name=$1 phase=$2
  shift 2
  local out="$OUT_DIR/social-$phase.txt" status=0
  # The load generator should take as little of the shared cores as it can: its thread pool does not spin before it
  # sleeps (at 500 paced refreshes a second the spinning cost it a quarter of a core). The server keeps its defaults.
  DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0 timeout --kill-after=10 900 dotnet "$BENCH_DLL" social --server "$server_url" --fake-port "$fake_port" --frontend "$frontend" \
    --phase "$phase" --returning-share "$SOCIAL_RETURNING" --cpu "server=$server_pid,redis=$redis_pid,postgres=$pg_pid+" \
    --clk-tck "$(getconf CLK_TCK)" --results "$tmp/$name.tsv" "$@" 2>&1 | tee "$out" || status=$?
  local key value
  if [[ -f "$tmp/$name.tsv" ]]; then
    while IFS=$'\t' read -r key value; do
      R[$name.$key]="$value"
    done <"$tmp/$name.tsv"
  fi
  return "$status"
}

part_social() {
  if [[ ! -f "$BENCH_DLL" ]]; then
    note "social: bench/Gatehouse.Bench did not build; its figures are missing"
    failed=true
    return 0
  fi
  start_redis
  if ! start_postgres gh_social gh_social_pool; then
    note "social: PostgreSQL did not start"
    failed=true
    stop_redis
    return 0
  fi
  fake_port="$(free_port)"
  # The frontend origin only has to be allowed: the fake answers 302 to it and the client reads the Location.
  frontend="http://127.0.0.1:$(free_port)"

  # 1. Completions per second with an instant provider (PostgreSQL's default pool of 100).
  if [[ " $SOCIAL_PHASES " != *" throughput "* ]]; then
    :
  elif social_server social-throughput gh_social; then
    start_sampler "$server_pid" "$tmp/rss-social"
    log "social: throughput ($SOCIAL_WARMUP warm-up, $SOCIAL_COUNT measured completions, $SOCIAL_CONCURRENCY in flight)"
    if ! social_bench social throughput --count "$SOCIAL_COUNT" --warmup-count "$SOCIAL_WARMUP" --concurrency "$SOCIAL_CONCURRENCY"; then
      note "social: the throughput run failed or was invalid; see bench/out/social-throughput.txt and bench/out/server-social-throughput.log"
      R[social.invalid]=1
      failed=true
    fi
    stop_sampler
    R[social.rss]="$(sort -n "$tmp/rss-social" | awk 'END { if (NR > 0) printf "%.0f", $1 / 1024 }')"
    stop_server
  else
    note "social: the server did not start; see bench/out/server-social-throughput.log"
    failed=true
  fi

  # 2. A provider that answers after BENCH_SOCIAL_DELAY_MS, with the database pool capped: the logins in flight must
  # all complete, and the refresh p99 beside them stay near its idle value. The backends of the Gatehouse database
  # (client backends: not autovacuum's workers) are counted every 0.2 s: the cap must hold.
  if [[ " $SOCIAL_PHASES " != *" inflight "* ]]; then
    :
  elif social_server social-inflight gh_social_pool ";Maximum Pool Size=$SOCIAL_POOL"; then
    local conn_file="$tmp/pg-connections"
    : >"$conn_file"
    (
      while kill -0 "$server_pid" 2>/dev/null; do
        psql -Atq -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres \
          -c "SELECT count(*) FROM pg_stat_activity WHERE datname = 'gh_social_pool' AND backend_type = 'client backend'" >>"$conn_file" 2>/dev/null || true
        sleep 0.2
      done
    ) &
    sampler_pid=$!
    log "social: $SOCIAL_INFLIGHT logins in flight, provider delay $SOCIAL_DELAY_MS ms, Maximum Pool Size=$SOCIAL_POOL"
    if ! social_bench inflight inflight --warmup-count "$SOCIAL_WARMUP" --concurrency "$SOCIAL_CONCURRENCY" --inflight "$SOCIAL_INFLIGHT" \
      --rounds "$SOCIAL_ROUNDS" --delay-ms "$SOCIAL_DELAY_MS" --refresh-rate "$SOCIAL_REFRESH_RATE" --refresh-duration "$SOCIAL_REFRESH_DURATION"; then
      note "social: the slow-provider run failed or was invalid; see bench/out/social-inflight.txt and bench/out/server-social-inflight.log"
      R[inflight.invalid]=1
      failed=true
    fi
    stop_sampler
    R[inflight.pg_connections]="$(sort -n "$conn_file" | tail -1)"
    # Npgsql's words when a connection cannot be had within its Timeout.
    R[inflight.pool_timeouts]="$(grep -c -i 'connection pool has been exhausted' "$OUT_DIR/server-social-inflight.log" || true)"
    stop_server
  else
    note "social: the server with the capped pool did not start; see bench/out/server-social-inflight.log"
    failed=true
  fi
  stop_postgres
  stop_redis
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

# dec N: one decimal; "n/a" when empty.
dec() {
  [[ -n "${1:-}" && "$1" != "?" ]] || { echo "n/a"; return; }
  awk -v n="$1" 'BEGIN { printf "%.1f", n }'
}

# The social part's rows (bench/Gatehouse.Bench/Social): R[social.*] from the throughput run, R[inflight.*] from
# the slow-provider run.
social_rows() {
  local invalid="" returning_pct
  [[ -n "${R[social.invalid]:-}" ]] && invalid=" (INVALID run)"
  returning_pct="$(awk -v r="${R[social.social_returning]:-0}" -v n="${R[social.social_completions]:-0}" 'BEGIN { if (n > 0) printf "%.0f", 100 * r / n; else print "?" }')"
  local rps="${R[social.social_rps]:-}" pg="PostgreSQL"
  [[ -n "$SOCIAL_PG_OPTIONS" ]] && pg="PostgreSQL (connection string + \`$SOCIAL_PG_OPTIONS\`)"
  echo "| Social login completions/s$invalid (POST /auth/login {provider, code, state}; $pg + Redis, instant Kakao fake; ${returning_pct} % returning members, the rest new; $SOCIAL_CONCURRENCY in flight) | $(fmt "$rps") | ≥ 3,000 | $(met "$rps" '>=' 3000) |"
  echo "| Social: completions in a full second, min / median / max | $(fmt "${R[social.social_sec_min]:-}") / $(fmt "${R[social.social_sec_median]:-}") / $(fmt "${R[social.social_sec_max]:-}") | - | - |"
  echo "| Social: p50 / p99 latency | $(dec "${R[social.social_p50_ms]:-}") / $(dec "${R[social.social_p99_ms]:-}") ms | - | - |"
  echo "| Social: unexpected answers (anything but 201 new / 200 returning with tokens) | ${R[social.social_failures]:-n/a} | 0 | $([[ "${R[social.social_failures]:-}" == 0 ]] && echo yes || echo "**no**") |"
  local cpu_server="${R[social.social_cpu_server_us]:-}" ceiling="n/a"
  [[ -n "$cpu_server" && "$cpu_server" != 0 ]] && ceiling="$(fmt "$(awk -v c="$cpu_server" 'BEGIN { print 2000000 / c }')")"
  echo "| Social: CPU per completion, server (completions/s if it had both cores to itself); PostgreSQL $(fmt "${R[social.social_cpu_postgres_us]:-}") µs, Redis $(fmt "${R[social.social_cpu_redis_us]:-}") µs, bench (fake + client) $(fmt "${R[social.social_cpu_bench_us]:-}") µs; all $(fmt "${R[social.social_cpu_total_us]:-}") µs | $(fmt "$cpu_server") µs ($ceiling/s) | - | - |"
  echo "| Social: cores used by server + PostgreSQL + Redis + bench during the batch (of $(nproc); the rest went to anything else running) | $(dec "${R[social.social_cores_total]:-}") | - | - |"
  echo "| Social: server peak RSS | ${R[social.rss]:-n/a} MB | ≤ 200 MB | $(met "${R[social.rss]:-}" '<=' 200) |"
  invalid=""
  [[ -n "${R[inflight.invalid]:-}" ]] && invalid=" (INVALID run)"
  local logins="${R[inflight.inflight_logins]:-}" ok="${R[inflight.inflight_ok]:-}" all_ok="**no**"
  [[ -n "$logins" && "$ok" == "$logins" && "${R[inflight.inflight_peak]:-0}" -ge "$SOCIAL_INFLIGHT" ]] && all_ok=yes
  echo "| Slow provider ($SOCIAL_DELAY_MS ms token endpoint), Maximum Pool Size=$SOCIAL_POOL$invalid: logins in flight (peak); succeeded of all ($SOCIAL_ROUNDS in turn each) | ${R[inflight.inflight_peak]:-n/a}; $(fmt "$ok") of $(fmt "$logins") | $SOCIAL_INFLIGHT; all | $all_ok |"
  echo "| Slow provider: completion time min / p50 / p90 / p99 / max | $(fmt "${R[inflight.inflight_min_ms]:-}") / $(fmt "${R[inflight.inflight_p50_ms]:-}") / $(fmt "${R[inflight.inflight_p90_ms]:-}") / $(fmt "${R[inflight.inflight_p99_ms]:-}") / $(fmt "${R[inflight.inflight_max_ms]:-}") ms | - | - |"
  local timeouts="${R[inflight.pool_timeouts]:-}" conns="${R[inflight.pg_connections]:-}"
  echo "| Slow provider: Gatehouse's PostgreSQL connections (peak, sampled every 0.2 s); pool-exhausted errors in the server log | ${conns:-n/a}; ${timeouts:-n/a} | ≤ $SOCIAL_POOL; 0 | $([[ -n "$conns" && "$conns" -le "$SOCIAL_POOL" && "$timeouts" == 0 ]] && echo yes || echo "**no**") |"
  local idle="${R[inflight.refresh_idle_p99_ms]:-}" loaded="${R[inflight.refresh_loaded_p99_ms]:-}" ratio="${R[inflight.refresh_ratio]:-}"
  echo "| Refresh p99 (POST /auth/token, paced ${SOCIAL_REFRESH_RATE}/s): idle → with the logins in flight (p50 $(dec "${R[inflight.refresh_idle_p50_ms]:-}") → $(dec "${R[inflight.refresh_loaded_p50_ms]:-}") ms; ${R[inflight.refresh_failures]:-n/a} failures) | $(dec "$idle") → $(dec "$loaded") ms (×$(awk -v r="${ratio:-}" 'BEGIN { if (r == "") print "n/a"; else printf "%.2f", r }')) | ≤ ×1.5 | $(met "$ratio" '<=' 1.5) |"
  echo "| Slow provider: logins completed per second; cores used idle → with the logins in flight: server, all measured processes (of $(nproc)) | $(fmt "${R[inflight.inflight_rate]:-}")/s; $(dec "${R[inflight.idle_cores_server]:-}") → $(dec "${R[inflight.loaded_cores_server]:-}"), $(dec "${R[inflight.idle_cores_total]:-}") → $(dec "${R[inflight.loaded_cores_total]:-}") | - | - |"
  echo "| Slow provider, the server's own view (its /metrics): refreshes it answered within 5 ms / 25 ms, idle → with the logins in flight; its GC pauses in that window | ${R[inflight.refresh_server_idle_5ms]:-n/a} / ${R[inflight.refresh_server_idle_25ms]:-n/a} % → ${R[inflight.refresh_server_loaded_5ms]:-n/a} / ${R[inflight.refresh_server_loaded_25ms]:-n/a} %; $(fmt "${R[inflight.gc_loaded_pause_ms]:-}") ms in ${R[inflight.gc_loaded_collections]:-n/a} collections (idle: $(fmt "${R[inflight.gc_idle_pause_ms]:-}") ms in ${R[inflight.gc_idle_collections]:-n/a}) | - | - |"
}

report() {
  # The denominator: the mean of the raw rates measured right before and right after the login run.
  local login_pct="" argon2="" argon2_how="n/a"
  if [[ -n "${R[argon2.before]:-}" && -n "${R[argon2.after]:-}" ]]; then
    argon2="$(awk -v a="${R[argon2.before]}" -v b="${R[argon2.after]}" 'BEGIN { printf "%.1f", (a + b) / 2 }')"
    argon2_how="mean of ${R[argon2.before]}/s right before and ${R[argon2.after]}/s right after: $argon2/s"
  elif [[ -n "${R[inproc.argon2_2t]:-}" ]]; then
    argon2="${R[inproc.argon2_2t]}"
    argon2_how="the in-process run's, minutes apart: $argon2/s"
  fi
  if [[ -n "${R[login.rps]:-}" && -n "$argon2" ]]; then
    login_pct="$(awk -v l="${R[login.rps_exact]:-${R[login.rps]}}" -v h="$argon2" 'BEGIN { if (h > 0) printf "%.0f", 100 * l / h }')"
  fi
  local commit dirty=""
  commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  [[ -n "$(git status --porcelain 2>/dev/null | head -1)" ]] && dirty=" (working tree with uncommitted changes)"
  {
    echo "# Gatehouse benchmark"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit$dirty. $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)."
    echo "wrk -t$WRK_THREADS -c$WRK_CONNECTIONS, ${DURATION} s per scenario after ${WARMUP} s of warm-up, on the same cores as the server; in-process figures ${INPROC_DURATION} s each after 1 s of warm-up."
    echo "Load average before / after: $load_before / $(cut -d' ' -f1-3 /proc/loadavg) (anything else running makes every figure lower). Quiet before each part (idle over 2 s, waiting up to 60 s for 90 %): $(IFS=';'; echo "${SETTLED[*]:-n/a}" | sed 's/;/; /g')."
    if ((${#SERVER_ENV[@]} > 0)); then
      echo "**Not the shipped settings:** every server ran with BENCH_SERVER_ENV=\"${SERVER_ENV[*]}\"."
    fi
    echo
    echo "| Figure | Measured | Target | Met |"
    echo "|---|---|---|---|"
    scenario_rows refresh_redis "Refresh rotation, Redis sessions" 10000 25
    scenario_rows refresh_embedded "Refresh rotation, embedded (SQLite)" 3000
    scenario_rows members_me "GET /members/me (Bearer), embedded" ""
    scenario_rows login "Password login, embedded" ""
    echo "| Password login as % of the raw argon2id rate (2 threads; $argon2_how) | ${login_pct:-n/a} % | ≥ 90 % | $(met "$login_pct" '>=' 90) |"
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
    echo "| Reference: bare P-256 verify, 2 threads ÷ 2 (the floor under the 2-thread cold figure) | $(fmt "${R[inproc.verify_raw_per_core]:-}")/s | - | - |"
    if [[ " $PARTS " == *" social "* ]]; then
      social_rows
    fi
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
    echo "Raw output: bench/out/ (wrk-*.txt, inproc.txt, social-*.txt, server-*.log)."
  } >"$OUT_DIR/latest.md"
  echo
  cat "$OUT_DIR/latest.md"
}

# ------------------------------------------------------------------------------------------- main
# settle PART: before each part, wait (at most 60 s) until the cores are at least 90 % idle over 2 s, so the builds
# just finished, or a neighbour's burst, do not land in the figures; what was seen goes into the report.
settle() {
  local waited=0 idle=0
  while :; do
    idle="$(
      read -r _ a1 b1 c1 d1 e1 f1 g1 h1 _ </proc/stat
      sleep 2
      read -r _ a2 b2 c2 d2 e2 f2 g2 h2 _ </proc/stat
      awk -v t=$(((a2 + b2 + c2 + d2 + e2 + f2 + g2 + h2) - (a1 + b1 + c1 + d1 + e1 + f1 + g1 + h1))) -v i=$(((d2 + e2) - (d1 + e1))) \
        'BEGIN { printf "%.0f", (t > 0 ? 100 * i / t : 100) }'
    )"
    waited=$((waited + 2))
    ((idle >= 90 || waited >= 60)) && break
  done
  SETTLED+=("$1: ${idle} % idle after ${waited} s")
  ((idle >= 90)) || note "$1: the cores were still only ${idle} % idle after ${waited} s of waiting; its figures are lower than this machine can do"
}

main() {
  ensure_tools
  load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
  rm -f "$OUT_DIR"/wrk-*.txt "$OUT_DIR"/server-*.log "$OUT_DIR"/inproc.txt "$OUT_DIR"/argon2-*.txt "$OUT_DIR"/social-*.txt

  local server_built=true
  if [[ "${BENCH_NO_BUILD:-}" != 1 ]]; then
    publish_server || { server_built=false; note "the server did not publish; see bench/out/build-Gatehouse.Server.log"; failed=true; }
    build bench/Gatehouse.Bench/Gatehouse.Bench.csproj || { rm -f "$BENCH_DLL"; note "bench/Gatehouse.Bench did not build; see bench/out/build-Gatehouse.Bench.log"; failed=true; }
  fi
  [[ -f "$SERVER_DIR/Gatehouse.Server.dll" ]] || server_built=false

  local part
  for part in $PARTS; do
    settle "$part"
    case $part in
      inproc) part_inproc ;;
      redis | embedded | social)
        if $server_built; then
          "part_$part"
        else
          note "$part: skipped, no server build"
        fi
        ;;
      *) die "unknown part '$part' in BENCH_PARTS (inproc, redis, embedded, social)" ;;
    esac
  done

  report
  if $failed; then
    exit 1
  fi
}

main "$@"
