#!/usr/bin/env bash
# Installs the libtorch that crates/train links (tch 0.24 = libtorch 2.11.0) as pip's torch==2.11.0
# in a venv kept outside the clone. A no-op when the venv already holds torch 2.11.0: it never
# re-downloads (~4.6 GB with the CUDA wheels, ~70 s on a fast link).
set -euo pipefail
VENV="${TRADELAB_TORCH_VENV:-$HOME/.cache/tradelab/torch-venv}"
WANT="2.11.0"

have_version() {
  [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import torch;print(torch.__version__)' 2>/dev/null || true
}

v="$(have_version)"
if [[ "$v" == "$WANT"* ]]; then
  echo "setup-libtorch: torch $v already in $VENV (nothing to do)"
  exit 0
fi
if [ ! -x "$VENV/bin/python" ]; then
  echo "setup-libtorch: creating venv $VENV"
  mkdir -p "$(dirname "$VENV")"
  python3 -m venv "$VENV"
else
  echo "setup-libtorch: $VENV has torch '${v:-none}', want $WANT; installing"
fi
"$VENV/bin/pip" install -q --upgrade pip
"$VENV/bin/pip" install -q "torch==$WANT"
echo "setup-libtorch: installed torch $(have_version) in $VENV"
