#!/usr/bin/env bash
# The npm package as a user gets it: build and pack the platform package (npm/linux-x64-gnu: the
# N-API addon and the tradelab-train trainer) and the main package, install both tarballs into a
# fresh temp project with cargo and rustc off PATH, and run the CLI from there:
#   npx tradelab --version / doctor / backtest (bundled sample) / demo (needs the torch venv)
# and the library and testkit imports; also builds the API docs (docs/api). Last line: package-smoke=PASS.
#
# Expects a built checkout (npm install ran `prepare`: addon, TS, trainer). Env:
#   TRADELAB_SMOKE_KEEP=1  keep the temp folder;  TRADELAB_TRAIN_BIN  trainer to ship (default: cargo's).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
T0=$SECONDS
say() { echo "package-smoke: $* ($((SECONDS - T0)) s)"; }

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tradelab/target}"
TRIPLE_DIR="npm/linux-x64-gnu"
NODE_FILE="bindings/node/tradelab.linux-x64-gnu.node"
TRAIN_BIN="${TRADELAB_TRAIN_BIN:-$CARGO_TARGET_DIR/release/tradelab-train}"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/tradelab-smoke-XXXXXX")"
if [ "${TRADELAB_SMOKE_KEEP:-}" != 1 ]; then trap 'rm -rf "$WORK"' EXIT; fi

# 1. Build: the addon when it is missing or TRADELAB_SMOKE_BUILD=1 (CI's npm install has just built
#    it; a rebuild re-links the addon, minutes on 2 cores), and the TypeScript.
if [ ! -f "$NODE_FILE" ] || [ "${TRADELAB_SMOKE_BUILD:-}" = 1 ]; then
  npm run -s build:native >"$WORK/build-native.log" 2>&1 || { cat "$WORK/build-native.log"; exit 1; }
fi
rm -rf ts/dist # a clean build: no stale modules of moved sources in the tarball
npm run -s build:ts
[ -f "$NODE_FILE" ] || { echo "package-smoke: $NODE_FILE missing after build:native" >&2; exit 1; }
[ -x "$TRAIN_BIN" ] || { echo "package-smoke: trainer $TRAIN_BIN missing (npm run build:train)" >&2; exit 1; }
# The API docs (TypeDoc, from the TS types of the exports) into docs/api: they must build.
npx typedoc --logLevel Warn >"$WORK/typedoc.log" 2>&1 || { cat "$WORK/typedoc.log"; exit 1; }
grep -q "openStore" docs/api/functions/index.openStore.html || { echo "package-smoke: docs/api lacks openStore" >&2; exit 1; }
grep -q "runStudy" docs/api/functions/index.runStudy.html || { echo "package-smoke: docs/api lacks runStudy" >&2; exit 1; }
say "built (addon, TS, docs/api)"

# 2. The platform package, laid out by @napi-rs/cli (npm/<triple>; `napi artifacts` copies the
#    .node in), plus the trainer. Packed from a copy so the checkout's npm/ keeps only package.json.
STAGE="$WORK/stage"
mkdir -p "$STAGE/artifacts"
cp -r npm "$STAGE/npm"
cp "$NODE_FILE" "$STAGE/artifacts/"
cp package.json "$STAGE/package.json"
(cd "$STAGE" && "$ROOT/node_modules/.bin/napi" artifacts --package-json-path package.json --output-dir artifacts --npm-dir npm >/dev/null 2>&1)
cp -p "$TRAIN_BIN" "$STAGE/$TRIPLE_DIR/tradelab-train"
# The build machine's absolute RUNPATH (its venv) comes out: the shipped trainer finds libtorch only
# through the loader wrapper (ts/src/train/torch-venv.ts puts <venv>/.../torch/lib on
# LD_LIBRARY_PATH), wherever the user's venv is. The demo below proves that path.
command -v patchelf >/dev/null || { echo "package-smoke: needs patchelf (apt-get install patchelf)" >&2; exit 1; }
patchelf --remove-rpath "$STAGE/$TRIPLE_DIR/tradelab-train"
strip "$STAGE/$TRIPLE_DIR/tradelab-train" 2>/dev/null || true
(cd "$STAGE/$TRIPLE_DIR" && npm pack --silent --pack-destination "$WORK" >/dev/null)
# 3. The main package (scripts off: it was built above; `prepare` would rebuild the trainer).
npm pack --silent --ignore-scripts --pack-destination "$WORK" >/dev/null
PLATFORM_TGZ="$(ls "$WORK"/tradelab-linux-x64-gnu-*.tgz)"
MAIN_TGZ="$(ls "$WORK"/tradelab-[0-9]*.tgz)"
say "packed $(basename "$PLATFORM_TGZ") ($(du -h "$PLATFORM_TGZ" | cut -f1)), $(basename "$MAIN_TGZ") ($(du -h "$MAIN_TGZ" | cut -f1))"

# The main tarball: the whitelist only (no tests, no TS sources, no .node, no Rust).
tar tzf "$MAIN_TGZ" >"$WORK/main-files.txt"
if grep -E '\.test\.|/ts/src/|/ts/test/|\.node$|\.rs$|Cargo\.toml|/testing/|\.map$' "$WORK/main-files.txt"; then
  echo "package-smoke: the main tarball ships files outside its whitelist (above)" >&2
  exit 1
