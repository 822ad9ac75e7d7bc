#!/usr/bin/env bash
# `warroom query` for one access key over ONE large {"Records":[…]} file (what a vendor's
# export or a merged day looks like), against jq on the same file, in the same run: wall
# time and peak RSS, the median of RUNS runs each. The file is made from the Stratus Red
# Team recordings (tests/data), 203,000 records with unique IDs, one in 53 carrying the key.
#
#   benches/bigfile.sh               # RUNS=3, EVENTS=203000
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
EVENTS=${EVENTS:-203000}
DIR=target/bench-bigfile
FILE=$DIR/big-$EVENTS.json
KEY=AKIAPLANTEDKEY000001
mkdir -p "$DIR"
if [ ! -f "$FILE" ]; then
  python3 - "$FILE" "$EVENTS" "$KEY" <<'PY'
import json, glob, random, sys
path, n, key = sys.argv[1], int(sys.argv[2]), sys.argv[3]
random.seed(7)
src = []
for f in sorted(glob.glob('tests/data/stratus-detonation-logs/*.json')):
    src.extend(json.load(open(f)))
with open(path, 'w') as out:
    out.write('{"Records":[')
    for i in range(n):
        e = dict(random.choice(src))
        e['eventID'] = '%08x-0000-4000-8000-%012x' % (i, i)
        ui = dict(e.get('userIdentity') or {})
        ui['accessKeyId'] = key if i % 53 == 0 else 'AKIAOTHER%011d' % (i % 1000)
        e['userIdentity'] = ui
        out.write((',' if i else '') + json.dumps(e, separators=(',', ':')))
    out.write(']}')
PY
fi
cargo build --release --quiet
BIN=target/release/warroom
echo "file: $FILE ($(du -m "$FILE" | cut -f1) MB, $EVENTS records)"
want=$($BIN query "$FILE" "userIdentity.accessKeyId=$KEY" --count)
got=$(jq -c ".Records[] | select(.userIdentity.accessKeyId==\"$KEY\")" "$FILE" | wc -l)
[ "$want" = "$got" ] || { echo "warroom found $want, jq $got"; exit 1; }
echo "both find $want records"
measure() { # label, command…
  local label=$1; shift
  local times=() rss=()
  for _ in $(seq "$RUNS"); do
    out=$( { /usr/bin/time -f "%e %M" "$@" >/dev/null; } 2>&1 | tail -1)
    times+=("${out% *}"); rss+=("${out#* }")
  done
  local t m
  t=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
  m=$(printf '%s\n' "${rss[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
  echo "$label $t $m"
}
{
  measure warroom "$BIN" query "$FILE" "userIdentity.accessKeyId=$KEY"
  measure jq jq -c ".Records[] | select(.userIdentity.accessKeyId==\"$KEY\")" "$FILE"
} | tee "$DIR/results.txt" | awk '
  { t[$1] = $2; m[$1] = $3; printf "%-8s %6.2f s  %7.1f MB peak RSS\n", $1, $2, $3 / 1024 }
  END { printf "jq / warroom: %.1f× the time, %.1f× the memory\n", t["jq"] / t["warroom"], m["jq"] / m["warroom"] }'
