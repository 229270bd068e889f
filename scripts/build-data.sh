#!/bin/sh
# build-data.sh BIN DB — build or refresh the vetmap database DB from geodata/.
#
# Runs `BIN ingest` for the admin units of layout 2019 (province, districts,
# communes; the first layout ingested becomes the default) and then the
# institutions, each against DB (created when missing).  Every step is an
# upsert in one transaction, so re-running changes nothing and each step
# reports "0 inserted, 0 updated, N unchanged".  The JSON report and the
# rejected rows of each step go to $REPORTS (default: the reports/ folder
# beside DB, i.e. data/reports/ for data/vetmap.sqlite).  Prints one summary
# line per step.  Exits non-zero, naming the step, when one fails (that step
# then wrote nothing).
set -eu

if [ $# -ne 2 ]; then
    echo "usage: $0 BIN DB" >&2
    exit 2
fi
BIN=$1
DB=$2
ROOT=$(cd "$(dirname "$0")/.." && pwd)
GEO=$ROOT/geodata
REPORTS=${REPORTS:-$(dirname "$DB")/reports}
mkdir -p "$(dirname "$DB")" "$REPORTS"

# step NAME ARGS... : one ingest, its report as $REPORTS/NAME.json (+ .rejects.csv, .txt).
step() {
    name=$1
    shift
    if "$BIN" ingest --db "$DB" --report "$REPORTS/$name.json" "$@" >"$REPORTS/$name.txt" 2>&1; then
        printf '%-22s %s\n' "$name" "$(head -n 1 "$REPORTS/$name.txt" | sed 's/^ingest [^:]*: //')"
    else
        echo "build-data: step $name failed:" >&2
        cat "$REPORTS/$name.txt" >&2
        exit 1
    fi
}

A=$GEO/admin/2019
step admin-2019-province --collection admin --layout 2019 --level province \
    --mapping "$A/bac_giang_adm1_gischinhphu.mapping.json" "$A/bac_giang_adm1_gischinhphu.geojson"
step admin-2019-district --collection admin --layout 2019 --level district \
    --mapping "$A/bac_giang_adm2_gischinhphu.mapping.json" "$A/bac_giang_adm2_gischinhphu.geojson"
step admin-2019-commune --collection admin --layout 2019 --level commune \
    --mapping "$A/bac_giang_adm3_communes_vietnam63.mapping.json" "$A/bac_giang_adm3_communes_vietnam63.geojson"
I=$GEO/institutions
step institutions --collection institutions --layout 2019 \
    --mapping "$I/bac_giang_gdnn_institutions.mapping.json" "$I/bac_giang_gdnn_institutions.csv"

# ---- coverage analysis (the coverage engineer's steps) ---------------------
# Layout 2025: the 58 communes derived from the 2019 ones by
# scripts/derive-layout-2025.sh (committed output; see geodata/SOURCES.md).
# Layout 2019 stays the default.  Then the 2019 districts' population (kept
# in coverage_population: the district file has none, and re-ingesting it
# must not erase them), and the coverage samples of every layout
# (`vetmap coverage --prepare`).
C=$GEO/admin/2025
step admin-2025-province --collection admin --layout 2025 --level province \
    --mapping "$C/bac_giang_province_2025.mapping.json" "$C/bac_giang_province_2025.geojson"
step admin-2025-commune --collection admin --layout 2025 --level commune \
    --mapping "$C/bac_giang_communes_2025.mapping.json" "$C/bac_giang_communes_2025.geojson"
if "$BIN" layout population --db "$DB" --layout 2019 --level district \
    "$C/bac_giang_districts_2019_population.csv" >"$REPORTS/population-2019-district.txt" 2>&1; then
    printf '%-22s %s\n' population-2019-dist "$(sed 's/^[^:]*: //' "$REPORTS/population-2019-district.txt")"
else
    echo "build-data: step population-2019-district failed:" >&2
    cat "$REPORTS/population-2019-district.txt" >&2
    exit 1
fi
if "$BIN" coverage --db "$DB" --prepare >"$REPORTS/coverage-prepare.txt" 2>&1; then
    printf '%-22s %s\n' coverage-samples "$(grep 'units sampled' "$REPORTS/coverage-prepare.txt" |
        sed 's/^coverage: //; s/; frame.*//' | paste -sd';' - | sed 's/;/; /g')"
else
    echo "build-data: step coverage-samples failed:" >&2
    cat "$REPORTS/coverage-prepare.txt" >&2
    exit 1
fi
# ---- end of the coverage steps ----------------------------------------------

echo "database $DB ready; reports in $REPORTS"
