#!/usr/bin/env bash
# PocketState on PostgreSQL against PostgreSQL's own client, pgbench, measured in the same run
# on the same private server (scripts/pg.sh), and appended to bench/results.md:
#   lookup: GET /api/v1/registry/persons/{rnokpp} through our server (wrk, bench/paths.lua;
#           each lookup is a SERIALIZABLE write job: the person read plus its access_log row)
#           vs `pgbench -S` (one primary-key SELECT per transaction) and vs a pgbench script
#           doing the same database work as our handler (SELECT the person, INSERT the
#           access_log row, COMMIT), all at the same client count;
#   write:  inserts through ps_store_write (tests/pg/pg_writer.c: committer, group commit,
#           savepoint per job, SERIALIZABLE) vs a plain libpq insert-and-commit loop
#           (pgbench -M prepared with a one-INSERT script), same client count.
# Reports only; never fails on a ratio. Separate from bench/run.sh (nginx peer, SQLite).
#   PG_BENCH_CITIZENS=100000 PG_BENCH_CLIENTS=16 PG_BENCH_SECONDS=10 PG_BENCH_COMMITTERS=4
set -euo pipefail
[ -n "${PG_BENCH_DEBUG:-}" ] && set -x
cd "$(dirname "$0")/.."
ROOT=$PWD
CITIZENS=${PG_BENCH_CITIZENS:-100000}
CLIENTS=${PG_BENCH_CLIENTS:-16}
SECS=${PG_BENCH_SECONDS:-10}
COMMITTERS=${PG_BENCH_COMMITTERS:-4}
BUILD=${PG_BENCH_BUILD:-build-pgbench}
RESULTS=bench/results.md

WORK=$(mktemp -d /tmp/ps-pgbench.XXXXXX)
PGDIR=$(mktemp -d "${TMPDIR:-/tmp}/pocketstate-pg.XXXXXX") # its own: the server user must reach it
PS_PID=""
cleanup() {
  [ -n "$PS_PID" ] && kill -TERM "$PS_PID" 2>/dev/null && wait "$PS_PID" 2>/dev/null || true
  scripts/pg.sh destroy "$PGDIR" >/dev/null 2>&1 || true
  if [ -n "${PG_BENCH_KEEP:-}" ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print('%.2f' % (a/b) if b else 'n/a')" "$1" "$2"; }
# pgb LABEL ARGS...: runs pgbench, prints its tps; shows its errors when it gives none.
pgb() {
  local label=$1; shift
  pgbench "$@" >"$WORK/pgbench-$label.log" 2>&1 || true
  local tps
  tps=$(sed -nE 's/^tps = ([0-9.]+).*/\1/p' "$WORK/pgbench-$label.log" | tail -n 1)
  if [ -z "$tps" ]; then
    echo "pg_bench: pgbench $label gave no tps:" >&2
    grep -m 5 -i error "$WORK/pgbench-$label.log" >&2 || tail -n 5 "$WORK/pgbench-$label.log" >&2
    tps=0
  fi
  printf '%.1f\n' "$tps"
}

LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
echo "pg_bench: building $BUILD" >&2
[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" --buildtype=release >"$WORK/setup.log" 2>&1 ||
  { tail -n 30 "$WORK/setup.log"; exit 1; }
ninja -C "$BUILD" pocketstate tests/unit/pg_writer >"$WORK/build.log" 2>&1 ||
  { tail -n 30 "$WORK/build.log"; exit 1; }

URL=$(scripts/pg.sh start "$PGDIR")
sep() { case $1 in *\?*) echo "&" ;; *) echo "?" ;; esac; }
PSURL="$URL$(sep "$URL")options=-csearch_path%3Dps"
psql -X -q -d "$URL" -c "CREATE SCHEMA ps" -c "CREATE SCHEMA w" -c "CREATE DATABASE pgb" >/dev/null

# ---- lookup -----------------------------------------------------------------------------
PORT=$(free_port)
echo "pg_bench: loading $CITIZENS citizens into PostgreSQL" >&2
T0=$(date +%s)
POCKETSTATE_DB=$PSURL POCKETSTATE_MASTER_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))') \
  "$BUILD/pocketstate" demo --data "$WORK/data" --citizens "$CITIZENS" --listen "127.0.0.1:$PORT" \
  >"$WORK/server.log" 2>&1 &
