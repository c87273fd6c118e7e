#!/usr/bin/env bash
# Rebuilds data/store from the MIT-licensed GeneTrader feather files in ../shared/data.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC="${TRADELAB_SHARED_DATA:-../shared/data}/binance_imsatoshi_genetrader"
rm -rf data/store
for pair in BTC_USDT ETH_USDT LINK_USDT SOL_USDT; do
  node ts/dist/cli.js data import "$SRC/$pair-1h.feather" --store data/store --source "genetrader:$pair-1h.feather"
done
