#!/usr/bin/env bash
# The portal in a real browser (tests/browser/run.mjs): Debian's Chromium (/usr/bin/chromium,
# package chromium) driven by playwright-core, with axe-core, both pinned in
# tests/browser/package-lock.json and installed from the npm registry with `npm ci` on first
# use (never `npx playwright install`: no browser is downloaded). The suite starts its own
# `pocketstate demo` from BUILD_DIR on a free loopback port and writes screenshots to
# BUILD_DIR/screenshots. Last line: "N passed, N failed".
#   scripts/browser-test.sh [BUILD_DIR] [--filter TEXT]
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
BUILD=${1:-build}
shift || true
DIR=tests/browser
CHROMIUM=${PS_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
  echo "browser-test: $CHROMIUM not found (Debian package chromium: scripts/deps.sh test)"
  echo "0 passed, 1 failed"
  exit 1
fi
if [ ! -x "$BUILD/pocketstate" ]; then
  echo "browser-test: $BUILD/pocketstate was not built"
  echo "0 passed, 1 failed"
  exit 1
fi
STAMP=$DIR/node_modules/.installed-lock   # the lock file the last `npm ci` installed
if [ ! -d "$DIR/node_modules/playwright-core" ] || ! cmp -s "$DIR/package-lock.json" "$STAMP"; then
  if ! (cd "$DIR" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 timeout 300 npm ci --no-audit --no-fund \
          --loglevel=error) >&2; then
    echo "browser-test: npm ci failed in $DIR"
    echo "0 passed, 1 failed"
    exit 1
  fi
  cp "$DIR/package-lock.json" "$STAMP"
fi
rm -rf "$BUILD/screenshots"   # only this run's pictures
mkdir -p "$BUILD/screenshots" "$BUILD/test-logs"
PS_CHROMIUM=$CHROMIUM timeout 600 node "$DIR/run.mjs" --bin "$BUILD/pocketstate" \
  --out "$BUILD/screenshots" --logs "$BUILD/test-logs" "$@"
rc=$?
[ $rc -eq 124 ] && { echo "browser-test: timed out after 600 s"; echo "0 passed, 1 failed"; }
exit $rc