fi
for f in package/ts/dist/cli.js package/ts/dist/index.d.ts package/ts/dist/testkit/index.js package/bindings/node/index.cjs package/data/store/SOL_USDT/1h/bars.parquet package/LICENSE package/README.md; do
  grep -qx "$f" "$WORK/main-files.txt" || { echo "package-smoke: $f missing from the main tarball" >&2; exit 1; }
done
tar tzf "$PLATFORM_TGZ" >"$WORK/platform-files.txt"
grep -qx package/tradelab-train "$WORK/platform-files.txt" || { echo "package-smoke: tradelab-train missing from the platform tarball" >&2; exit 1; }

# 4. A fresh project, cargo and rustc off PATH.
APP="$WORK/app"
mkdir -p "$APP"
NO_RUST_PATH=""
IFS=: read -ra dirs <<<"$PATH"
for d in "${dirs[@]}"; do
  [ -n "$d" ] || continue
  if [ -e "$d/cargo" ] || [ -e "$d/rustc" ]; then continue; fi
  NO_RUST_PATH="${NO_RUST_PATH:+$NO_RUST_PATH:}$d"
done
cd "$APP"
run() { env -u CARGO_TARGET_DIR -u TRADELAB_TRAIN_BIN -u RUSTUP_TOOLCHAIN PATH="$NO_RUST_PATH" CI="${CI:-}" "$@"; }
run bash -c '! command -v cargo && ! command -v rustc' >/dev/null || { echo "package-smoke: cargo/rustc still on PATH" >&2; exit 1; }
run npm init -y >/dev/null
# The user's project is a git repo of its own: tradelab must not record its commit as tradelab's.
git init -q . && git -c user.email=smoke@localhost -c user.name=smoke commit -q --allow-empty -m "user project"
run npm install --no-audit --no-fund --prefer-offline "$PLATFORM_TGZ" "$MAIN_TGZ" >"$WORK/install.log" 2>&1 || { cat "$WORK/install.log"; exit 1; }
say "installed into $APP"
[ ! -e node_modules/tradelab/bindings/node/tradelab.linux-x64-gnu.node ] || { echo "package-smoke: a local .node was installed" >&2; exit 1; }

run npx tradelab --version | tee "$WORK/version.txt"
grep -qx "$(node -p "require('$ROOT/package.json').version")" "$WORK/version.txt"
run npx tradelab doctor | tee "$WORK/doctor.txt"
grep -q "^ok    addon     tradelab [0-9.]*+unknown · platform package .*node_modules/tradelab-linux-x64-gnu" "$WORK/doctor.txt"
grep -q "^ok    trainer .*node_modules/tradelab-linux-x64-gnu/tradelab-train" "$WORK/doctor.txt"
SAMPLE="$APP/node_modules/tradelab/data/store"
run npx tradelab backtest --store "$SAMPLE" --symbol SOL/USDT --interval 1h --strategy ema-cross --fast 12 --slow 26 --no-record | tee "$WORK/backtest.txt"
grep -q "lag 1" "$WORK/backtest.txt"
# The library and the testkit export, as an ESM user imports them.
cat >check.mjs <<EOF
import { openStore, backtest } from "tradelab";
import { startFakeExchange } from "tradelab/testkit";
const info = await openStore("$SAMPLE").info("SOL/USDT", "1h");
const r = await backtest({ store: "$SAMPLE", symbol: "SOL/USDT", interval: "1h", strategy: { kind: "emaCross", fast: 12, slow: 26 } });
if (!(r.metrics.tradeCount > 0)) throw new Error("library backtest made no trades");
if (!info) throw new Error("openStore(...).info found no SOL/USDT 1h in the bundled sample");
if (typeof startFakeExchange !== "function") throw new Error("tradelab/testkit has no startFakeExchange");
console.log("library: backtest " + r.metrics.tradeCount + " trades; testkit ok");
EOF
run node check.mjs
say "CLI and library ok"
# Without torch: everything but train/demo works, and those say what to run.
if run env TRADELAB_TORCH_VENV="$WORK/no-venv" npx tradelab demo --out "$APP/demo-no-torch" >"$WORK/no-torch.txt" 2>&1; then
  echo "package-smoke: demo without torch did not fail" >&2; exit 1
fi
grep -q "npx tradelab setup train" "$WORK/no-torch.txt" || { cat "$WORK/no-torch.txt"; echo "package-smoke: demo without torch does not say what to run" >&2; exit 1; }
run env TRADELAB_TORCH_VENV="$WORK/no-venv" npx tradelab doctor >"$WORK/doctor-no-torch.txt"
grep -q "^warn  torch .*npx tradelab setup train" "$WORK/doctor-no-torch.txt"
# `setup train` reuses the venv that is there (never re-downloads it).
run npx tradelab setup train 2>&1 | tee "$WORK/setup.txt"
grep -q "already in" "$WORK/setup.txt"
run npx tradelab demo --out "$APP/demo" --registry "$APP/runs.sqlite" --epochs 1 --steps 4 | tail -n 20 | tee "$WORK/demo.txt"
[ -f "$APP/demo/report.html" ] || { echo "package-smoke: demo wrote no report.html" >&2; exit 1; }
say "demo ok"
echo "package-smoke=PASS"
