#!/usr/bin/env bash
# Lints src/api/openapi.json with the standard OpenAPI linter (Redocly CLI, its recommended
# rules), pinned in tests/openapi/package-lock.json and installed from the npm registry with
# `npm ci` on first use. Prints the linter's summary and a last line "N passed, N failed"
# (one case: 0 errors required; warnings are shown, not counted). Exit 0 when it passes.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
DIR=tests/openapi
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1
STAMP=$DIR/node_modules/.installed-lock   # the lock file the last `npm ci` installed
if [ ! -x "$DIR/node_modules/.bin/redocly" ] || ! cmp -s "$DIR/package-lock.json" "$STAMP"; then
  if ! (cd "$DIR" && timeout 300 npm ci --no-audit --no-fund --loglevel=error) >&2; then
    echo "lint-openapi: npm ci failed in $DIR"
    echo "0 passed, 1 failed"
    exit 1
  fi
  cp "$DIR/package-lock.json" "$STAMP"
fi
out=$(timeout 120 "$DIR/node_modules/.bin/redocly" lint --format=stylish src/api/openapi.json 2>&1)
rc=$?
grep -v -E '[╔╗╚╝║]' <<<"$out" | sed '/^[[:space:]]*$/d' | tail -n 40
if [ $rc -eq 0 ]; then
  echo "1 passed, 0 failed"
else
  echo "0 passed, 1 failed"
fi
exit $rc
