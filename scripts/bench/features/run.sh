#!/usr/bin/env bash
# Full standard feature set for the 14 Binance spot 1h datasets (2018-2025) from shared data:
# tradelab-features (one thread) vs pandas rolling/ewm and polars expressions on the same features,
# in one run. Prints the times, both ratios (polars at 1 thread, the same count as tradelab, and on
# all cores) and per-feature agreement.
set -euo pipefail
cd "$(dirname "$0")/../../.."
source scripts/bench/common.sh
PY_MODULES=(pandas pyarrow numpy polars)
ensure_venv pandas pyarrow numpy polars

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
echo "== polars (same features, expressions), 1 thread and all cores"
POLARS_MAX_THREADS=1 "$BENCH_VENV/bin/python" scripts/bench/features/polars_features.py "$WORK/polars-1.json" "${FILES[@]}"
POLARS_MAX_THREADS="$(nproc)" "$BENCH_VENV/bin/python" scripts/bench/features/polars_features.py "$WORK/polars-n.json" "${FILES[@]}"
"$BENCH_VENV/bin/python" scripts/bench/features/report.py "$WORK/tradelab.json" "$WORK/pandas.json" "$WORK/polars-1.json" "$WORK/polars-n.json"
