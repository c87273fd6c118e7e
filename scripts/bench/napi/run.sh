#!/usr/bin/env bash
# N-API overhead: the share of a backtest and of a sweep spent crossing N-API (request and
# report conversion, copies, the async task), for 1 year and 8 years of hourly BTC/USDT. Each
# request runs in-process in Rust (crates/backtest/examples/napi_baseline.rs) and from Node
# through the addon and through the typed library, best of REPS each; share = (node - rust) / node.
# The backtest also states its own use-case seconds, so its in-process share (1 - engine / wall
# of the same call) is free of cross-process noise. Target < 5 %. Last line:
# napi_overhead_max=<share> (the backtests' in-process shares and the sweeps' shares).
set -euo pipefail
cd "$(dirname "$0")/../../.."
source scripts/bench/common.sh
REPS="${REPS:-7}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
FEATHER="$SHARED_DATA/binance_roshan7869_algotrading/spot_1h/BTC_USDT-1h.feather"
node ts/dist/cli.js data import "$FEATHER" --symbol BTC/USDT --interval 1h --store "$WORK/store" --json > /dev/null
cargo build -q --release -p tradelab-backtest --example napi_baseline
BASE="${CARGO_TARGET_DIR:-target}/release/examples/napi_baseline"

# 1 year: 2025; 8 years: 2018-01-01 .. 2026-01-01. Band strategy (a trade every few bars, so the
# report carries thousands of trades); a 100-row band grid for the sweep.
Y2025=1735689600000; Y2018=1514764800000; Y2026=1767225600000
STRAT='{"kind":"band","buyOffset":0.004,"sellOffset":0.006,"buyFrac":1,"sellFrac":1}'
PARAMS='{"decisionLag":1,"makerFee":0.001,"takerFee":0.001}'
SPEC='{"base":'"$PARAMS"',"strategy":'"$STRAT"',"grid":{"buyOffset":[0.001,0.002,0.003,0.004,0.005,0.006,0.007,0.008,0.009,0.01],"sellOffset":[0.001,0.002,0.003,0.004,0.005,0.006,0.007,0.008,0.009,0.01]}}'
for span in "1y $Y2025" "8y $Y2018"; do
  set -- $span
  W='{"store":"'"$WORK/store"'","interval":"1h","from":'"$2"',"to":'"$Y2026"'}'
  BT='{"store":"'"$WORK/store"'","interval":"1h","from":'"$2"',"to":'"$Y2026"',"symbol":"BTC/USDT","strategy":'"$STRAT"',"params":'"$PARAMS"'}'
  "$BASE" "$BT" "$W" BTC/USDT "$SPEC" "$REPS" > "$WORK/rust-$1.json"
  node scripts/bench/napi/bench.mjs "$BT" "$W" BTC/USDT "$SPEC" "$REPS" > "$WORK/node-$1.json"
done
node scripts/bench/napi/report.mjs "$WORK" "$REPS" 1y 8y
