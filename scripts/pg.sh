#!/usr/bin/env bash
# A private PostgreSQL 15 for tests and benchmarks: a cluster in a temporary directory,
# listening on 127.0.0.1 on a free port and on a unix socket inside that directory. Never
# touches a system-wide cluster. Runs the server as the `postgres` user when started as root.
#
# Usage: scripts/pg.sh start [DIR]            prints the libpq URL on stdout; creates DIR
#                                             (default: $PS_PG_DIR, else a new mktemp dir,
#                                             named on stderr as PS_PG_DIR=...). Starting a
#                                             stopped cluster again reuses its data and port.
#        scripts/pg.sh stop [DIR] [MODE]      pg_ctl stop -m MODE (fast|immediate|smart)
#        scripts/pg.sh url [DIR]              prints the URL of a started cluster
#        scripts/pg.sh destroy [DIR]          stops (immediate) and removes DIR
# Environment: PS_PG_FSYNC=off at the first start: the cluster never flushes to the disk (the
# test suite's choice; see start below). PGBIN: the server binaries.
set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
cmd=${1:-}
dir=${2:-${PS_PG_DIR:-}}

die() { echo "pg.sh: $*" >&2; exit 1; }

# Runs a server binary as the cluster's owner (postgres when we are root).
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

url_of() {
  echo "postgresql://postgres@127.0.0.1:$(cat "$1/port")/postgres"
}

start() {
  if [ -z "$dir" ]; then
    dir=$(mktemp -d "${TMPDIR:-/tmp}/pocketstate-pg.XXXXXX")
    echo "PS_PG_DIR=$dir" >&2
  fi
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
  chmod 700 "$dir"
  if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -w "$dir"; then
    die "the postgres user cannot write $dir (is a parent directory private to root?)"
  fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_owner "$PGBIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
      --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  fi
  if [ ! -f "$dir/port" ]; then
    free_port >"$dir/port"
  fi
  port=$(cat "$dir/port")
  if as_owner "$PGBIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    url_of "$dir" # already running
    return 0
  fi
  # PS_PG_FSYNC=off (the test suite's choice) skips only the flush to the disk: a commit is
  # still written to the operating system before it is acknowledged, so a crash of the server
  # (stop -m immediate, what the durability test does) loses nothing acknowledged; only a crash
  # of the machine could. Benchmarks keep the default, on. A restart keeps the first choice.
  [ -n "${PS_PG_FSYNC:-}" ] && echo "$PS_PG_FSYNC" >"$dir/fsync"
  local fsync=on
  [ -f "$dir/fsync" ] && fsync=$(cat "$dir/fsync")
  case $fsync in on|off) ;; *) die "PS_PG_FSYNC must be on or off" ;; esac
  as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir -c max_connections=200 -c shared_buffers=64MB -c fsync=$fsync" \
    start >/dev/null || { tail -n 20 "$dir/server.log" >&2; die "pg_ctl start failed"; }
  url_of "$dir"
}

stop() {
  [ -n "$dir" ] || die "stop: which DIR?"
  [ -f "$dir/data/postmaster.pid" ] || return 0
  as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m "${1:-fast}" -w -t 60 stop >/dev/null
}

case "$cmd" in
  start) start ;;
  stop) stop "${3:-fast}" ;;
  url) [ -n "$dir" ] && [ -f "$dir/port" ] || die "url: no cluster in '$dir'"; url_of "$dir" ;;
  destroy)
    [ -n "$dir" ] || die "destroy: which DIR?"
    stop immediate || true
    case "$dir" in /tmp/*|"${TMPDIR:-/tmp}"/*) rm -rf "$dir" ;; *) die "destroy: refusing to remove '$dir' outside the temp dir" ;; esac
    ;;
  *) die "usage: pg.sh start|stop|url|destroy [DIR] [MODE]" ;;
esac
