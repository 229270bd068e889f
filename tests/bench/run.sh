#!/usr/bin/env bash
# make bench: what vetmap does with national-scale data on this machine.
#  1. ingest rate: a generated 100,000-row CSV (the MapServer anchor's own
#     generator, same seed, so both sides load the same rows), median of 3;
#  2. HTTP: wrk over fixed URL lists (tiles over Bắc Giang at z8-z13, and the
#     anchor's OGC API item windows, (b') on a second database holding its
#     2,000 points), with the tile cache on and off (then also the national
#     clusters of z0 and z6);
#  3. the server's peak RSS.
# Prints a table.  Not part of `make test`.
# env: WORK (/tmp/vetmap-bench) DUR (10s) THREADS (2) CONNS (32) SHARED (../shared)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$(realpath "${1:-$ROOT/build/vetmap}")
SHARED=${SHARED:-$ROOT/../shared}
WORK=${WORK:-/tmp/vetmap-bench}
DUR=${DUR:-10s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-32}
HERE=$ROOT/tests/bench
cd "$ROOT"
scripts/install-deps.sh bench

GEN=$SHARED/anchors/mapserver/gen_institutions.py
[ -f "$GEN" ] || { echo "bench: $GEN not found; set SHARED=path/to/shared" >&2; exit 1; }
rm -rf "$WORK"; mkdir -p "$WORK"
python3 "$GEN" "$WORK/institutions_100k.csv" 100000
python3 "$GEN" "$WORK/institutions_2k.csv" 2000   # the anchor's (b') window: the first 2,000 rows

# A database with the shipped data (admin layout 2019 and the 16 real institutions).
REPORTS=$WORK/reports scripts/build-data.sh "$BIN" "$WORK/admin.sqlite" > /dev/null

echo "== ingest: 100,000 rows into a database holding the shipped data (3 runs)"
times=()
for run in 1 2 3; do
  cp "$WORK/admin.sqlite" "$WORK/bench.sqlite"
  t0=$(date +%s.%N)
  "$BIN" ingest --db "$WORK/bench.sqlite" --mapping "$HERE/generated.mapping.json" \
    --report "$WORK/ingest.json" "$WORK/institutions_100k.csv" > "$WORK/ingest.out"
  t1=$(date +%s.%N)
  times+=("$(python3 -c "print(round($t1 - $t0, 3))")")
  tail -n 1 "$WORK/ingest.out"
done
INGEST_MED=$(printf '%s\n' "${times[@]}" | sort -g | sed -n 2p)
INGEST_RPS=$(python3 -c "print(int(100000 / $INGEST_MED))")
printf 'ingest median %.3f s = %s rows/s (runs: %s)\n' "$INGEST_MED" "$INGEST_RPS" "${times[*]}"
cp "$WORK/admin.sqlite" "$WORK/bench2k.sqlite"
"$BIN" ingest --db "$WORK/bench2k.sqlite" --mapping "$HERE/generated.mapping.json" "$WORK/institutions_2k.csv" > /dev/null

# URL lists: the same tiles every run.
python3 "$HERE/tile_list.py" institutions 8,10,12,13 > "$WORK/tiles_institutions.txt"
python3 "$HERE/tile_list.py" communes,districts 8,10,12,13 > "$WORK/tiles_admin.txt"
cat "$WORK/tiles_institutions.txt" "$WORK/tiles_admin.txt" > "$WORK/tiles_all.txt"
Z12=106.171875,21.207459,106.259766,21.289374
Z8=105.468750,20.632784,106.875000,21.943046
echo "/api/collections/communes/items?bbox=$Z12&limit=1000" > "$WORK/a_communes_items_z12.txt"
echo "/api/collections/institutions/items?bbox=$Z8&limit=1000" > "$WORK/b_points_items_z8.txt"
echo "/api/collections/institutions/items?bbox=$Z12&limit=1000" > "$WORK/b_points_items_z12.txt"
echo "/api/collections/institutions/items?bbox=$Z8&limit=1000" > "$WORK/b_points2k_items_z8.txt"
echo "/tiles/communes/12/3256/1800.geojson" > "$WORK/c_tile_communes_z12.txt"
echo "/tiles/institutions/8/203/112.geojson" > "$WORK/c_tile_points_z8.txt"
echo "/tiles/institutions/12/3256/1800.geojson" > "$WORK/c_tile_points_z12.txt"
# national-scale clusters: the whole country (z0) and the north of it (z6)
echo "/tiles/institutions/0/0/0.geojson" > "$WORK/c_tile_points_z0.txt"
echo "/tiles/institutions/6/50/28.geojson" > "$WORK/c_tile_points_z6.txt"

