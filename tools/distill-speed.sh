#!/usr/bin/env bash
# Training iterations per second of every distillation method (and the teacher), one after another in one run so
# their ratios share the machine's state. Each method trains ITERS iterations (batch 32, 32² crops) in a temporary
# folder; the rate is the one log.jsonl reports over the last LOG iterations (steady state, setup excluded).
# Usage: tools/distill-speed.sh TEACHER DATA [ITERS=40] [LOG=20]    (prints a Markdown table)
set -euo pipefail
teacher=$1 data=$2 iters=${3:-40} log=${4:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
dotnet build -c Release "$root/src/ConsistencyModels.Tool" > /dev/null
cm() { dotnet "$root/src/ConsistencyModels.Tool/bin/Release/net10.0/cm.dll" "$@"; }
tmp=$(mktemp -d /tmp/distill-speed.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
common=(--iters "$iters" --log-every "$log" --checkpoint-every 100000 --sample-every 0)
echo "| method | it/s | ms per iteration |"
echo "|---|---:|---:|"
row() {
  local name=$1; shift
  "$@" > "$tmp/$name.out" 2>&1 || { echo "| $name | failed: $(tail -1 "$tmp/$name.out") | |"; return; }
  tail -1 "$tmp/$name/log.jsonl" | python3 -c "import json,sys; r=json.load(sys.stdin)['it_per_s']; print(f'| $name | {r:.2f} | {1000/r:.0f} |')"
}
row teacher cm train-teacher --data "$data" --config small --crop 32 --out "$tmp/teacher" "${common[@]}"
for m in cd direct-cd progressive; do
  row $m cm distill --method $m --teacher "$teacher" --data "$data" --out "$tmp/$m" "${common[@]}"
done
row rectified cm distill --method rectified --teacher "$teacher" --pairs 64 --out "$tmp/rectified" "${common[@]}"
row ict cm distill --method ict --config small --crop 32 --data "$data" --out "$tmp/ict" "${common[@]}"
row ct cm distill --method ct --config small --crop 32 --data "$data" --out "$tmp/ct" "${common[@]}"
