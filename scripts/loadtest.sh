#!/usr/bin/env bash
# Drives a console in sandbox mode with unique signed, encrypted messages (safe mode) and prints throughput,
# p50/p99 and errors, the console's RSS, and the CPU time per message of the console process and of the
# Postgres backends serving its database (from /proc). Then it drives the in-memory ceiling (tools/ceiling:
# verify, decrypt, map lookup, encrypt; nothing stored) with the same load and prints the console's rate
# as a fraction of it. Everything runs on this machine, on loopback, and stops by itself. Used by
# `make loadtest`; the figures go to docs/BENCHMARKS.md.
#   RULES=1000 DURATION=10s CONCURRENCY=32 SENDERS=100000 scripts/loadtest.sh
# KEEP_DB=name reuses (and keeps) an existing database, e.g. one holding 10 million messages.
set -euo pipefail
cd "$(dirname "$0")/.."
RULES="${RULES:-1000}"; DURATION="${DURATION:-10s}"; CONCURRENCY="${CONCURRENCY:-32}"; SENDERS="${SENDERS:-100000}"; PORT="${PORT:-18099}"
admin="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
db="${KEEP_DB:-sz_loadtest_$$}"
server=$(echo "$admin" | sed -E 's#^(postgres(ql)?://[^/]*)/.*#\1#')
dburl="$server/$db?sslmode=disable"
[ -n "${KEEP_DB:-}" ] || psql "$server/postgres" -qc "CREATE DATABASE $db" >/dev/null
base="http://127.0.0.1:$PORT"
cleanup() {
  [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  [ -n "${cpid:-}" ] && kill "$cpid" 2>/dev/null && wait "$cpid" 2>/dev/null || true
  [ -n "${KEEP_DB:-}" ] || psql "$server/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT
[ -x bin/console ] || make build >/dev/null
go build -o bin/loadgen ./tools/loadgen
go build -o bin/ceiling ./tools/ceiling

# CPU time from /proc, in clock ticks: a process's user+system time (fields 14 and 15 of its stat).
hz=$(getconf CLK_TCK)
ticks() { awk '{print $14+$15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# The Postgres backends serving the console's database, "pid ticks" per line.
pg_ticks() {
  for p in $(psql "$dburl" -Atc "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"); do
    echo "$p $(ticks "$p")"
  done
}
# measure NAME PID LOADGEN-ARGS...: runs loadgen, prints its report and the CPU per message of PID (and of
# the Postgres backends when NAME is console); sets rate_NAME.
measure() {
  local name=$1 p=$2; shift 2
  local before after pgb pga out n rate
  before=$(ticks "$p"); pgb=$(pg_ticks)
  out=$(bin/loadgen "$@" 2>&1) || true
  after=$(ticks "$p"); pga=$(pg_ticks)
  echo "$out"
  n=$(echo "$out" | sed -nE 's/^messages +([0-9]+) in .*/\1/p'); n=${n:-0}
  rate=$(echo "$out" | sed -nE 's/^messages .*: ([0-9]+) msg\/s/\1/p'); rate=${rate:-0}
  eval "rate_$name=$rate"
  [ "$n" -gt 0 ] || return 0
  echo "$name: CPU $(( (after - before) * 1000000 / hz / n )) µs/message (process $p), RSS $(( $(ps -o rss= -p "$p") / 1024 )) MB"
  if [ "$name" = console ]; then
    local pgt
    pgt=$(awk 'NR==FNR {b[$1]=$2; next} {t += $2 - ($1 in b ? b[$1] : 0)} END {print t+0}' <(echo "$pgb") <(echo "$pga"))
    echo "postgres: CPU $(( pgt * 1000000 / hz / n )) µs/message (backends of $db; shared WAL writer and checkpointer not counted)"
  fi
}
DATABASE_URL="$dburl" LISTEN_ADDR="127.0.0.1:$PORT" BASE_URL="$base" SANDBOX=true LOG_LEVEL=warn \
  SECRET_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') bin/console >/tmp/loadtest-console.log 2>&1 &
pid=$!
for _ in $(seq 1 60); do curl -fs "$base/readyz" >/dev/null 2>&1 && break; sleep 0.5; done
demo=$(curl -fs "$base/sandbox/demo")
# The demo account's fields come first; the component's (same names) follow in "component".
field() { echo "$demo" | grep -o "\"$1\":\"[^\"]*\"" | head -1 | sed -E 's/.*:"([^"]*)"/\1/'; }
appid=$(field appid); token=$(field token); aeskey=$(field encodingAESKey)
tok=$(curl -fs -X POST "$base/apis/user/login" -d '{"username":"demo","password":"demo-password"}' | sed -E 's/.*"access_token":"([^"]*)".*/\1/')
echo "loadtest: adding $RULES rules to $appid"
for i in $(seq 1 "$RULES"); do
  case $((i % 10)) in
    0) m=contains ;; 9) m=regex ;; *) m=exact ;;
  esac
  kw="keyword$i"; [ "$m" = regex ] && kw="^re$i[0-9]+\$"
  printf '{"type":"text","request":"%s","match":"%s","reply":{"content":"reply %s"}}' "$kw" "$m" "$i"
  echo
done | xargs -P 8 -d '\n' -I{} curl -fs -o /dev/null -X POST "$base/apis/wxreplymanage/addReply?access_token=$tok" -d '{}' || true # a kept database has them
echo "loadtest: $(curl -fs "$base/apis/wxreplymanage/listReply?access_token=$tok" | grep -o '"id"' | wc -l) rules stored"
keywords="keyword1,keyword500,some text with keyword30 inside,re9123,no match here"
echo "== console"
measure console "$pid" -url "$base" -appid "$appid" -token "$token" -aeskey "$aeskey" -mode safe -c "$CONCURRENCY" -d "$DURATION" -keywords "$keywords" -senders "$SENDERS"
echo "loadtest: $(psql "$dburl" -Atc "SELECT count(*) FROM wx_messages") messages stored"
kill "$pid" && wait "$pid" 2>/dev/null || true; pid=""

echo "== ceiling (tools/ceiling: verify, decrypt, map lookup, encrypt)"
cport=$((PORT + 1))
bin/ceiling -addr "127.0.0.1:$cport" -appid "$appid" -token "$token" -aeskey "$aeskey" -keywords "${keywords%,no match here}" &
cpid=$!
for _ in $(seq 1 40); do curl -s -o /dev/null "http://127.0.0.1:$cport/" && break; sleep 0.25; done
measure ceiling "$cpid" -url "http://127.0.0.1:$cport" -appid "$appid" -token "$token" -aeskey "$aeskey" -mode safe -c "$CONCURRENCY" -d "$DURATION" -keywords "$keywords"
if [ "${rate_ceiling:-0}" -gt 0 ]; then
  echo "loadtest: console/ceiling = $(awk -v a="$rate_console" -v b="$rate_ceiling" 'BEGIN {printf "%.2f", a/b}')×"
fi
