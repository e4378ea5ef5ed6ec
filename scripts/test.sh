#!/usr/bin/env bash
# The one test command: builds the solution once, starts a throw-away PostgreSQL 15 and Redis on
# 127.0.0.1:55432 / 127.0.0.1:56379, runs every tests/*/*.Tests.csproj in the embedded and then the
# distributed profile, and ends with one line: "N passed, N failed, N skipped".
#
#   scripts/test.sh                                   everything (what CI runs, through .ci/run)
#   scripts/test.sh --profile embedded                one profile (embedded | distributed | all)
#   scripts/test.sh --project Gatehouse.Server.Tests  one project (repeatable; name, folder or csproj path)
#   scripts/test.sh --no-build                        reuse the last Release build
#   scripts/test.sh -- --filter-class '*Refresh*'     anything after -- goes to the test runner (xunit v3 on
#                                                     Microsoft.Testing.Platform: --filter-class, --filter-method,
#                                                     --filter-namespace, --filter-trait, --filter-query, ...)
#
# A tests/ project with a file named .embedded-only next to its csproj runs in the embedded profile only.
# The TypeScript client (clients/js; --project clients/js selects it alone) is checked once, before the .NET runs:
# npm ci, typecheck, build, demo/lib/gatehouse-client.js equal to a fresh build, and vitest, whose counts join the total.
# Installs postgresql-15 and redis-server with apt-get when they are missing, and for the browser tests Debian's
# chromium and the OpenID provider's npm packages (npm ci in tests/oidc-provider). Needs the .NET 10 SDK and Node 20.19+ with npm
# (not installed by this script: Debian 12's own nodejs is 18).
#
# Environment: GATEHOUSE_TEST_TIMEOUT (default 10m) bounds each test run (Microsoft.Testing.Platform --timeout);
# GATEHOUSE_TEST_PG_PORT / GATEHOUSE_TEST_REDIS_PORT move the servers off 55432 / 56379; GATEHOUSE_TEST_CHROMIUM
# names another Chromium binary (default /usr/bin/chromium, installed when missing).
set -euo pipefail

readonly PG_VERSION=15
readonly PG_BIN="/usr/lib/postgresql/${PG_VERSION}/bin"
# The ports can be moved (e.g. to run two checkouts at once); the tests read them from the exports below.
readonly PG_PORT="${GATEHOUSE_TEST_PG_PORT:-55432}"
readonly REDIS_PORT="${GATEHOUSE_TEST_REDIS_PORT:-56379}"
# The browser tests (tests/Gatehouse.Browser.Tests) drive this Chromium and start this OpenID provider.
readonly CHROMIUM="${GATEHOUSE_TEST_CHROMIUM:-/usr/bin/chromium}"
readonly BROWSER_TESTS=tests/Gatehouse.Browser.Tests
# The TypeScript client SDK: npm ci, typecheck, build, the demo's bundle check and vitest (see run_js_client).
readonly JS_CLIENT=clients/js

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

usage() {
  sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

# ---------------------------------------------------------------------------------------------- arguments
profiles=(embedded distributed)
only_projects=()
runner_args=()
do_build=true
while [[ $# -gt 0 ]]; do
  case "$1" in
    --profile)
      [[ $# -ge 2 ]] || { echo "test.sh: --profile needs a value" >&2; exit 2; }
      case "$2" in
        embedded | distributed) profiles=("$2") ;;
        all | both) profiles=(embedded distributed) ;;
        *) echo "test.sh: unknown profile '$2' (embedded, distributed or all)" >&2; exit 2 ;;
      esac
      shift 2 ;;
    --profile=*) set -- --profile "${1#*=}" "${@:2}" ;;
    --project)
      [[ $# -ge 2 ]] || { echo "test.sh: --project needs a value" >&2; exit 2; }
      only_projects+=("$2"); shift 2 ;;
    --project=*) set -- --project "${1#*=}" "${@:2}" ;;
    --no-build) do_build=false; shift ;;
    -h | --help) usage; exit 0 ;;
    --) shift; runner_args=("$@"); break ;;
    *) echo "test.sh: unknown argument '$1' (see --help; runner options go after --)" >&2; exit 2 ;;
  esac
done

# --------------------------------------------------------------------------------------- counts and exit
total_passed=0
total_failed=0
total_skipped=0
summary_rows=()
failed_tests=() # "profile project: test name: first line of its message", listed under the summary table
final_printed=false
started_at=$SECONDS

