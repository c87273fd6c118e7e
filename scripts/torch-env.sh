# Sourced: points tch-rs (crates/train) at the pip torch installed by scripts/setup-libtorch.sh.
export VIRTUAL_ENV="${TRADELAB_TORCH_VENV:-$HOME/.cache/tradelab/torch-venv}"
export PATH="$VIRTUAL_ENV/bin:$PATH"
export LIBTORCH_USE_PYTORCH=1
