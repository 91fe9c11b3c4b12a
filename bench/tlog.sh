#!/usr/bin/env bash
# Transparency-log benchmark (bench/tlog_bench.c) and its section in bench/results.md:
#   durable appends through ps_access_record + group commit with the integrator sequencing and
#   checkpointing, vs raw sqlite3 INSERTs of the same rows (1 and 256 rows per transaction,
#   WAL, synchronous=FULL), same run; inclusion/consistency proof time at 10M entries through
#   the store-backed provider. Reports only; never fails on a ratio. Callable from bench/run.sh
#   or `make bench`:   bench/tlog.sh
#   TLOG_BENCH_THREADS=32 TLOG_BENCH_SECONDS=5 TLOG_BENCH_PROOF_N=10000000 TLOG_BENCH_PROOFS=1000
#   TLOG_BENCH_BUILD=build-bench (release, -Dtests=false, -Dwerror=false, as bench/run.sh)
#   TLOG_BENCH_FROM=FILE: write the section from a saved run's output instead of running
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${TLOG_BENCH_BUILD:-build-bench}
RESULTS=${BENCH_RESULTS:-bench/results.md}
OUT=$(mktemp /tmp/ps-tlog-bench.XXXXXX)
trap 'rm -f "$OUT"' EXIT

if [ -n "${TLOG_BENCH_FROM:-}" ]; then # only format a saved run's output
  cp "$TLOG_BENCH_FROM" "$OUT"
else
  if [ ! -f "$BUILD/build.ninja" ]; then
    meson setup "$BUILD" --buildtype=release -Dtests=false -Dwerror=false >/dev/null
  fi
  ninja -C "$BUILD" bench/tlog_bench >/dev/null
  "$BUILD/bench/tlog_bench" | tee "$OUT"
  # The same proofs with tlog_hashes as a WITHOUT ROWID table (clustered on (level, idx)): an
  # experiment for the SQLite schema, beside the real one. TLOG_BENCH_EXPERIMENTS=0 skips it.
  if [ "${TLOG_BENCH_EXPERIMENTS:-1}" != 0 ]; then
    TLOG_BENCH_SKIP=append TLOG_BENCH_WITHOUT_ROWID=1 "$BUILD/bench/tlog_bench" |
      sed 's/^RESULT proof/RESULT wrproof/' | tee -a "$OUT"
  fi
fi

field() { sed -nE "s/^RESULT $1 (.* )?$2=([^ ]+).*/\2/p" "$OUT" | tail -n 1; }
ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print('%.2f' % (a/b) if b else 'n/a')" "$1" "$2"; }
OURS=$(field append ours); SEQ=$(field append sequenced); RAW1=$(field append raw1)
RAW256=$(field append raw256); PERC=$(field append per_commit); THREADS=$(field append threads)
VER=$(field append verify)
N=$(field proof n); IM=$(field proof incl_mean_us); IP=$(field proof incl_p99_us)
CM=$(field proof cons_mean_us); CP=$(field proof cons_p99_us); LOAD=$(field proof load_s)
{
  echo
  echo "## Transparency log: bench/tlog.sh, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "SQLite $(python3 -c 'import sqlite3; print(sqlite3.sqlite_version)'); ours: the store's" \
       "durable commit (acknowledged after fsync); peer: plain sqlite3, WAL, synchronous=FULL;" \
       "$(nproc) cores shared, $BUILD; ${TLOG_BENCH_SECONDS:-5}s per measurement." \
       "Targets: appends >= 0.5x raw and >= 20,000/s; inclusion proof < 1 ms at 10M entries."
  echo
  echo "| scenario | ours | peer | peer | ratio |"
  echo "|---|---:|---|---:|---:|"
  if [ -n "$OURS" ]; then
    echo "| durable appends/s ($THREADS threads, ps_access_record jobs, group commit ~$PERC/commit, integrator on) | $OURS | raw INSERT, 1 row/txn | $RAW1 | $(ratio "$OURS" "$RAW1") |"
    echo "| durable appends/s (same) | $OURS | raw INSERT, 256 rows/txn | $RAW256 | $(ratio "$OURS" "$RAW256") |"
    echo "| appends/s sequenced + checkpointed (until the last checkpoint) | $SEQ | raw INSERT, 1 row/txn | $RAW1 | $(ratio "$SEQ" "$RAW1") |"
    echo "| whole-log verification, entries/s (\`ps_tlog_verify\` over the store) | $VER | | | |"
  fi
  if [ -n "$N" ]; then
    echo "| inclusion proof at $N entries (store-backed provider), mean / p99 µs | $IM / $IP | target | 1000 | |"
    echo "| consistency proof at $N entries, mean / p99 µs | $CM / $CP | | | |"
    echo "| bulk load of tlog_hashes for $N leaves, s | $LOAD | | | |"
  fi
  WN=$(field wrproof n)
  if [ -n "$WN" ]; then
    echo "| experiment: tlog_hashes WITHOUT ROWID, inclusion proof at $WN, mean / p99 µs | $(field wrproof incl_mean_us) / $(field wrproof incl_p99_us) | same, current schema | $IM / $IP | $(ratio "$IM" "$(field wrproof incl_mean_us)")x faster |"
    echo "| experiment: tlog_hashes WITHOUT ROWID, bulk load, s | $(field wrproof load_s) | current schema | $LOAD | |"
  fi
} >>"$RESULTS"
echo "tlog_bench: appended to $RESULTS" >&2
