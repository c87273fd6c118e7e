#!/usr/bin/env bash
# Full standard feature set for the 14 Binance spot 1h datasets (2018-2025) from shared data:
# tradelab-features (one thread) vs pandas rolling/ewm on the same features, in one run. Prints
# both times, the ratio and per-feature agreement.
set -euo pipefail
cd "$(dirname "$0")/../../.."
source scripts/bench/common.sh
PY_MODULES=(pandas pyarrow numpy)
ensure_venv pandas pyarrow numpy

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
FILES=("$SHARED_DATA"/binance_roshan7869_algotrading/spot_1h/*_USDT-1h.feather)
for f in "${FILES[@]}"; do
  s="$(basename "$f" | sed 's/_USDT-1h.feather//')"
  node ts/dist/cli.js data import "$f" --symbol "$s/USDT" --interval 1h --store "$WORK/store" --json > /dev/null
done
echo "== tradelab-features (release, 1 thread)"
cargo run -q --release -p tradelab-features --example features_bench -- "$WORK/store" "$WORK/tradelab.json"
echo "== pandas (same features)"
"$BENCH_VENV/bin/python" scripts/bench/features/pandas_features.py "$WORK/pandas.json" "${FILES[@]}"
"$BENCH_VENV/bin/python" scripts/bench/features/report.py "$WORK/tradelab.json" "$WORK/pandas.json"
