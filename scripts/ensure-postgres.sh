#!/usr/bin/env bash
# Makes sure a Postgres server is reachable and prints the URL of the console's database on stdout
# (diagnostics go to stderr). In order:
#   1. DATABASE_URL (or the contract's default, 127.0.0.1:5432) when it answers;
#   2. the machine's cluster, started with pg_ctlcluster;
#   3. a private throwaway cluster under .data/pg (initdb + pg_ctl, as the postgres user when root).
# Then it creates the database named in the URL when it does not exist.
set -euo pipefail
cd "$(dirname "$0")/.."

default_url="postgres://postgres@127.0.0.1:5432/socialinzen?sslmode=disable"
url="${DATABASE_URL:-$default_url}"
say() { echo "ensure-postgres: $*" >&2; }

pgbin=""
for d in /usr/lib/postgresql/*/bin; do [ -x "$d/pg_ctl" ] && pgbin="$d"; done
tool() { if command -v "$1" >/dev/null 2>&1; then command -v "$1"; elif [ -n "$pgbin" ] && [ -x "$pgbin/$1" ]; then echo "$pgbin/$1"; fi; }
PG_ISREADY=$(tool pg_isready); PSQL=$(tool psql)

# The server part of a URL: the same URL on the "postgres" database.
admin_of() { echo "$1" | sed -E 's#^(postgres(ql)?://[^/]*)/[^?]*#\1/postgres#'; }
dbname_of() { echo "$1" | sed -E 's#^postgres(ql)?://[^/]*/([^?]*).*#\2#'; }

ready() {
  local u; u=$(admin_of "$1")
  if [ -n "$PSQL" ]; then "$PSQL" "$u" -Atqc 'select 1' >/dev/null 2>&1; return; fi
  [ -n "$PG_ISREADY" ] && "$PG_ISREADY" -q -d "$u"
}

as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

if ! ready "$url"; then
  started=""
  if [ -z "${DATABASE_URL:-}" ] && command -v pg_ctlcluster >/dev/null 2>&1; then
    for v in $(ls /etc/postgresql 2>/dev/null); do
      say "starting the local cluster $v/main"
      pg_ctlcluster --skip-systemctl-redirect "$v" main start >&2 2>&1 || true
      for _ in $(seq 1 20); do ready "$url" && { started=yes; break; }; sleep 0.5; done
      [ -n "$started" ] && break
    done
  fi
  if [ -z "$started" ]; then
    [ -n "$pgbin" ] || { say "no Postgres is reachable at $url and no Postgres binaries are installed (apt-get install postgresql)"; exit 1; }
    dir="$PWD/.data/pg"; port="${PGPORT_PRIVATE:-55432}"
    url="postgres://postgres@127.0.0.1:$port/socialinzen?sslmode=disable"
    if ! ready "$url"; then
      mkdir -p "$dir"
      if [ ! -f "$dir/PG_VERSION" ]; then
        say "creating a private cluster in $dir"
        [ "$(id -u)" = 0 ] && chown -R postgres "$PWD/.data"
        as_postgres "$pgbin/initdb" -D "$dir" -U postgres -A trust --no-sync -E UTF8 --locale=C >&2
      fi
      [ "$(id -u)" = 0 ] && chown -R postgres "$PWD/.data"
      say "starting the private cluster on port $port"
      as_postgres "$pgbin/pg_ctl" -D "$dir" -l "$dir/log" -w start \
        -o "-k $dir -p $port -c listen_addresses=127.0.0.1 -c fsync=off" >&2
    fi
    ready "$url" || { say "the private cluster did not come up; see $dir/log"; exit 1; }
  fi
fi

name=$(dbname_of "$url")
if [ -n "$PSQL" ] && [ -n "$name" ] && [ "$name" != postgres ]; then
  exists=$("$PSQL" "$(admin_of "$url")" -Atqc "select 1 from pg_database where datname = '$name'" 2>/dev/null || true)
  if [ "$exists" != 1 ]; then
    say "creating database $name"
    "$PSQL" "$(admin_of "$url")" -qc "CREATE DATABASE \"$name\"" >&2
  fi
fi
echo "$url"