SERVER_PID=""
stop_server() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""; }
trap stop_server EXIT
start_server() {  # $1 = tile cache bytes, $2 = database (bench.sqlite)
  echo "{\"tile_cache_bytes\": $1, \"connection_limit\": 1024, \"per_ip_connection_limit\": 0}" > "$WORK/bench.conf.json"
  "$BIN" serve --db "$WORK/${2:-bench.sqlite}" --port 0 --config "$WORK/bench.conf.json" \
    > "$WORK/serve.out" 2> "$WORK/serve.log" &
  SERVER_PID=$!
  for _ in $(seq 100); do grep -q 'serving http' "$WORK/serve.out" 2>/dev/null && break; sleep 0.05; done
  BASE=$(grep -o 'http://[^/]*' "$WORK/serve.out" | head -1)
}

run_wrk() {  # name list
  local name=$1 list=$2
  URLS=$list wrk -t"$THREADS" -c"$CONNS" -d2s -s "$HERE/urls.lua" "$BASE" >/dev/null
  URLS=$list wrk -t"$THREADS" -c"$CONNS" -d"$DUR" --latency -s "$HERE/urls.lua" "$BASE" > "$WORK/$name.wrk"
  local kv; kv=$(grep '^RESULT' "$WORK/$name.wrk" | cut -d' ' -f2-)
  python3 - "$name" "$(wc -l < "$list")" $kv <<'PY'
import sys
name, n = sys.argv[1], sys.argv[2]
kv = dict(x.split("=") for x in sys.argv[3:]); kv = {k: int(v) for k, v in kv.items()}
rq = kv["requests"] / (kv["duration_us"] / 1e6)
errs = {k: kv[k] for k in ("non2xx", "connect", "read", "write", "timeout") if kv[k]}
print(f"| {name} | {n} | {rq:,.0f} | {kv['p50_us']/1000:.2f} | {kv['p99_us']/1000:.2f} | "
      f"{kv['bytes']/max(kv['requests'],1):,.0f} | {errs or '-'} |")
PY
}

table_head() {
  echo
  echo "$1 (wrk -t$THREADS -c$CONNS -d$DUR, keep-alive, after a 2 s warm-up)"
  echo "| scenario | URLs | req/s | p50 ms | p99 ms | bytes/resp | errors |"
  echo "|---|---:|---:|---:|---:|---:|---|"
}

start_server 67108864
table_head "tile cache on (64 MiB)"
for s in tiles_institutions tiles_admin tiles_all c_tile_communes_z12 c_tile_points_z8 c_tile_points_z12 \
         a_communes_items_z12 b_points_items_z8 b_points_items_z12; do
  run_wrk "$s" "$WORK/$s.txt"
done
RSS_ON=$(awk '/VmHWM/ {print $2, $3}' "/proc/$SERVER_PID/status")
stop_server
start_server 67108864 bench2k.sqlite
run_wrk b_points2k_items_z8 "$WORK/b_points2k_items_z8.txt"
stop_server

start_server 0
table_head "tile cache off (every tile computed)"
for s in tiles_institutions tiles_admin c_tile_communes_z12 c_tile_points_z8 c_tile_points_z12 \
         c_tile_points_z0 c_tile_points_z6; do
  run_wrk "${s}_nocache" "$WORK/$s.txt"
done
RSS_OFF=$(awk '/VmHWM/ {print $2, $3}' "/proc/$SERVER_PID/status")
stop_server
echo
echo "server peak RSS: $RSS_ON (cache on), $RSS_OFF (cache off)"
echo "ingest 100k CSV: median ${INGEST_MED} s = ${INGEST_RPS} rows/s"
echo "raw outputs: $WORK"

echo
echo "== coverage at national scale (tests/bench/coverage.sh)"
"$HERE/coverage.sh" "$BIN"
