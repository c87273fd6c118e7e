#!/usr/bin/env bash
# Seed 002's 1h / 5m campaign on shared data (binance_imsatoshi_genetrader, SOL/USDT 2024-01-01 ..
# 09-07, both intervals): two TPE studies at once (one core each) choose an EMA crossover on the
# train split, then each best trial is scored once on the 45-day validation split, and a walk-forward
# (each fold chooses on its in-sample 60 days, scored on the next 20, everything before test)
# gives a re-selecting out-of-sample figure. Usage: scripts/campaign-1h-5m.sh [WORKDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench/common.sh
WORK="${1:-$(mktemp -d)}"
REG="$WORK/runs.sqlite"
CLI="node ts/dist/cli.js"
SRC="$SHARED_DATA/binance_imsatoshi_genetrader"
for iv in 1h 5m; do
  $CLI data import "$SRC/SOL_USDT-$iv.feather" --symbol SOL/USDT --interval "$iv" --store "$WORK/store" --on-conflict replace --json > /dev/null
done
echo "== two studies at once (40 TPE trials each, train split, Sortino)"
start=$(date +%s.%N)
for iv in 1h 5m; do
  $CLI study run --config "examples/campaign/study-sol-$iv.json" --store "$WORK/store" --registry "$REG" --concurrency 1 --no-progress --json > "$WORK/study-$iv.json" &
done
wait
echo "studies: $(echo "$(date +%s.%N) - $start" | bc) s wall"
for iv in 1h 5m; do
  read -r fast slow train < <(node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); const b = r.summary.best; console.log(b.params.fast, b.params.slow, b.value)' "$WORK/study-$iv.json")
  $CLI backtest --symbol SOL/USDT --interval "$iv" --store "$WORK/store" --strategy ema-cross --fast "$fast" --slow "$slow" --split val --val-days 45 --test-days 20 --registry "$REG" --json > "$WORK/val-$iv.json"
  $CLI walk-forward --config "examples/campaign/wf-sol-$iv.json" --store "$WORK/store" --registry "$REG" --json > "$WORK/wf-$iv.json"
  node -e '
    const fs = require("fs");
    const [iv, fast, slow, train, valF, wfF] = process.argv.slice(1);
    const v = JSON.parse(fs.readFileSync(valF, "utf8")), w = JSON.parse(fs.readFileSync(wfF, "utf8"));
    const pct = (x) => (100 * x).toFixed(2) + " %";
    console.log(`${iv}: best trial fast ${fast} slow ${slow}: train Sortino ${Number(train).toFixed(2)} (selection window, best of 40); val ${v.window.first ? new Date(v.window.first).toISOString().slice(0, 10) : ""}..: Sortino ${v.metrics.sortino.toFixed(2)}, return ${pct(v.metrics.totalReturn)}, ${v.metrics.tradeCount} trades; walk-forward (${w.folds.length} folds, re-selecting per fold among ${Object.values(JSON.parse(fs.readFileSync("examples/campaign/wf-sol-" + iv + ".json", "utf8")).grid).reduce((a, g) => a * g.length, 1)}): OOS Sortino ${w.oos.sortino.toFixed(2)}, return ${pct(w.oos.totalReturn)}, ${w.oosTrades} trades · ${v.assumptions.text}`);
  ' "$iv" "$fast" "$slow" "$train" "$WORK/val-$iv.json" "$WORK/wf-$iv.json"
done
