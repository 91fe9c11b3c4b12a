#!/usr/bin/env bash
# Builds libpsverify ON ITS OWN with cc: lib/verify/*.c, its standalone test and the example
# program in docs/examples, with only include/ on the include path and only OpenSSL, zlib,
# libcbor and jansson to link; fails if any header under src/ is reachable (the verifier must
# include nothing of the server). Then runs the test over tests/verify/hc1 and the example on
# one official HC1 vector. Run by `make test` (a meson test) or alone.
# Usage: scripts/verify-standalone.sh [OUTDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-$(mktemp -d)}
mkdir -p "$out"
CC=${CC:-cc}
flags=(-std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
       -Wmissing-prototypes -Wno-unused-parameter -Iinclude)
libs=(-lssl -lcrypto -lz -lcbor -ljansson -lm)
srcs=(lib/verify/*.c)

# 1. No src/ header may be reachable: the dependency lists name only include/ and lib/.
for f in "${srcs[@]}" tests/verify/standalone_test.c docs/examples/verify_example.c; do
  deps=$("$CC" "${flags[@]}" -MM "$f")
  if grep -q '\(^\|[ /]\)src/' <<<"$deps"; then
    echo "verify-standalone: $f reaches a header under src/:" >&2
    grep -o '[^ ]*src/[^ ]*' <<<"$deps" >&2
    exit 1
  fi
done
if grep -n '#include "\(core\|documents\|crypto\|store\|http\|api\|cli\|tlog\)/' "${srcs[@]}"; then
  echo "verify-standalone: lib/verify includes server code" >&2
  exit 1
fi

# 2. Build the library, the test and the example with nothing else.
"$CC" "${flags[@]}" "${srcs[@]}" tests/verify/standalone_test.c "${libs[@]}" -o "$out/standalone_test"
"$CC" "${flags[@]}" "${srcs[@]}" docs/examples/verify_example.c "${libs[@]}" -o "$out/verify_example"

# 3. Run them.
"$out/standalone_test" tests/verify/hc1
python3 - "$out" <<'PY'
import json, sys
d = json.load(open("tests/verify/hc1/common_CO3.json"))
open(sys.argv[1] + "/signer.pem", "w").write(
    "-----BEGIN CERTIFICATE-----\n" + d["TESTCTX"]["CERTIFICATE"] + "\n-----END CERTIFICATE-----\n")
open(sys.argv[1] + "/qr.txt", "w").write(d["PREFIX"])
PY
result=$("$out/verify_example" "$out/signer.pem" "$(cat "$out/qr.txt")" 1620064800)
echo "$result"
grep -qx valid <<<"$result"
if "$out/verify_example" "$out/signer.pem" "$(cat "$out/qr.txt")" 1630064800 >/dev/null; then
  echo "verify-standalone: an expired certificate verified" >&2
  exit 1
fi
echo "verify-standalone: ok"
