#!/usr/bin/env bash
# Regenerates the seed corpora of the libpsverify fuzz targets (fuzz/corpus/psv_*/seed_*):
# payloads made by the server's encoders at every layer, broken variants, and the QR texts of
# a few official HC1 vectors (tests/verify/hc1). Keys are fresh each run, so the seeds change
# whenever this runs: commit them when they do. Usage: fuzz/make_psv_seeds.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
ninja -C "$build" tests/unit/psv_seeds >/dev/null
rm -f fuzz/corpus/psv_*/seed_*
"$build/tests/unit/psv_seeds" fuzz/corpus
python3 - <<'PY'
import json, os
for name in ("common_CO1.json", "common_CO3.json", "common_CO20.json", "common_B1.json",
             "common_Z1.json", "common_CBO1.json"):
    d = json.load(open(os.path.join("tests/verify/hc1", name)))
    text = d.get("PREFIX")
    if text:
        open("fuzz/corpus/psv_verify/seed_hc1_" + name[:-5], "w").write(text)
    if d.get("COSE"):
        open("fuzz/corpus/psv_cose/seed_hc1_" + name[:-5], "wb").write(bytes.fromhex(d["COSE"]))
PY
echo "seeds: $(ls fuzz/corpus/psv_*/seed_* | wc -l) files"