PS_PID=$!
for _ in $(seq 1 6000); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/readyz" || true)" = 200 ] && break
  kill -0 "$PS_PID" 2>/dev/null || { tail -n 20 "$WORK/server.log"; exit 1; }
  sleep 0.1
done
LOAD_S=$(( $(date +%s) - T0 ))
psql -X -At -d "$PSURL" -c "SELECT rnokpp FROM persons ORDER BY random() LIMIT 10000" >"$WORK/ids"
psql -X -q -d "$PSURL" -c "CREATE TABLE bench_ids AS SELECT row_number() OVER () AS i, rnokpp FROM
  (SELECT rnokpp FROM persons ORDER BY random() LIMIT 10000) x; ALTER TABLE bench_ids ADD PRIMARY KEY (i)" >/dev/null
export BENCH_TOKEN; BENCH_TOKEN=$(cat "$WORK/data/admin.token")
curl -sf -H "Authorization: Bearer $BENCH_TOKEN" "http://127.0.0.1:$PORT/api/v1/registry/persons/$(head -n 1 "$WORK/ids")" >/dev/null ||
  { echo "pg_bench: person lookup does not answer 200" >&2; exit 1; }
psql -X -q -d "$URL" -c CHECKPOINT
echo "pg_bench: wrk lookup, $CLIENTS connections, ${SECS}s" >&2
WRK_OUT=$(wrk -t2 -c"$CLIENTS" -d"${SECS}s" -s bench/paths.lua "http://127.0.0.1:$PORT" -- "$WORK/ids" /api/v1/registry/persons/)
OURS_LOOKUP=$(sed -nE 's/^Requests\/sec: *([0-9.]+).*/\1/p' <<<"$WRK_OUT" | xargs printf '%.1f')
NON2XX=$(sed -nE 's/.*Non-2xx or 3xx responses: *([0-9]+).*/\1/p' <<<"$WRK_OUT")
kill -TERM "$PS_PID"; wait "$PS_PID" 2>/dev/null || true; PS_PID=""

PGB_URL="${URL%/postgres}/pgb"
pgbench -i -q -s 10 "$PGB_URL" >"$WORK/pgb-init.log" 2>&1
psql -X -q -d "$URL" -c CHECKPOINT
echo "pg_bench: pgbench -S" >&2
PGB_S=$(pgb select -n -S -M prepared -c "$CLIENTS" -j 2 -T "$SECS" "$PGB_URL")
NIDS=$(psql -X -At -d "$PSURL" -c "SELECT count(*) FROM bench_ids")
cat >"$WORK/lookup.sql" <<EOF
\\set r random(1, $NIDS)
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT p.* FROM bench_ids b JOIN persons p USING (rnokpp) WHERE b.i = :r \gset p_
INSERT INTO access_log (id, at_ms, actor_kind, actor_id, action, subject, resource, purpose)
  VALUES (gen_random_uuid()::text, (extract(epoch FROM clock_timestamp()) * 1000)::bigint,
          'admin', 'bench', 'read', :p_rnokpp, 'person', 'bench');
COMMIT;
EOF
psql -X -q -d "$URL" -c CHECKPOINT
echo "pg_bench: pgbench same-work lookup" >&2
PGB_SAME=$(pgb lookup -n -M prepared --max-tries=20 -c "$CLIENTS" -j 2 -T "$SECS" -f "$WORK/lookup.sql" "$PSURL")

