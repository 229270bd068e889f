#!/usr/bin/env bash
# coverage.sh [BIN] — the coverage bench: a generated national-scale layout
# (about 10,600 communes, 2,000 institutions: gen_coverage.py), ingested with
# `vetmap ingest`, sampled once (`vetmap coverage --prepare`), then timed:
#   - full coverage (every unit's measures, R = 10 km) through the CLI (cold:
#     a fresh process loading the layer) and through the API (warm: the
#     server's layer cache);
#   - suggest k = 10 (greedy MCLP over the units' population points);
# each the median of 3 runs.  Targets: full coverage < 1 s, suggest < 5 s.
# Prints a table.  Called by tests/bench/run.sh; runs on its own too.
# env: WORK (/tmp/vetmap-bench-coverage)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$(realpath "${1:-$ROOT/build/vetmap}")
WORK=${WORK:-/tmp/vetmap-bench-coverage}
HERE=$ROOT/tests/bench
rm -rf "$WORK"
mkdir -p "$WORK"
DB=$WORK/coverage.sqlite

python3 "$HERE/gen_coverage.py" "$WORK" 10600 2000
cat >"$WORK/provinces.mapping.json" <<'JSON'
{"collection": "admin", "layout": "bench", "level": "province",
 "layout_description": "generated national-scale layout (tests/bench/gen_coverage.py)",
 "fields": {"code": "code", "name": "name", "type": "type"}}
JSON
cat >"$WORK/units.mapping.json" <<'JSON'
{"collection": "admin", "layout": "bench", "level": "commune",
 "fields": {"code": "code", "name": "name", "type": "type", "parent_code": "parent_code",
            "population": "population", "population_year": "population_year",
            "seat_lon": "seat_lon", "seat_lat": "seat_lat"}}
JSON
cat >"$WORK/institutions.mapping.json" <<'JSON'
{"collection": "institutions",
 "fields": {"code": "code", "name": "name", "kind": "kind", "ownership": "ownership", "lon": "lon", "lat": "lat"},
 "defaults": {"location_precision": "surveyed", "source": "tests/bench/gen_coverage.py"}}
JSON

secs() { python3 -c "import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 3))" "$@"; }
t0=$(date +%s.%N)
"$BIN" ingest --db "$DB" --collection admin --mapping "$WORK/provinces.mapping.json" "$WORK/provinces.geojson" | head -1
"$BIN" ingest --db "$DB" --collection admin --mapping "$WORK/units.mapping.json" "$WORK/units.geojson" | head -1
"$BIN" ingest --db "$DB" --layout bench --mapping "$WORK/institutions.mapping.json" "$WORK/institutions.csv" | head -1
t1=$(date +%s.%N)
"$BIN" coverage --db "$DB" --prepare --layout bench
t2=$(date +%s.%N)
INGEST_S=$(secs "$t0" "$t1")
PREPARE_S=$(secs "$t1" "$t2")

# median of three runs of a command, in seconds
median3() {
  local times=()
  for _ in 1 2 3; do
    local a b
    a=$(date +%s.%N)
    "$@" >/dev/null 2>>"$WORK/runs.log"
    b=$(date +%s.%N)
    times+=("$(secs "$a" "$b")")
  done
  printf '%s\n' "${times[@]}" | sort -g | sed -n 2p
}
CLI_FULL=$(median3 "$BIN" coverage --db "$DB" --layout bench --radius-km 10 --format csv --out "$WORK/full.csv")
CLI_SUGGEST=$(median3 "$BIN" coverage --db "$DB" --layout bench --radius-km 10 --suggest 10 --format csv \
  --out "$WORK/suggest.csv")
"$BIN" coverage --db "$DB" --layout bench --radius-km 10 --suggest 10 --format csv --out "$WORK/suggest.csv" \
  2>"$WORK/suggest.log"
SPLIT=$(grep -o 'load [0-9.]* s, compute [0-9.]* s' "$WORK/suggest.log" | head -1)
"$BIN" coverage --db "$DB" --layout bench --radius-km 10 --format csv --out "$WORK/full.csv" 2>"$WORK/full.log"
FULL_SPLIT=$(grep -o 'load [0-9.]* s, compute [0-9.]* s' "$WORK/full.log" | head -1)
SUMMARY=$(grep -o '[0-9]* of [0-9]* people covered ([0-9.]* %)' "$WORK/full.log" | head -1)

# The API, warm (the first request builds the server's layer cache).
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN" serve --db "$DB" --port "$PORT" >"$WORK/serve.out" 2>"$WORK/serve.log" &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null || true' EXIT
BASE=http://127.0.0.1:$PORT
for _ in $(seq 100); do curl -sf "$BASE/api/health" >/dev/null 2>&1 && break; sleep 0.1; done
FIRST=$(curl -s -o /dev/null -w '%{time_total}' "$BASE/api/coverage?layout=bench&radius_km=10&geometry=false" | xargs printf '%.3f')
api() { curl -s -o /dev/null -w '%{time_total}\n' "$BASE$1" | xargs printf '%.3f\n'; }
# distinct URLs (a different radius each time) so no ETag/304 shortcut applies
API_FULL=$(for r in 9.9 10 10.1; do api "/api/coverage?layout=bench&radius_km=$r&geometry=false"; done | sort -g | sed -n 2p)
API_FULL_GEOM=$(for r in 9.9 10 10.1; do api "/api/coverage?layout=bench&radius_km=$r"; done | sort -g | sed -n 2p)
API_SUGGEST=$(for r in 9.9 10 10.1; do api "/api/coverage/suggest?layout=bench&radius_km=$r&k=10"; done | sort -g | sed -n 2p)
API_SUGGEST_GRID=$(api "/api/coverage/suggest?layout=bench&radius_km=10&k=10&candidates=grid&grid_km=5")
RSS=$(awk '/VmHWM/ {print $2, $3}' "/proc/$SERVER_PID/status")
kill $SERVER_PID; wait $SERVER_PID 2>/dev/null || true
trap - EXIT

UNITS=$(($(wc -l <"$WORK/full.csv") - 1))
echo
echo "coverage bench: $UNITS units, 2000 institutions, R = 10 km ($SUMMARY); $(nproc) cores"
echo "| step | seconds | target |"
echo "|---|---:|---:|"
echo "| ingest (provinces, units, institutions) | $INGEST_S | |"
echo "| coverage --prepare (sample every unit once) | $PREPARE_S | |"
echo "| CLI full coverage, cold process ($FULL_SPLIT) | $CLI_FULL | < 1 |"
echo "| CLI suggest k=10, cold process ($SPLIT) | $CLI_SUGGEST | < 5 |"
echo "| API first request (builds the layer cache) | $FIRST | |"
echo "| API full coverage, warm, no geometry | $API_FULL | < 1 |"
echo "| API full coverage, warm, with geometry | $API_FULL_GEOM | |"
echo "| API suggest k=10 (unit points), warm | $API_SUGGEST | < 5 |"
echo "| API suggest k=10 (5 km grid), warm | $API_SUGGEST_GRID | |"
echo "server peak RSS: $RSS; raw outputs: $WORK"
