#!/usr/bin/env bash
# Installs the Debian packages PocketState needs, only those missing; quiet when all are present.
# Usage: scripts/deps.sh [run|test|bench]   (test and bench add the test and load tools)
set -euo pipefail
need_run="meson ninja-build pkg-config gcc libc6-dev python3 libmicrohttpd-dev libsqlite3-dev libssl-dev libsodium-dev libjansson-dev libpq-dev libcurl4-openssl-dev libcbor-dev zlib1g-dev libpng-dev libjpeg62-turbo-dev libzbar-dev libpcre2-dev tzdata libfyaml-dev libqrencode-dev libhpdf-dev fonts-dejavu-core node-qrcode-generator"
need_test="libcriterion-dev clang libclang-rt-14-dev postgresql sqlite3 curl nodejs chromium gettext fonts-dejavu-core"
need_bench="wrk nginx-light postgresql postgresql-contrib"
want="$need_run"
case "${1:-run}" in
  test) want="$want $need_test" ;;
  bench) want="$want $need_test $need_bench" ;;
esac
missing=""
# Node.js runs the browser tests and the OpenAPI linter (npm packages pinned in lock files).
# The machines we target have it already (Node.js 20); a machine without it gets Debian's.
case "${1:-run}" in
  test|bench) command -v node >/dev/null 2>&1 || missing="$missing nodejs npm" ;;
esac
for p in $want; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing Debian packages:$missing" >&2
  echo "deps: run as root, or: sudo apt-get install$missing" >&2
  exit 1
fi
echo "deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends $missing >/dev/null
