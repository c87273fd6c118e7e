#!/usr/bin/env bash
# The same study workload (TRIALS walk-forward trials of an EMA cross on the bundled SOL/USDT
# sample, random sampler, fixed seed) on 1 and then 2 BullMQ workers on 127.0.0.1; prints the
# wall times and `workers=2 speedup=X` last. Uses $TRADELAB_REDIS_URL, else starts a
# redis-server on a free port for the run.
# MODE=sweep: instead, one kernel sweep (EMA cross, 5,760 parameter sets on SOL/USDT 1h) cut
# into CHUNKS (default 200) jobs, each worker on one rayon thread, so a worker is one core.
set -euo pipefail
cd "$(dirname "$0")/../../.."
TRIALS="${TRIALS:-200}"
MODE="${MODE:-study}"
CHUNKS="${CHUNKS:-200}"
WORK="$(mktemp -d)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
if [ -z "${TRADELAB_REDIS_URL:-}" ]; then
  PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
  redis-server --bind 127.0.0.1 --port "$PORT" --save '' --appendonly no --dir "$WORK" --daemonize yes --pidfile "$WORK/redis.pid"
  for _ in $(seq 50); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  PIDS+=("$(cat "$WORK/redis.pid")")
  TRADELAB_REDIS_URL="redis://127.0.0.1:$PORT"
fi
cp -r data/store "$WORK/store"
cat > "$WORK/sweep.json" <<JSON
{ "symbol": "SOL/USDT", "interval": "1h", "store": "$WORK/store",
  "base": { "decisionLag": 1, "makerFee": 0.001, "takerFee": 0.001 },
  "strategy": { "kind": "emaCross", "fast": 12, "slow": 26 },
  "grid": { "fast": [$(seq -s, 2 1 49)],
            "slow": [$(seq -s, 50 10 340)],
            "fillBuffer": [0, 0.0005, 0.001, 0.0015], "makerFee": [0.0005, 0.001] } }
JSON
run_sweep() { # $1: workers
  local n="$1" wp=()
  for i in $(seq "$n"); do
    RAYON_NUM_THREADS=1 node ts/dist/cli.js worker --redis "$TRADELAB_REDIS_URL" --concurrency 1 > "$WORK/sweep-w$n-worker$i.log" 2>&1 &
    wp+=("$!"); PIDS+=("$!")
  done
  for i in $(seq "$n"); do until grep -q ready "$WORK/sweep-w$n-worker$i.log" 2>/dev/null; do sleep 0.1; done; done
  local t0 t1
  t0="$(date +%s.%N)"
  # A distinct chunk count per run: the job ids differ, so nothing is reused from the other run.
  node ts/dist/cli.js sweep --config "$WORK/sweep.json" --redis "$TRADELAB_REDIS_URL" --chunks "$((CHUNKS + n - 1))" --no-record --json > "$WORK/sweep-w$n.out"
  t1="$(date +%s.%N)"
  for p in "${wp[@]}"; do kill -TERM "$p"; wait "$p" 2>/dev/null || true; done
  python3 -c "print(f'{$t1 - $t0:.2f}')"
}
if [ "$MODE" = sweep ]; then
  T1="$(run_sweep 1)"
  echo "workers=1 chunks=$CHUNKS seconds=$T1 (1 rayon thread per worker)"
  T2="$(run_sweep 2)"
  echo "workers=2 chunks=$((CHUNKS + 1)) seconds=$T2"
  python3 - "$WORK/sweep-w1.out" "$WORK/sweep-w2.out" <<'PY'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
assert a["rows"] == b["rows"] and a["best"] == b["best"], "the two runs disagree"
print(f"rows={len(a['rows'])} identical in both runs")
PY
  python3 -c "print(f'workers=2 speedup={$T1 / $T2:.2f}')"
  exit 0
fi
run() { # $1: workers
  local n="$1" name="bench-w$1"
  sed "s#\"../data/store\"#\"$WORK/store\"#; s#\"ema-sol-wf\"#\"$name\"#; s#\"nTrials\": 40#\"nTrials\": $TRIALS#; s#\"kind\": \"tpe\"#\"kind\": \"random\"#" \
    examples/study-walk-forward-sol.json > "$WORK/$name.json"
  local wp=()
  for i in $(seq "$n"); do
    node ts/dist/cli.js worker --redis "$TRADELAB_REDIS_URL" --concurrency 1 > "$WORK/$name-worker$i.log" 2>&1 &
    wp+=("$!"); PIDS+=("$!")
  done
  for i in $(seq "$n"); do until grep -q ready "$WORK/$name-worker$i.log" 2>/dev/null; do sleep 0.1; done; done
  local t0 t1
  t0="$(date +%s.%N)"
  node ts/dist/cli.js study run --config "$WORK/$name.json" --registry "$WORK/runs.sqlite" --redis "$TRADELAB_REDIS_URL" --concurrency $((2 * n)) --no-progress > "$WORK/$name.out"
  t1="$(date +%s.%N)"
  for p in "${wp[@]}"; do kill -TERM "$p"; wait "$p" 2>/dev/null || true; done
  python3 -c "print(f'{$t1 - $t0:.2f}')"
}
T1="$(run 1)"
echo "workers=1 trials=$TRIALS seconds=$T1"
T2="$(run 2)"
echo "workers=2 trials=$TRIALS seconds=$T2"
python3 -c "print(f'workers=2 speedup={$T1 / $T2:.2f}')"
