#!/usr/bin/env bash
# Durable ingest of `fcpgw serve`: starts the gateway on port 0 with its journal in a fresh
# directory on the same disk as the build, drives it with mllp_load (closed loop at several
# connection counts, then an open loop at a fixed rate for latency), and prints one JSON line
# per run. Usage: bench/ingest.sh BUILD_DIR [SECONDS]
set -euo pipefail
build=${1:?usage: bench/ingest.sh BUILD_DIR [SECONDS]}
secs=${2:-10}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${build}/ingest.XXXXXX")
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$work"
"$build/gateway/fcpgw" serve --set listeners.mllp.port=0 --set listeners.http.enabled=false \
  --set log.level=warn > ready.txt 2> gateway.log &
pid=$!
for _ in $(seq 100); do grep -q ready ready.txt 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*mllp [^:]*:\([0-9]*\).*/\1/p' ready.txt)
msg="$here/data/siu_s12_uk.hl7"
for c in 1 16 64 256; do
  "$build/bench/mllp_load" --port "$port" --connections "$c" --seconds "$secs" --file "$msg"
done
"$build/bench/mllp_load" --port "$port" --connections 32 --seconds "$secs" --rate 2000 --file "$msg"
