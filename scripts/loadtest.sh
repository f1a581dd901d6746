#!/usr/bin/env bash
# Drives a console in sandbox mode with unique signed, encrypted messages (safe mode) and prints throughput,
# p50/p99 and errors, then the console's RSS. Everything runs on this machine, on loopback, and stops by
# itself. Used by `make loadtest`; the figures go to docs/BENCHMARKS.md.
#   RULES=1000 DURATION=20s CONCURRENCY=32 scripts/loadtest.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RULES="${RULES:-1000}"; DURATION="${DURATION:-20s}"; CONCURRENCY="${CONCURRENCY:-32}"; PORT="${PORT:-18099}"
admin="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
db="sz_loadtest_$$"
server=$(echo "$admin" | sed -E 's#^(postgres(ql)?://[^/]*)/.*#\1#')
dburl="$server/$db?sslmode=disable"
psql "$server/postgres" -qc "CREATE DATABASE $db" >/dev/null
base="http://127.0.0.1:$PORT"
cleanup() {
  [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  psql "$server/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT
[ -x bin/console ] || make build >/dev/null
go build -o bin/loadgen ./tools/loadgen
DATABASE_URL="$dburl" LISTEN_ADDR="127.0.0.1:$PORT" BASE_URL="$base" SANDBOX=true LOG_LEVEL=warn \
  SECRET_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') bin/console >/tmp/loadtest-console.log 2>&1 &
pid=$!
for _ in $(seq 1 60); do curl -fs "$base/readyz" >/dev/null 2>&1 && break; sleep 0.5; done
demo=$(curl -fs "$base/sandbox/demo")
field() { echo "$demo" | sed -E "s/.*\"$1\":\"([^\"]*)\".*/\1/"; }
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
done | xargs -P 8 -d '\n' -I{} curl -fs -o /dev/null -X POST "$base/apis/wxreplymanage/addReply?access_token=$tok" -d '{}'
echo "loadtest: $(curl -fs "$base/apis/wxreplymanage/listReply?access_token=$tok" | grep -o '"id"' | wc -l) rules stored"
bin/loadgen -url "$base" -appid "$appid" -token "$token" -aeskey "$aeskey" -mode safe -c "$CONCURRENCY" -d "$DURATION" \
  -keywords "keyword1,keyword500,some text with keyword30 inside,re9123,no match here"
echo "loadtest: console RSS $(( $(ps -o rss= -p "$pid") / 1024 )) MB"
