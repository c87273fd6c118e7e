#!/usr/bin/env bash
# Portfolio engine: 14 symbols x 2018-2025 hourly, shared cash, stepped bar by bar, against the
# same work as 14 single-asset runs; ratio to the seed's pandas shared-cash simulator (~4,000
# bar-rows/s, seed-system §7) on the last line.
set -euo pipefail
cd "$(dirname "$0")/../../.."
DATA="${TRADELAB_SHARED_DATA:-../shared/data}"
cargo run --release -q -p tradelab-sim --example portfolio_speed -- "$DATA/binance_roshan7869_algotrading/spot_1h"
