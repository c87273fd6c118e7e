# Shared by the benchmark scripts: a Python venv kept outside the clone (reused when present).
BENCH_VENV="${TRADELAB_BENCH_VENV:-$HOME/.cache/tradelab/vbt-venv}"
SHARED_DATA="${TRADELAB_SHARED_DATA:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)/shared/data}"

ensure_venv() {
  # $@: pip packages the benchmark needs.
  if [ ! -x "$BENCH_VENV/bin/python" ]; then
    python3 -m venv "$BENCH_VENV"
    "$BENCH_VENV/bin/pip" install -q --upgrade pip
  fi
  if ! "$BENCH_VENV/bin/python" -c "import $(printf '%s,' "${PY_MODULES[@]}" | sed 's/,$//')" 2>/dev/null; then
    "$BENCH_VENV/bin/pip" install -q "$@"
  fi
}
