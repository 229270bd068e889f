#!/usr/bin/env bash
# check-layers.sh — each layer of src/ includes only its own headers and those
# of the layers below it.  The order, lowest first (README, "The layers"):
#   base geo store coverage edit ingest http api cli
# A file src/<layer>/x.c may write #include "<other>/y.h" only when <other>
# comes before <layer> in that list (or is <layer> itself).  Prints each
# violation as file:line and exits 1 when there is one.
set -euo pipefail
cd "$(dirname "$0")/.."
order=(base geo store coverage edit ingest http api cli)
declare -A rank
for i in "${!order[@]}"; do rank[${order[$i]}]=$i; done

bad=0
for dir in src/*/; do
  layer=$(basename "$dir")
  if [ -z "${rank[$layer]+x}" ]; then echo "check-layers: src/$layer is not a known layer" >&2; bad=1; continue; fi
  while IFS=: read -r file line inc; do
    target=$(sed -E 's/.*#include "([^/"]+)\/.*/\1/' <<<"$inc")
    if [ "$target" = "$inc" ]; then
      echo "$file:$line: include without a layer folder: $inc" >&2; bad=1
    elif [ -z "${rank[$target]+x}" ]; then
      echo "$file:$line: unknown layer '$target'" >&2; bad=1
    elif [ "${rank[$target]}" -gt "${rank[$layer]}" ]; then
      echo "$file:$line: $layer may not use $target (a higher layer)" >&2; bad=1
    fi
  done < <(grep -Hn '^#include "' "$dir"*.[ch] || true)
done
[ $bad -eq 0 ] && echo "check-layers: every include goes down the layers"
exit $bad
