#!/usr/bin/env bash
# EMA-crossover grid (1,000 fast/slow pairs) on BTC/USDT 1h 2018-2025: tradelab vs vectorbt on
# identical signals, fills (next bar's open), fees and sizing, in one run. Prints both wall times,
# the ratio, the final-equity agreement, and the lockstep kernel's bar-evaluations/s/core.
set -euo pipefail
cd "$(dirname "$0")/../../.."
source scripts/bench/common.sh
PY_MODULES=(vectorbt pyarrow numpy pandas)
ensure_venv vectorbt pyarrow

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
FEATHER="$SHARED_DATA/binance_roshan7869_algotrading/spot_1h/BTC_USDT-1h.feather"
node ts/dist/cli.js data import "$FEATHER" --symbol BTC/USDT --interval 1h --store "$WORK/store" --json > /dev/null

echo "== tradelab sweep (lockstep kernel, all cores)"
node scripts/bench/sweep/tradelab.mjs "$WORK/store" "$WORK/tradelab.json"
echo "== vectorbt Portfolio.from_signals (same grid)"
"$BENCH_VENV/bin/python" scripts/bench/sweep/vectorbt_sweep.py "$FEATHER" "$WORK/tradelab.json" "$WORK/vectorbt.json"
echo "== lockstep kernel, limit-order band strategy (1 core)"
cargo run -q --release -p tradelab-sim --example kernel_speed | tee "$WORK/kernel.txt"
node scripts/bench/sweep/report.mjs "$WORK/tradelab.json" "$WORK/vectorbt.json" "$WORK/kernel.txt"