# ---- write --------------------------------------------------------------------------------
WURL="$URL$(sep "$URL")options=-csearch_path%3Dw"
psql -X -q -d "$WURL" -c "CREATE TABLE pg_writer_keys (k TEXT PRIMARY KEY, n BIGINT NOT NULL);
  CREATE TABLE plain_keys (k TEXT PRIMARY KEY, n BIGINT NOT NULL)" >/dev/null
psql -X -q -d "$URL" -c CHECKPOINT
echo "pg_bench: ps_store_write, $CLIENTS threads, $COMMITTERS committer(s)" >&2
W_OUT=$("$BUILD/tests/unit/pg_writer" "$WURL" "$CLIENTS" "$SECS" "$COMMITTERS" "$WORK/w")
W_ACK=$(sed -nE 's/.*acked=([0-9]+).*/\1/p' <<<"$W_OUT")
OURS_WRITE=$(python3 -c "print('%.1f' % ($W_ACK / $SECS))")
cat >"$WORK/insert.sql" <<'EOF'
\set k random(1, 9000000000000000000)
INSERT INTO plain_keys (k, n) VALUES (:client_id || '-' || :k, :k);
EOF
psql -X -q -d "$URL" -c CHECKPOINT
echo "pg_bench: pgbench insert-and-commit" >&2
PGB_W=$(pgb insert -n -M prepared -c "$CLIENTS" -j 2 -T "$SECS" -f "$WORK/insert.sql" "$WURL")

# ---- report -------------------------------------------------------------------------------
BTYPE=$(meson introspect --buildoptions "$BUILD" | python3 -c \
  'import json, sys; print([o["value"] for o in json.load(sys.stdin) if o["name"] == "buildtype"][0])')
R1=$(ratio "$OURS_LOOKUP" "$PGB_S"); R2=$(ratio "$OURS_LOOKUP" "$PGB_SAME"); R3=$(ratio "$OURS_WRITE" "$PGB_W")
TABLE="| scenario | ours /s | peer | peer /s | ratio |
|---|---:|---|---:|---:|
| person lookup (HTTP, logged read) | $OURS_LOOKUP | pgbench -S (bare PK select) | $PGB_S | $R1 |
| person lookup (HTTP, logged read) | $OURS_LOOKUP | pgbench, same SQL work (select + access_log insert, serializable) | $PGB_SAME | $R2 |
| insert via ps_store_write | $OURS_WRITE | pgbench insert-and-commit loop | $PGB_W | $R3 |"
echo "$TABLE"
[ -n "$NON2XX" ] && echo "note: $NON2XX non-2xx responses during the lookup run"
{
  echo "## PostgreSQL: bench/pg_bench.sh, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "PostgreSQL $(psql -X -At -d "$URL" -c 'SHOW server_version') (private, loopback, fsync on," \
       "synchronous_commit on), $(nproc) cores shared by server, database and load generator;" \
       "$CLIENTS clients, ${SECS}s each; $CITIZENS citizens loaded by \`demo\` in ${LOAD_S}s;" \
       "ps_store_write with $COMMITTERS committer(s); build $BUILD ($BTYPE);" \
       "load average before the run: $LOADAVG." \
       "${NON2XX:+ $NON2XX non-2xx responses in the lookup run.}"
  echo
  echo "$TABLE"
  echo
} >"$WORK/section.md"
# newest run first, after the file's header, as bench/run.sh does
python3 - "$RESULTS" "$WORK/section.md" <<'PY'
import os, sys
path, section = sys.argv[1], open(sys.argv[2], encoding="utf-8").read()
old = open(path, encoding="utf-8").read() if os.path.exists(path) else "# Benchmark results\n\n"
i = old.find("\n## ")
head, rest = (old, "") if i < 0 else (old[:i + 1], old[i + 1:])
with open(path + ".tmp", "w", encoding="utf-8") as f:
    f.write(head.rstrip("\n") + "\n\n" + section + rest)
os.replace(path + ".tmp", path)
PY
echo "pg_bench: results written to $RESULTS" >&2
