#!/usr/bin/env bash
# End-to-end delivery of `fcpgw serve`: MLLP in -> journal -> translate -> FHIR out to a fast
# local sink (bench/http_sink: 200 for everything, stores nothing), or to the outbox directory.
#   1. open loop at several rates: messages acknowledged and delivered per second, and the
#      delivery latency (receipt to the receiver's 200) from the gateway's histogram;
#   2. a backlog of N journaled messages (made while the receiver is down) drained after a
#      restart with the receiver up: seconds to drain, deliveries per second.
# Usage: bench/delivery.sh BUILD_DIR [fhir|directory] [SECONDS] [BACKLOG]
set -euo pipefail
build=${1:?usage: bench/delivery.sh BUILD_DIR [fhir|directory] [SECONDS] [BACKLOG]}
kind=${2:-fhir}
secs=${3:-10}
backlog=${4:-100000}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${build}/delivery.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
trap 'echo "bench/delivery.sh: failed at line $LINENO; gateway log:" >&2; tail -5 gateway.log >&2' ERR
cd "$work"
msg="$here/data/siu_s12_uk.hl7"

"$build/bench/http_sink" > sink.txt &
pids+=($!)
for _ in $(seq 50); do grep -q port sink.txt 2>/dev/null && break; sleep 0.1; done
sink_port=$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' sink.txt)

# destination_sets URL: the --set arguments that route everything to the receiver.
destination_sets() {
  if [ "$kind" = directory ]; then
    echo "--set destinations.outbox.concurrency=8"
  else
    echo "--set destinations={\"sink\":{\"type\":\"fhir\",\"url\":\"$1\",\"concurrency\":${FCPGW_BENCH_CONCURRENCY:-8},\"retry\":{\"initial_ms\":200,\"max_ms\":1000}}}"
    echo "--set routes=[{\"name\":\"all\",\"destinations\":[\"sink\"]}]"
  fi
}
dest=$([ "$kind" = directory ] && echo outbox || echo sink)

start_gateway() {  # start_gateway URL
  # shellcheck disable=SC2046
  "$build/gateway/fcpgw" serve --set listeners.mllp.port=0 --set listeners.http.port=0 \
    --set log.level=warn $(destination_sets "$1") > ready.txt 2> gateway.log &
  gw=$!
  pids+=($gw)
  for _ in $(seq 300); do grep -q ready ready.txt 2>/dev/null && break; sleep 0.1; done
  grep -q ready ready.txt || { echo "bench/delivery.sh: the gateway did not start" >&2; cat ready.txt gateway.log >&2; exit 1; }
  mllp_port=$(sed -n 's/.*mllp [^:]*:\([0-9]*\).*/\1/p' ready.txt)
  http_port=$(sed -n 's/.*http [^:]*:\([0-9]*\).*/\1/p' ready.txt)
}
metric() {  # metric NAME: the value of a gauge or counter line that starts with NAME
  { curl -s "http://127.0.0.1:$http_port/metrics" || true; } |
    awk -v n="$1" 'index($0, n) == 1 { print $NF; exit }'
}
delivered() { metric "fcpgw_deliveries_total{destination=\"$dest\",outcome=\"delivered\"}"; }
# wait_delivered N: until the delivered counter reaches N (polled every 0.2 s: a scrape is not
# free, and the bench must not measure its own polling).
wait_delivered() {
  for _ in $(seq 6000); do
    d=$(delivered)
    [ "${d:-0}" -ge "$1" ] && return 0
    sleep 0.2
  done
  echo "did not drain" >&2
  return 1
}
# p50/p99 of the delivery latency histogram (upper bound of the bucket that holds it).
latency() {
  curl -s "http://127.0.0.1:$http_port/metrics" |
    awk -v d="$dest" -F'[{}" ]+' '
      $1 == "fcpgw_delivery_latency_seconds_bucket" && $0 ~ "destination=\"" d "\"" {
        for (i = 2; i < NF; i++) if ($i ~ /le=$/) le = $(i + 1);
        n++; bound[n] = le; cum[n] = $NF }
      END { total = cum[n]; p50 = ""; p99 = "";
        for (i = 1; i <= n; i++) {
          if (p50 == "" && cum[i] >= 0.5 * total) p50 = bound[i];
          if (p99 == "" && cum[i] >= 0.99 * total) p99 = bound[i] }
        printf "{\"p50_le_s\":\"%s\",\"p99_le_s\":\"%s\",\"count\":%d}", p50, p99, total }'
}

url="http://127.0.0.1:$sink_port/fhir"
start_gateway "$url"
for rate in 2000 5000 10000; do
  before=$(delivered); before=${before:-0}
  t0=$(date +%s.%N)
  load=$("$build/bench/mllp_load" --port "$mllp_port" --connections 32 --seconds "$secs" \
           --rate "$rate" --keys 1000 --file "$msg")
  acked=$(echo "$load" | sed -n 's/.*"acked":\([0-9]*\).*/\1/p')
  wait_delivered $((before + acked))
  t1=$(date +%s.%N)
  after=$(delivered)
  echo "{\"destination\":\"$kind\",\"rate\":$rate,\"ingest\":$load,\"delivered\":$((after - before)),\"seconds_to_drain\":$(echo "$t1 - $t0" | bc),\"latency\":$(latency)}"
done
kill "$gw"; wait "$gw" 2>/dev/null || true

# The backlog: the receiver is down (a closed port) while N messages are journaled.
rm -rf var
[ "$kind" = directory ] && { mkdir -p var; echo "not a folder" > var/outbox; }
start_gateway "http://127.0.0.1:1/fhir"
per=$(( backlog / 64 ))
"$build/bench/mllp_load" --port "$mllp_port" --connections 64 --seconds 3600 --keys 1000 \
  --count "$per" --file "$msg" > /dev/null
kill "$gw"; wait "$gw" 2>/dev/null || true
[ "$kind" = directory ] && { rm -f var/outbox; mkdir -p var/outbox; }
# The open deliveries, counted in the journal before the gateway starts again.
queued=$("$build/gateway/fcpgw" journal stats --journal var/journal.db --json |
  python3 -c 'import json, sys; print(sum(d["count"] for d in json.load(sys.stdin)["deliveries"] if d["state"] in ("waiting", "ready")))')
t0=$(date +%s.%N)
start_gateway "$url"
wait_delivered "${queued:-0}"
t1=$(date +%s.%N)
echo "{\"destination\":\"$kind\",\"backlog\":${queued:-0},\"seconds_to_drain\":$(echo "$t1 - $t0" | bc),\"per_second\":$(echo "${queued:-0} / ($t1 - $t0)" | bc)}"
