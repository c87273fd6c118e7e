#!/usr/bin/env bash
# Paper = backtest, end to end through the CLI (issue #15): the loopback fake exchange serves the
# shared BTC/USDT 1h bars; `tradelab paper` replays FROM..TO on it (clock "replay": the loop moves
# the exchange's clock bar by bar, ccxt over HTTP to 127.0.0.1); `tradelab backtest` runs the
# same strategy and parameters on the same bars from a store. Both print the SHA-256 of their
# trade list; the last line is `parity=PASS trades=N` (or parity=FAIL ...).
# Needs: npm run build. Options (env): FROM, TO, FAST, SLOW.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${TRADELAB_SHARED_DATA:-$ROOT/../shared/data}
FROM=${FROM:-2025-01-01}
TO=${TO:-2025-01-15}
FAST=${FAST:-12}
SLOW=${SLOW:-26}
W=$(mktemp -d "${TMPDIR:-/tmp}/tradelab-paper-parity-XXXXXX")
trap 'for p in $(jobs -p); do kill "$p" 2>/dev/null || true; done; rm -rf "$W"' EXIT
T="node $ROOT/ts/dist/cli.js"
export NO_COLOR=1 TRADELAB_REGISTRY="$W/runs.sqlite"

FROM_MS=$(node -e "console.log(Date.parse('${FROM}T00:00:00Z'))")
PORT=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
node "$ROOT/scripts/fake-exchange.mjs" --port "$PORT" --data "$DATA" --now "$((FROM_MS + 3600000))" > "$W/fake.log" 2>&1 &
for _ in $(seq 100); do grep -q listening "$W/fake.log" && break; sleep 0.1; done

$T data import "$DATA/binance_roshan7869_algotrading/spot_1h/BTC_USDT-1h.feather" --symbol BTC/USDT --interval 1h --store "$W/store" > /dev/null
$T backtest --symbol BTC/USDT --interval 1h --strategy ema-cross --fast "$FAST" --slow "$SLOW" --cash 10000 \
  --from "$FROM" --to "$TO" --store "$W/store" --no-record --json > "$W/backtest.json"

cat > "$W/paper.json" <<JSON
{ "runId": "parity", "exchange": "binance", "baseUrl": "http://127.0.0.1:$PORT", "symbol": "BTC/USDT", "interval": "1h",
  "from": "$FROM", "until": "$TO", "strategy": { "kind": "emaCross", "fast": $FAST, "slow": $SLOW },
  "params": { "startingCash": 10000 }, "delayMs": 0, "clock": "replay", "journal": "$W/journal.sqlite" }
JSON
start=$(date +%s.%N)
$T paper --config "$W/paper.json" --json > "$W/paper.json.out"
end=$(date +%s.%N)

node - "$W/backtest.json" "$W/paper.json.out" "$start" "$end" <<'JS'
const fs = require("fs");
const [bf, pf, s, e] = process.argv.slice(2);
const b = JSON.parse(fs.readFileSync(bf, "utf8"));
const p = JSON.parse(fs.readFileSync(pf, "utf8"));
const bars = p.status.stepped;
console.log(`backtest: ${b.trades} trades, sha256 ${b.tradeSha256}, final cash ${b.finalCash}`);
console.log(`paper:    ${p.trades} trades, sha256 ${p.tradeSha256}, final cash ${p.status.cash}, ${bars} bars in ${(e - s).toFixed(2)} s wall (${((e - s) * 1000 / bars).toFixed(1)} ms/bar incl. CLI start and HTTP), step+journal+decide mean ${p.latencyMs.mean.toFixed(2)} ms p95 ${p.latencyMs.p95.toFixed(2)} ms`);
const ok = b.tradeSha256 === p.tradeSha256 && b.finalCash === p.status.cash && b.trades === p.trades;
console.log(`parity=${ok ? "PASS" : "FAIL"} trades=${p.trades}`);
process.exit(ok ? 0 : 1);
JS
