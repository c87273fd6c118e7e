#!/usr/bin/env bash
# Multi-asset selector (seed §7): 14 Binance spot symbols x 2018-2025 hourly, one shared cash
# balance in the best-edge trade each bar. `tradelab select` (a band rule strategy, ewma-vol p50
# forecasts, edge high_low, 1 slot, lag 1, cross 5 bps, fees 0.1 %, max hold 24 bars) against a
# pandas/numpy implementation of the same rules in a Python loop, on the same bars and the
# forecasts tradelab cached. Prints both times, the ratio and the equity-curve agreement; the last
# line is `selector_vs_pandas=<ratio> max_rel_diff=<x>`.
# --sweep: also time a 100-row selector sweep (minEdge x riskWeight) and print its rows/s.
set -euo pipefail
cd "$(dirname "$0")/../../.."
source scripts/bench/common.sh
PY_MODULES=(pandas pyarrow numpy)
ensure_venv pandas pyarrow numpy

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
FILES=("$SHARED_DATA"/binance_roshan7869_algotrading/spot_1h/*_USDT-1h.feather)
SYMS=()
for f in "${FILES[@]}"; do
  s="$(basename "$f" | sed 's/_USDT-1h.feather//')/USDT"
  SYMS+=("\"$s\"")
  node ts/dist/cli.js data import "$f" --symbol "$s" --interval 1h --store "$WORK/store" --json > /dev/null
done
cat > "$WORK/select.json" <<EOF
{
  "symbols": [$(IFS=,; echo "${SYMS[*]}")],
  "interval": "1h",
  "store": "$WORK/store",
  "params": { "decisionLag": 1, "fillRule": { "kind": "cross", "buffer": 0.0005 },
              "makerFee": 0.001, "takerFee": 0.001, "maxHoldBars": 24, "startingCash": 10000 },
  "actions": { "kind": "band", "buyOffset": 0.02, "sellOffset": 0.02, "buyFrac": 1, "sellFrac": 1 },
  "forecast": { "model": "ewma-vol", "horizon": 1 },
  "edge": { "mode": "high_low", "riskWeight": 0.5, "minEdge": 0.002 },
  "maxPositions": 1,
  "cooldownBars": 0
}
EOF

run_select() { # $1: config, $2: output JSON; prints the wall seconds
  local t0 dt
  t0=$(date +%s%N)
  node ts/dist/cli.js select --config "$1" --json --no-record > "$2"
  dt=$(($(date +%s%N) - t0))
  printf '%d.%09d\n' $((dt / 1000000000)) $((dt % 1000000000))
}
echo "== tradelab select: warm-up run (builds the forecast cache), then the timed run"
run_select "$WORK/select.json" "$WORK/warm.json" > /dev/null
WALL=$(run_select "$WORK/select.json" "$WORK/run.json")

if [ "${1:-}" = "--sweep" ]; then
  echo "== tradelab select sweep: 100 rows (minEdge x riskWeight), worker threads"
  "$BENCH_VENV/bin/python" - "$WORK" <<'EOF'
import json, sys
w = sys.argv[1]
c = json.load(open(f"{w}/select.json"))
c["grid"] = {"minEdge": [0.001, 0.002, 0.003, 0.004, 0.005, 0.006, 0.008, 0.01, 0.015, 0.02],
             "riskWeight": [0, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 5]}
json.dump(c, open(f"{w}/sweep.json", "w"))
EOF
  if node ts/dist/cli.js select --config "$WORK/sweep.json" --json --no-record > "$WORK/sweep-out.json"; then
    node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      console.log(`${r.rows.length} rows in ${r.seconds.toFixed(2)} s on ${r.threads} worker threads: ${r.rowsPerSecond.toFixed(2)} rows/s`)' "$WORK/sweep-out.json"
  else
    echo "selector sweep failed (see above)"
  fi
fi

echo "== pandas/numpy, the same rules in a Python loop (and the equity-curve check)"
"$BENCH_VENV/bin/python" scripts/bench/selector/pandas_selector.py "$WORK/select.json" "$WORK/store" \
  "$WORK/warm.json" "$WORK/run.json" "$WALL" "${FILES[@]}"
