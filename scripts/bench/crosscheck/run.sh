#!/usr/bin/env bash
# Cross-check against backtesting.py on kernc's SOLUSDT.csv with an SMA cross, fill assumptions set
# equal (decided at bar t's close, filled at bar t+1's open, all cash, same commission): the trades
# and the final equity must agree (equity within 1e-9 relative). Exits 1 on disagreement.
set -euo pipefail
cd "$(dirname "$0")/../../.."
source scripts/bench/common.sh
PY_MODULES=(backtesting pandas numpy)
ensure_venv backtesting pandas

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
CSV="$SHARED_DATA/kernc_backtesting_py/SOLUSDT.csv"
FAST="${FAST:-10}"; SLOW="${SLOW:-30}"; FEE="${FEE:-0.001}"
node ts/dist/cli.js data import "$CSV" --symbol SOL/USDT --interval 1h --store "$WORK/store" --json > /dev/null
# slack 0.5 turns the crossover's limit orders into "fill at the next open" (better-on-gap).
node ts/dist/cli.js backtest --symbol SOL/USDT --interval 1h --store "$WORK/store" --strategy sma-cross \
  --fast "$FAST" --slow "$SLOW" --slack 0.5 --maker-fee "$FEE" --cash 10000 --trades --json > "$WORK/tradelab.json"
"$BENCH_VENV/bin/python" scripts/bench/crosscheck/backtesting_py.py "$CSV" "$WORK/tradelab.json" "$FAST" "$SLOW" "$FEE"
