#!/usr/bin/env bash
# One nano-policy training step (forward, decode, differentiable simulator over T, Sortino loss,
# backward, grad clip, Muon + AdamW) on a 16x72x32 synthetic batch: tradelab-train (Rust, tch /
# libtorch 2.11) vs the same model and step in PyTorch 2.11 eager, both on CPU with the same
# thread count, in one run. Prints both samples/s and ratio_tradelab_vs_pytorch (> 1 = faster).
# Usage: scripts/bench/train/run.sh [THREADS]   (default 1, the trainer's default)
set -euo pipefail
cd "$(dirname "$0")/../../.."
THREADS="${1:-${THREADS:-1}}"
source scripts/torch-env.sh
BIN="${TRADELAB_TRAIN_BIN:-${CARGO_TARGET_DIR:-$PWD/target}/release/tradelab-train}"
[ -x "$BIN" ] || BIN="$HOME/.cache/tradelab/target/release/tradelab-train"
if [ ! -x "$BIN" ]; then
  echo "tradelab-train not built: run \`npm run build:train\` (or set TRADELAB_TRAIN_BIN)" >&2
  exit 1
fi
SHAPE=(--batch 16 --seq 72 --features 32 --d-model 64 --layers 2 --heads 4 --kv-heads 2 --steps 30 --warmup 5 --threads "$THREADS")

echo "== PyTorch $(python -c 'import torch;print(torch.__version__)') eager, CPU, $THREADS thread(s) (best of 3)"
PY="$(python -W ignore::UserWarning scripts/bench/train/bench.py "${SHAPE[@]}")"
echo "$PY"
echo "== tradelab-train bench --arch nano, CPU, $THREADS thread(s) (best of 3)"
RS=""
for _ in 1 2 3; do
  line="$("$BIN" bench --arch nano "${SHAPE[@]}")"
  echo "$line"
  RS="$RS$line"$'\n'
done
python - "$PY" "$RS" <<'PYEOF'
import json, sys
py = json.loads(sys.argv[1])
rs = max((json.loads(l) for l in sys.argv[2].splitlines() if l.strip()), key=lambda e: e["samplesPerSec"])
if rs["params"] != py["params"]:
    print(f"warning: parameter counts differ (tradelab {rs['params']} vs pytorch {py['params']})")
print(f"params={rs['params']}")
print(f"tradelab_samples_per_sec={rs['samplesPerSec']:.1f}")
print(f"pytorch_samples_per_sec={py['samplesPerSec']:.1f}")
print(f"ratio_tradelab_vs_pytorch={rs['samplesPerSec'] / py['samplesPerSec']:.2f}")
PYEOF
