#!/usr/bin/env bash
# End-to-end throughput and peak memory of `fcpgw translate` on a batch of SIU^S12 messages.
# Builds a batch of N copies of bench/data/siu_s12_uk.hl7, each with its own MSH-10, SCH-1 and
# SCH-2 (so no two messages are the same booking), then translates it to NDJSON.
#   usage: bench/translate_batch.sh [FCPGW_BINARY] [N]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-"$here/../build/gateway/fcpgw"}
n=${2:-100000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$here/data/siu_s12_uk.hl7" "$work/batch.hl7" "$n" <<'PY'
import sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
template = open(src, encoding="utf-8", newline="").read()
with open(dst, "w", encoding="utf-8", newline="") as out:
    for i in range(n):
        out.write(template.replace("EMIS-20260316-000123457", f"EMIS-20260316-{i:09d}")
                          .replace("F83004-APPT-88213", f"F83004-APPT-{i:07d}")
                          .replace("FCP-556102", f"FCP-{i:07d}"))
        out.write("\n")
PY

bytes=$(stat -c %s "$work/batch.hl7")
echo "batch: $n messages, $bytes bytes"
/usr/bin/time -f "elapsed %e s, user %U s, peak RSS %M KiB" \
  "$bin" translate --quiet "$work/batch.hl7" > "$work/out.ndjson"
lines=$(wc -l < "$work/out.ndjson")
echo "output: $lines Bundles, $(stat -c %s "$work/out.ndjson") bytes"
[ "$lines" -eq "$n" ] || { echo "expected $n Bundles" >&2; exit 1; }
