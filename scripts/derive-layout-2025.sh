#!/bin/sh
# derive-layout-2025.sh BIN — regenerate geodata/admin/2025/ from the 2019 layout.
#
# Builds a scratch database holding layout 2019 (the ingest engineer's
# geodata/admin/2019 files, through `BIN ingest`), then runs
# `BIN layout derive` with the 2025 membership and population table
# (geodata/population/bac_giang_new_communes_2025_population_sapnhap.csv):
#   geodata/admin/2025/bac_giang_communes_2025.geojson   the 58 communes
#   geodata/admin/2025/bac_giang_province_2025.geojson   the frame (province)
#   geodata/admin/2025/bac_giang_districts_2019_population.csv
#                                    2025 population spread over the 2019 districts
# and prints the derivation log (which old commune went where, the tiling
# check).  The outputs are committed; scripts/build-data.sh only ingests them.
set -eu
if [ $# -ne 1 ]; then
    echo "usage: $0 BIN" >&2
    exit 2
fi
BIN=$1
ROOT=$(cd "$(dirname "$0")/.." && pwd)
A=$ROOT/geodata/admin/2019
OUT=$ROOT/geodata/admin/2025
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
for part in adm1_gischinhphu:province adm2_gischinhphu:district adm3_communes_vietnam63:commune; do
    f=${part%%:*}
    level=${part##*:}
    "$BIN" ingest --db "$TMP/derive.sqlite" --collection admin --layout 2019 --level "$level" \
        --mapping "$A/bac_giang_$f.mapping.json" "$A/bac_giang_$f.geojson" >"$TMP/ingest-$level.txt"
done
"$BIN" layout derive --db "$TMP/derive.sqlite" --from 2019 --level commune \
    --members "$ROOT/geodata/population/bac_giang_new_communes_2025_population_sapnhap.csv" \
    --code-col new_gso_code --name-col new_name --members-col old_units_bac_giang \
    --population-col population --seat-lon-col hq_lon --seat-lat-col hq_lat --area-col area_km2 \
    --population-year 2025 \
    --out "$OUT/bac_giang_communes_2025.geojson" \
    --out-frame "$OUT/bac_giang_province_2025.geojson" \
    --out-apportion "$OUT/bac_giang_districts_2019_population.csv" 2>&1 | grep -v "^$" | tee "$OUT/derive.log"