print_summary() {
  [[ ${#summary_rows[@]} -gt 0 ]] || return 0
  echo
  printf '%-12s %-28s %-13s %7s %7s %8s %7s\n' profile project status passed failed skipped time
  local row c1 c2 c3 c4 c5 c6 c7
  for row in "${summary_rows[@]}"; do
    IFS='|' read -r c1 c2 c3 c4 c5 c6 c7 <<<"$row"
    printf '%-12s %-28s %-13s %7s %7s %8s %7s\n' "$c1" "$c2" "$c3" "$c4" "$c5" "$c6" "$c7"
  done
  echo "total time $((SECONDS - started_at))s"
  # A CI page may show only the end of the log: name the failed tests here, not only where they ran.
  if [[ ${#failed_tests[@]} -gt 0 ]]; then
    echo "failed tests:"
    local line
    for line in "${failed_tests[@]}"; do echo "  $line"; done
  fi
}

final_line() {
  final_printed=true
  echo "${total_passed} passed, ${total_failed} failed, ${total_skipped} skipped"
}

# Stops what this script started, by pid, and removes the temp folder. Idempotent: runs before the final
# line on a normal end (so the final line stays last) and from the EXIT trap on any other end.
tmp=""
pg_started=false
redis_pid=""
cleanup() {
  set +e
  if [[ -n "$redis_pid" ]]; then
    if kill -0 "$redis_pid" 2>/dev/null; then
      kill -TERM "$redis_pid" 2>/dev/null
      for _ in $(seq 1 50); do kill -0 "$redis_pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$redis_pid" 2>/dev/null && kill -KILL "$redis_pid" 2>/dev/null
    fi
    wait "$redis_pid" 2>/dev/null
    redis_pid=""
  fi
  if [[ -n "$tmp" && -d "$tmp" ]]; then
    # Private Redis servers a crashed test host left behind (TestEnvironment.PrivateRedisServer writes
    # their pid files here): kill them only if the pid is still a redis-server working inside $tmp.
    local pidfile pid
    for pidfile in "$tmp"/scratch/redis-*.pid; do
      [[ -f "$pidfile" ]] || continue
      pid="$(head -n1 "$pidfile" 2>/dev/null)"
      [[ "$pid" =~ ^[0-9]+$ ]] || continue
      if [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == redis-server* &&
            "$(readlink "/proc/$pid/cwd" 2>/dev/null)" == "$tmp"/* ]]; then
        echo "test.sh: killing leftover private redis-server (pid $pid)"
        kill -KILL "$pid" 2>/dev/null
      fi
    done
  fi
  if [[ "$pg_started" == true && -f "$tmp/pg/postmaster.pid" ]]; then
    local pm_pid
    pm_pid="$(head -n1 "$tmp/pg/postmaster.pid" 2>/dev/null)"
    if ! as_pg "$PG_BIN/pg_ctl" -D "$tmp/pg" stop -m fast -w -t 30 >/dev/null 2>&1; then
      if [[ "$pm_pid" =~ ^[0-9]+$ && "$(cat "/proc/$pm_pid/comm" 2>/dev/null)" == postgres ]]; then
        kill -KILL "$pm_pid" 2>/dev/null
      fi
      sleep 0.5
    fi
  fi
  pg_started=false
  if [[ -n "$tmp" && -d "$tmp" ]]; then
    rm -rf -- "$tmp"
  fi
  tmp=""
  set -e
}

# shellcheck disable=SC2317 # called from the EXIT trap
on_exit() {
  local rc=$?
  trap - EXIT INT TERM
  cleanup
  if [[ "$final_printed" != true ]]; then
    print_summary
    echo "test.sh: stopped before the end (exit code $rc); counted as one failure" >&2
    total_failed=$((total_failed + 1))
    final_line
    [[ $rc -eq 0 ]] && rc=1
  fi
  exit "$rc"
}
trap on_exit EXIT
trap 'echo; echo "test.sh: interrupted" >&2; exit 130' INT
trap 'echo "test.sh: terminated" >&2; exit 143' TERM

die() {
  echo "test.sh: $*" >&2
  exit 1 # the EXIT trap stops the servers and prints "0 passed, 1 failed"
}

# --------------------------------------------------------------------------------------------- projects
projects=()
for csproj in tests/*/*.Tests.csproj; do
  [[ -f "$csproj" ]] || continue
  if [[ ${#only_projects[@]} -gt 0 ]]; then
    name="$(basename "$csproj" .csproj)"
    keep=false
    for wanted in "${only_projects[@]}"; do
      wanted="${wanted%/}"
      if [[ "$wanted" == "$name" || "$wanted" == "$csproj" || "$wanted" == "./$csproj" ||
            "$wanted" == "$(dirname "$csproj")" || "$wanted" == "$name.csproj" ]]; then
        keep=true
      fi
    done
    [[ "$keep" == true ]] || continue
  fi
  projects+=("$csproj")
done
# The TypeScript client runs unless --project names only .NET projects.
run_js=true
if [[ ${#only_projects[@]} -gt 0 ]]; then
  run_js=false
  for wanted in "${only_projects[@]}"; do
    case "${wanted%/}" in
      "$JS_CLIENT" | "./$JS_CLIENT" | js | @gatehouse/client) run_js=true ;;
    esac
  done
fi
[[ ${#projects[@]} -gt 0 || "$run_js" == true ]] ||
  die "no test project matches (looked for tests/*/*.Tests.csproj and $JS_CLIENT${only_projects[*]:+ named ${only_projects[*]}})"

# Chromium and the OpenID provider are needed only when the browser tests run.
needs_browser=false
for csproj in "${projects[@]}"; do
  if [[ "$(dirname "$csproj")" == "$BROWSER_TESTS" ]] &&
     [[ " ${profiles[*]} " == *" embedded "* || ! -e "$BROWSER_TESTS/.embedded-only" ]]; then
    needs_browser=true
  fi
done

# PostgreSQL and Redis only for the .NET test projects (the TypeScript client's tests need neither).
needs_servers=false
redis_server=""
[[ ${#projects[@]} -gt 0 ]] && needs_servers=true

# ------------------------------------------------------------------------------------------ prerequisites
sudo_cmd=()
if [[ $EUID -ne 0 ]] && command -v sudo >/dev/null; then
  sudo_cmd=(sudo)
fi

# Runs a PostgreSQL program as the postgres user when we are root (initdb and postgres refuse root).
as_pg() {
  if [[ $EUID -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

install_missing() {
  local packages=()
  if [[ "$needs_servers" == true ]]; then
    [[ -x "$PG_BIN/postgres" && -x "$PG_BIN/pg_isready" ]] || packages+=("postgresql-${PG_VERSION}")
    { command -v redis-server && command -v redis-cli; } >/dev/null 2>&1 || packages+=(redis-server)
  fi
  if [[ "$needs_browser" == true && ! -x "$CHROMIUM" ]]; then
    [[ "$CHROMIUM" == /usr/bin/chromium ]] || die "GATEHOUSE_TEST_CHROMIUM=$CHROMIUM is not an executable"
    packages+=(chromium)
  fi
  [[ ${#packages[@]} -eq 0 ]] && return 0

  echo "test.sh: installing ${packages[*]} with apt-get"
  # Keep the packages' own services (default cluster on 5432, redis on 6379) from starting: we never
  # use them. policy-rc.d answering 101 tells invoke-rc.d not to start anything; only if none exists.
  local policy=/usr/sbin/policy-rc.d policy_added=false
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee "$policy" >/dev/null
    "${sudo_cmd[@]}" chmod 755 "$policy"
    policy_added=true
  fi
  local rc=0
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q || rc=$?
  if [[ $rc -eq 0 ]]; then
    "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      "${packages[@]}" || rc=$?
  fi
  [[ "$policy_added" == true ]] && "${sudo_cmd[@]}" rm -f "$policy"
  [[ $rc -eq 0 ]] || die "apt-get failed to install ${packages[*]}"
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

command -v dotnet >/dev/null || die "dotnet is not on PATH: install the .NET 10 SDK"
install_missing
if [[ "$needs_servers" == true ]]; then
  [[ -x "$PG_BIN/postgres" ]] || die "$PG_BIN/postgres is missing after installing postgresql-${PG_VERSION}"
  redis_server="$(command -v redis-server)" || die "redis-server is missing after installing redis-server"
  if [[ $EUID -eq 0 ]]; then
    id -u postgres >/dev/null 2>&1 || die "there is no postgres user (the postgresql-common package creates it)"
  fi
fi

# The OpenID provider's packages, from its committed package-lock.json: installed again whenever the lock file
# changed since the last install (its digest is kept inside node_modules).
install_oidc_provider() {
  local dir="$repo_root/tests/oidc-provider" stamp digest
  command -v node >/dev/null && command -v npm >/dev/null || die "node and npm are needed for the browser tests (Node 20.19 or later)"
  stamp="$dir/node_modules/.gatehouse-lock.sha256"
  digest="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  [[ -f "$stamp" && "$(cat "$stamp")" == "$digest" ]] && return 0
  echo "test.sh: npm ci in tests/oidc-provider"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed in tests/oidc-provider"
  echo "$digest" >"$stamp"
}
if [[ "$needs_browser" == true ]]; then
  [[ -x "$CHROMIUM" ]] || die "$CHROMIUM is missing after installing chromium"
  install_oidc_provider
fi

# ------------------------------------------------------------------------------------------------ servers
if [[ "$needs_servers" == true ]]; then
  port_in_use "$PG_PORT" && die "port $PG_PORT is in use (another scripts/test.sh running?)"
  port_in_use "$REDIS_PORT" && die "port $REDIS_PORT is in use (another scripts/test.sh running?)"
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-test.XXXXXX")"
chmod 755 "$tmp"
mkdir -p "$tmp/pg" "$tmp/sock" "$tmp/redis" "$tmp/scratch" "$tmp/results"
chmod 1777 "$tmp/scratch"
if [[ $EUID -eq 0 ]]; then
  chown postgres:postgres "$tmp/pg" "$tmp/sock"
fi
chmod 700 "$tmp/pg"

if [[ "$needs_servers" == true ]]; then
  echo "test.sh: PostgreSQL ${PG_VERSION} on 127.0.0.1:${PG_PORT}, Redis on 127.0.0.1:${REDIS_PORT}, temp folder $tmp"
  as_pg "$PG_BIN/initdb" -D "$tmp/pg" -U postgres --auth=trust -E UTF8 --no-sync >"$tmp/initdb.log" 2>&1 ||
    { cat "$tmp/initdb.log" >&2; die "initdb failed"; }
  pg_started=true
  # pg_ctl puts the postmaster in its own session, so a Ctrl-C in the terminal reaches only us and dotnet.
  as_pg "$PG_BIN/pg_ctl" -D "$tmp/pg" -l "$tmp/sock/postgres.log" -w -t 60 start -o \
    "-c listen_addresses=127.0.0.1 -c port=${PG_PORT} -c unix_socket_directories=$tmp/sock -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    >/dev/null || { cat "$tmp/sock/postgres.log" >&2 || true; die "PostgreSQL did not start"; }
  for _ in $(seq 1 120); do
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres && break
    sleep 0.25
  done
  "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres || die "PostgreSQL does not answer on $PG_PORT"

  setsid "$redis_server" --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no --daemonize no \
    --dir "$tmp/redis" --logfile "$tmp/redis/redis.log" --loglevel warning </dev/null &
  redis_pid=$!
  for _ in $(seq 1 120); do
    [[ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]] && break
    kill -0 "$redis_pid" 2>/dev/null || { cat "$tmp/redis/redis.log" >&2 || true; die "redis-server exited"; }
    sleep 0.25
  done
  [[ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]] || die "Redis does not answer on $REDIS_PORT"
fi

export GATEHOUSE_TEST_POSTGRES="Host=127.0.0.1;Port=${PG_PORT};Username=postgres;Password=unused;Pooling=true"
export GATEHOUSE_TEST_REDIS="127.0.0.1:${REDIS_PORT}"
export GATEHOUSE_TEST_REDIS_SERVER="$redis_server"
export GATEHOUSE_TEST_PG_BIN="$PG_BIN"
export GATEHOUSE_TEST_TMPDIR="$tmp/scratch"
export GATEHOUSE_TEST_CHROMIUM="$CHROMIUM"
export GATEHOUSE_TEST_OIDC_PROVIDER_DIR="$repo_root/tests/oidc-provider"
export DOTNET_NOLOGO="${DOTNET_NOLOGO:-1}"
export DOTNET_CLI_TELEMETRY_OPTOUT="${DOTNET_CLI_TELEMETRY_OPTOUT:-1}"
export TESTINGPLATFORM_TELEMETRY_OPTOUT="${TESTINGPLATFORM_TELEMETRY_OPTOUT:-1}"

# ------------------------------------------------------------------------------------------------- build
if [[ "$do_build" == true && ${#projects[@]} -gt 0 ]]; then
  echo "test.sh: dotnet build Gatehouse.slnx -c Release -p:GATEHOUSE_STRICT=true"
  build_started=$SECONDS
  if ! dotnet build Gatehouse.slnx -c Release -p:GATEHOUSE_STRICT=true -nologo -v minimal; then
    echo "test.sh: the build failed; no test ran" >&2
    summary_rows+=("build|-|FAILED|0|1|0|$((SECONDS - build_started))s")
    total_failed=1
    cleanup
    print_summary
    final_line
    exit 1
  fi
fi

# ----------------------------------------------------------------------------------- TypeScript client
# clients/js: npm ci (again only when package-lock.json changed), typecheck, build, the committed demo bundle equal to
# a fresh build, and vitest. Each failing step counts one failure; vitest's own passed/failed/skipped join the totals.
run_js_client() {
  local dir="$repo_root/$JS_CLIENT" started=$SECONDS report="$tmp/results/js/vitest.json"
  local passed=0 failed=0 skipped=0 status=ok steps_failed=() stamp digest counts step succeeded
  echo
  echo "=== $JS_CLIENT: npm ci, typecheck, build, demo bundle check, vitest"
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "test.sh: node and npm are not on PATH, so the TypeScript client ($JS_CLIENT) was NOT tested:" \
      "install Node 20.19 or later with npm (Debian 12's own nodejs is 18: use NodeSource's nodejs package). Counted as one failure." >&2
    summary_rows+=("js|$JS_CLIENT|no node|0|1|0|0s")
    total_failed=$((total_failed + 1))
    return 0
  fi
  # vitest's vite and jsdom need 20.19+ (as does tests/oidc-provider).
  if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
    echo "test.sh: $JS_CLIENT needs Node 20.19 or later; this is node $(node --version). Counted as one failure." >&2
    summary_rows+=("js|$JS_CLIENT|old node|0|1|0|0s")
    total_failed=$((total_failed + 1))
    return 0
  fi

  stamp="$dir/node_modules/.gatehouse-lock.sha256"
  digest="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$digest" ]]; then
    if (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error); then
      echo "$digest" >"$stamp"
    else
      steps_failed+=("npm ci")
    fi
  fi
  if [[ ${#steps_failed[@]} -eq 0 ]]; then
    for step in typecheck build check:demo; do
      (cd "$dir" && npm run --silent "$step") || steps_failed+=("$step")
    done
    mkdir -p "$(dirname "$report")"
    (cd "$dir" && npx --no-install vitest run --reporter=default --reporter=json --outputFile="$report") || true
    if [[ -f "$report" ]] &&
       counts="$(node -e 'const r = require(process.argv[1]); console.log(r.numPassedTests, r.numFailedTests, r.numPendingTests + r.numTodoTests, r.success ? 1 : 0)' "$report")"; then
      read -r passed failed skipped succeeded <<<"$counts"
      # A run that did not succeed (a file that failed to load, an error outside a test) counts at least one failure.
      [[ "$succeeded" == 1 || $failed -gt 0 ]] || steps_failed+=("vitest")
      [[ $((passed + failed)) -gt 0 ]] || steps_failed+=("vitest ran no test")
    else
      steps_failed+=("vitest (no report)")
    fi
  fi

  failed=$((failed + ${#steps_failed[@]}))
  if [[ ${#steps_failed[@]} -gt 0 ]]; then
    status=FAILED
    echo "test.sh: $JS_CLIENT: failed: ${steps_failed[*]}" >&2
  elif [[ $failed -gt 0 ]]; then
    status=FAILED
  fi
  total_passed=$((total_passed + passed))
  total_failed=$((total_failed + failed))
  total_skipped=$((total_skipped + skipped))
  summary_rows+=("js|$JS_CLIENT|$status|$passed|$failed|$skipped|$((SECONDS - started))s")
}
if [[ "$run_js" == true ]]; then
  run_js_client
fi

# ------------------------------------------------------------------------------------------- test runs
# Reads "passed failed skipped total" out of the TRX files of one run.
trx_counts() {
  local dir="$1" passed=0 failed=0 skipped=0 total=0 file counters value
  for file in "$dir"/*.trx; do
    [[ -f "$file" ]] || continue
    counters="$(grep -o '<Counters [^>]*>' "$file" | head -n1)" || continue
    for attribute in passed failed notExecuted total error timeout aborted; do
      value="$(sed -n "s/.* ${attribute}=\"\([0-9]*\)\".*/\1/p" <<<"$counters")"
      value="${value:-0}"
      case "$attribute" in
        passed) passed=$((passed + value)) ;;
        failed | error | timeout | aborted) failed=$((failed + value)) ;;
        notExecuted) skipped=$((skipped + value)) ;;
        total) total=$((total + value)) ;;
      esac
    done
  done
  echo "$passed $failed $skipped $total"
}

# One line per failed test in a results folder's TRX files: its name and the first line of its message
# (XML entities decoded, cut at 300 characters).
trx_failures() {
  local file
  for file in "$1"/*.trx; do
    [[ -f "$file" ]] || continue
    awk '
      function clean(text) {
        gsub(/&quot;/, "\"", text); gsub(/&apos;/, "\047", text); gsub(/&lt;/, "<", text); gsub(/&gt;/, ">", text)
        gsub(/&#xD;|&#xA;|\r/, "", text); gsub(/&amp;/, "\\&", text)
        return substr(text, 1, 300)
      }
      function flush(message) { if (pending != "") print pending (message == "" ? "" : ": " message); pending = ""; state = 0 }
      /<UnitTestResult / {
        flush("")
        if ($0 ~ /outcome="(Failed|Error|Timeout|Aborted)"/ && match($0, /testName="[^"]*"/)) {
          pending = clean(substr($0, RSTART + 10, RLENGTH - 11)); state = 1
          if ($0 ~ /\/>[ \t\r]*$/) flush("")
        }
        next
      }
      state == 1 && /<Message>/ {
        text = $0; sub(/.*<Message>/, "", text); sub(/<\/Message>.*/, "", text)
        if (text ~ /[^ \t\r]/) flush(clean(text)); else state = 2
        next
      }
      state == 2 && /[^ \t\r]/ { text = $0; sub(/^[ \t]+/, "", text); sub(/<\/Message>.*/, "", text); flush(clean(text)); next }
      state >= 1 && /<\/UnitTestResult>/ { flush("") }
      END { flush("") }
    ' "$file"
  done
}

for profile in "${profiles[@]}"; do
  for csproj in "${projects[@]}"; do
    name="$(basename "$csproj" .csproj)"
    if [[ "$profile" != embedded && -e "$(dirname "$csproj")/.embedded-only" ]]; then
      summary_rows+=("$profile|$name|embedded-only|-|-|-|-")
      continue
    fi
    results="$tmp/results/$profile/$name"
    mkdir -p "$results"
    echo
    echo "=== $profile: $name"
    run_started=$SECONDS
    rc=0
    GATEHOUSE_TEST_PROFILE="$profile" dotnet test --project "$csproj" -c Release --no-build \
      --results-directory "$results" --report-xunit-trx --report-xunit-trx-filename "$name.trx" \
      --timeout "${GATEHOUSE_TEST_TIMEOUT:-10m}" --ignore-exit-code 8 \
      ${runner_args[@]+"${runner_args[@]}"} || rc=$?
    read -r passed failed skipped total < <(trx_counts "$results")
    while IFS= read -r line; do
      [[ -n "$line" ]] && failed_tests+=("$profile $name: $line")
    done < <(trx_failures "$results")
    # Exit codes: 0 success, 2 failed tests, 8 zero tests (ignored above); anything else is a crash, a
    # hang past --timeout (3), or bad arguments (5). A run that did not succeed counts at least one failure
    # even when its TRX (if it got written at all) shows none.
    status=ok
    if [[ $rc -ne 0 ]]; then
      [[ $rc -eq 2 ]] && status=FAILED || status="exit $rc"
      [[ $failed -gt 0 ]] || failed=1
    elif [[ $failed -gt 0 ]]; then
      status=FAILED
    elif [[ $total -eq 0 ]]; then
      status="no tests"
    fi
    total_passed=$((total_passed + passed))
    total_failed=$((total_failed + failed))
    total_skipped=$((total_skipped + skipped))
    summary_rows+=("$profile|$name|$status|$passed|$failed|$skipped|$((SECONDS - run_started))s")
  done
done

# --------------------------------------------------------------------------------------------- summary
cleanup
print_summary
exit_code=0
if [[ $total_failed -gt 0 ]]; then
  exit_code=1
elif [[ $((total_passed + total_failed)) -eq 0 ]]; then
  echo "test.sh: no test ran" >&2
  exit_code=1
fi
final_line
exit "$exit_code"
