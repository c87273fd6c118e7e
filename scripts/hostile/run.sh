#!/usr/bin/env bash
# Reruns the reliability audit's hostile inputs and faults (issue #11; the table is
# ../shared/design/reviews/reliability.md) against the built CLI, with fixtures made here in a temp
# dir from ../shared/data. Each check states the exit code and message it expects and whether the
# store may change; the verdicts are counted as in the audit. Last line:
#   hostile: ok=N silent=0 unclear=0 crash=0 data_loss=0 leak=0
# Needs: npm run build (ts/dist + addon), cargo (Parquet fixtures), python3, sqlite3 (stdlib).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DATA=${TRADELAB_SHARED_DATA:-$ROOT/../shared/data}
W=$(mktemp -d "${TMPDIR:-/tmp}/tradelab-hostile-XXXXXX")
trap 'for p in $(jobs -p); do kill "$p" 2>/dev/null; done; rm -rf "$W"' EXIT
CLI="$ROOT/ts/dist/cli.js"
T="node $CLI"
export NO_COLOR=1 TRADELAB_RETRY_MIN_MS=1 TRADELAB_REGISTRY="$W/reg/default.sqlite"
export APCA_API_KEY_ID=LEAKCHECK123 APCA_API_SECRET_KEY=LEAKSECRET456
cd "$W" || exit 2
mkdir -p logs reg out
declare -A N=([ok]=0 [silent]=0 [unclear]=0 [crash]=0 [data_loss]=0 [leak]=0 [temp_leak]=0)
VERBOSE=${HOSTILE_VERBOSE:-0}

h() { if [ -e "$1" ]; then find "$1" -type f -exec sha256sum {} + 2>/dev/null | sort | sha256sum | cut -c1-16; else echo none; fi; }
verdict() { # ID VERDICT DETAIL
  N[$2]=$((N[$2] + 1))
  if [ "$2" != ok ] || [ "$VERBOSE" = 1 ]; then printf '%-6s %-9s %s\n' "$1" "$2" "$3"; fi
}
# t ID RC REGEX STORE MODE -- command...
#   RC: expected exit code; REGEX: must match stdout+stderr (extended regex, '' = any);
#   STORE: path hashed before/after ('-' = none); MODE: same | changed | any.
t() {
  local id=$1 want=$2 re=$3 store=$4 mode=$5; shift 6
  local b a rc out err
  b=$(h "$store")
  timeout "${TO:-120}" bash -c "$*" >"logs/$id.out" 2>"logs/$id.err"
  rc=$?
  a=$(h "$store")
  out="logs/$id.out"; err="logs/$id.err"
  if grep -qa -e LEAKCHECK123 -e LEAKSECRET456 "$out" "$err"; then verdict "$id" leak "$*"; return; fi
  if [ $rc -ge 124 ] || grep -qaE 'node:internal|Unhandled .error|stack backtrace|panicked at|^ +at .*\.js:[0-9]+' "$err"; then
    verdict "$id" crash "rc=$rc $(head -c 300 "$err" | tr '\n' ' ')"; return
  fi
  if [ "$want" = 1 ] && [ $rc = 0 ]; then verdict "$id" silent "accepted: $*"; return; fi
  if [ "$rc" != "$want" ]; then verdict "$id" unclear "rc=$rc want $want: $(head -c 300 "$err" | tr '\n' ' ')"; return; fi
  if [ "$mode" = same ] && [ "$b" != "$a" ]; then verdict "$id" data_loss "store changed: $*"; return; fi
  if [ "$mode" = changed ] && [ "$b" = "$a" ]; then verdict "$id" silent "store not changed: $*"; return; fi
  if [ -n "$re" ] && ! cat "$out" "$err" | grep -qaE -- "$re"; then verdict "$id" unclear "no /$re/ in: $(head -c 300 "$err" | tr '\n' ' ')"; return; fi
  if [ "$(wc -c <"$err")" -gt 20000 ]; then verdict "$id" unclear "stderr is $(wc -c <"$err") bytes"; return; fi
  verdict "$id" ok ""
}
# c ID CONDITION DESCRIPTION: a custom check (bash condition) counted as ok or the given verdict.
c() { if eval "$2"; then verdict "$1" ok ""; else verdict "$1" "${4:-unclear}" "$3"; fi; }

# ---------------------------------------------------------------- fixtures
python3 "$ROOT/scripts/hostile/make_inputs.py" "$W" >/dev/null || exit 2
(cd "$ROOT" && cargo run -q -p tradelab-data --example hostile_fixtures -- "$W/in") >/dev/null || exit 2
node -e '
const { tableToIPC, tableFromArrays } = require(process.argv[1]);
const n = 10, t0 = Date.parse("2024-12-02T00:00:00Z");
const col = (f) => Float64Array.from({ length: n }, (_, i) => f(100 + i));
const t = tableFromArrays({ ts: Float64Array.from({ length: n }, (_, i) => t0 + i * 3600000), open: col((o) => o), high: col((o) => o + 2), low: col((o) => o - 2), close: col((o) => (o === 105 ? NaN : o + 1)), volume: col((o) => 900 + o) });
require("fs").writeFileSync("in/nan.feather", tableToIPC(t, "file"));
' "$ROOT/node_modules/apache-arrow/Arrow.node.js" || exit 2
BTCF="$DATA/binance_roshan7869_algotrading/spot_1h/BTC_USDT-1h.feather"
ETHF="$DATA/binance_roshan7869_algotrading/spot_1h/ETH_USDT-1h.feather"
$T data import "$DATA/kernc_backtesting_py/SOLUSDT.csv" in/new_bars.csv --symbol SOL/USDT --interval 1h --store s1 >/dev/null || exit 2
$T data import "$BTCF" --symbol BTC/USDT --interval 1h --store s2 >/dev/null || exit 2
I="$T data import"
S1="--symbol SOL/USDT --interval 1h --store s1"

# ---------------------------------------------------------------- A. CSV import
t 1 1 'nan.csv: row 4 \(line 5\): field `close`: value NaN' s1 same -- $I in/nan.csv $S1
t 2 1 'row 5 \(line 6\): field `high`: value inf' s1 same -- $I in/inf.csv $S1
t 3 1 'row 6 \(line 7\): field `open`: price -5 is not positive' s1 same -- $I in/negprice.csv $S1
t 4 1 'row 3 \(line 4\): field `high`' s1 same -- $I in/high_lt_low.csv $S1
t 5 1 'row 7 \(line 8\): field `high`' s1 same -- $I in/open_gt_high.csv $S1
t 6 1 'row 6 \(line 7\): field `ts`: duplicate timestamp' s1 same -- $I in/dup.csv $S1
t 7 1 'row 5 \(line 6\): field `ts`: timestamps not sorted' s1 same -- $I in/unsorted.csv $S1
t 8 1 'row 8 \(line 9\): field `volume`: volume -10 is negative' s1 same -- $I in/negvol.csv $S1
t 9 1 'row 4 \(line 5\): field `close`: price 0' s1 same -- $I in/zero_close.csv $S1
t 10 0 '10 unchanged' s1 same -- $I in/mixed_epochs.csv $S1
t 11a 0 '10 unchanged' s1 same -- $I in/iso_z.csv $S1
t 11b 0 '10 unchanged' s1 same -- $I in/iso_noz.csv $S1
t 12 1 'iso_plus5.csv: 5 bar\(s\) differ' s1 same -- $I in/iso_plus5.csv $S1
t 13 1 'empty.csv: file is empty' s1 same -- $I in/empty.csv $S1
t 14 1 'header_only.csv: no bars in file' s1 same -- $I in/header_only.csv $S1
t 15 0 '10 unchanged' s1 same -- $I in/bom.csv $S1
t 16 0 '10 unchanged' s1 same -- $I in/crlf.csv $S1
cp -a s1 s1semi
t 17 0 '10 added' s1semi changed -- $I in/semicolon.csv --symbol SOL/USDT --interval 1h --store s1semi
t 18 0 '10 unchanged' s1 same -- $I in/extra_col.csv $S1
t 19 1 'missing_vol.csv: header has no `volume` column' s1 same -- $I in/missing_vol.csv $S1
t 20 1 'header has no `low` column' s1 same -- $I in/missing_low.csv $S1
t 21 1 'row 6 \(line 7\): field `low`: missing value' s1 same -- $I in/ragged.csv $S1
t 22 1 'row 5 \(line 6\): field `low`: missing value' s1 same -- $I in/empty_field.csv $S1
t 23 1 "row 3 \\(line 4\\): field \`open\`: cannot parse 'abc'" s1 same -- $I in/text_price.csv $S1
t 24 1 "field \`ts\`: cannot parse timestamp '2024-13-45 99:00:00'" s1 same -- $I in/bad_date.csv $S1
t 25 1 "field \`ts\`: cannot parse timestamp '9999999999999999999'" s1 same -- $I in/huge_epoch.csv $S1
t 26 1 'header has no timestamp column' s1 same -- $I in/no_ts_col.csv $S1
t 27 1 'dup_header.csv: header names column `close` twice \(columns 5 and 7\)' s1 same -- $I in/dup_header.csv $S1
t 28 0 '10 unchanged' s1 same -- $I in/quoted.csv $S1
t 29 1 'neg_epoch.csv: row 1 \(line 2\): field `ts`: .*negative epoch' s1 same -- $I in/neg_epoch.csv $S1
(printf 'timestamp,open,high,low,close,volume\n'; head -c 52428800 /dev/zero | tr '\0' 1; echo) > in/bigline.csv
t 30 1 'bigline.csv: row 1 \(line 2\): field `ts`: cannot parse timestamp' s1 same -- $I in/bigline.csv $S1
c 30s '[ "$(wc -c < logs/30.err)" -lt 2000 ]' "the 50 MB field is echoed ($(wc -c < logs/30.err) bytes)"
(printf 'timestamp,open,high,low,close,volume\n2024-12-02T00:00:00Z,'; head -c 52428800 /dev/zero | tr '\0' 9; echo ',1,1,1,1') > in/bigfield.csv
t 31 1 'bigfield.csv: row 1 \(line 2\): field `open`' s1 same -- $I in/bigfield.csv $S1
head -c 200000 /dev/urandom > in/garbage.csv
t 32 1 'garbage.csv: unreadable CSV' s1 same -- $I in/garbage.csv $S1
gzip -c in/iso_z.csv > in/gz.csv
t 33 1 'gz.csv: unreadable CSV' s1 same -- $I in/gz.csv $S1
t 34 1 'row 2 \(line 3\): field `ts`: .*not aligned to the 1h interval' st_five_min same -- $I in/five_min.csv --symbol SOL/USDT --interval 1h --store st_five_min
t 35 1 'row 1 \(line 2\): field `ts`: .*not aligned' s1 same -- $I in/misaligned.csv $S1
t 36a 1 'file name says 1h but --interval is 5m.*--force' s4 same -- $I "$DATA/binance_imsatoshi_genetrader/BTC_USDT-1h.feather" --symbol BTC/USDT --interval 5m --store s4
t 36b 1 'bar spacing contradicts --interval 5m.*pass --interval 1h' s4 same -- $I "$DATA/binance_imsatoshi_genetrader/BTC_USDT-1h.feather" --symbol BTC/USDT --interval 5m --store s4 --force
t 37 1 'ts_hugegap.parquet: row 4: field `ts`: timestamp 5138-.*supported range' s_hg same -- $I in/ts_hugegap.parquet --symbol X/USDT --interval 1h --store s_hg
# 38: bars before 1973-03-03 survive read-back (was: rewritten as year 2969, doubled on re-import)
t 38a 0 '10 added' s72 changed -- $I in/y1971.csv --symbol OLD/USDT --interval 1h --store s72
t 38b 0 '10 unchanged' s72 same -- $I in/y1971.csv --symbol OLD/USDT --interval 1h --store s72
t 38c 0 '10 added.*; 20 stored' s72 changed -- $I in/new_bars.csv --symbol OLD/USDT --interval 1h --store s72
$T data info --symbol OLD/USDT --store s72 --json > logs/38i.out 2>&1
c 38d 'grep -q "\"firstIso\": \"1971-01-01T00:00:00Z\"" logs/38i.out && grep -q "\"rows\": 20" logs/38i.out' "1971 bars moved: $(grep -o '"firstIso": "[^"]*"' logs/38i.out)" data_loss
t 38e 0 '0 bad' - any -- $T data check --store s72

# ---------------------------------------------------------------- B. Feather / Parquet / store files
S2="--symbol BTC/USDT --interval 1h --store s2"
head -c 1085953 "$BTCF" > in/BTC_USDT-1h-trunc.feather
t 39 1 'trunc.feather: not an Arrow IPC/Feather v2 file' s2 same -- $I in/BTC_USDT-1h-trunc.feather $S2
: > in/zero.feather; : > in/zero.parquet; head -c 100000 /dev/urandom > in/garbage.feather
t 40 1 'zero.feather: not an Arrow IPC' s2 same -- $I in/zero.feather $S2
t 41 1 'zero.parquet: not a readable Parquet file' s2 same -- $I in/zero.parquet $S2
t 42 1 'garbage.feather: not an Arrow IPC' s2 same -- $I in/garbage.feather $S2
for codec in snappy gzip lz4 zstd; do
  t "43$codec" 0 '10 added' "s_$codec" changed -- $I "in/codec_$codec.parquet" --symbol BTC/USDT --interval 1h --store "s_$codec"
done
t 44 1 "str_prices_zstd.parquet: field \`open\`: column holds Utf8 values \\(row 1: '100'\\), not numbers" s2 same -- $I in/str_prices_zstd.parquet $S2
t 45 1 "str_garbage_zstd.parquet: field \`open\`: column holds Utf8 values \\(row 1: 'x'\\)" s2 same -- $I in/str_garbage_zstd.parquet $S2
t 46 1 'null_price_zstd.parquet: row 4: field `open`: missing value' s2 same -- $I in/null_price_zstd.parquet $S2
t 47 1 'nan.feather: row 6: field `close`: value NaN' s2 same -- $I in/nan.feather $S2
t 48 1 'file name says ETH/USDT but --symbol is BTC/USDT' s2 same -- $I "$ETHF" $S2
t 49 1 'file name says ETH/USDT but --symbol is BTC/USDT' s3 same -- $I "$ETHF" --symbol BTC/USDT --interval 1h --store s3
t 50 1 'file name says 1h but --interval is 4h' s3 same -- $I "$ETHF" --interval 4h --store s3
cp -a s1 s1c
awk -F, 'NR==2+500{$6=$6+1} {print}' OFS=, "$DATA/kernc_backtesting_py/SOLUSDT.csv" > in/overlap_diff.csv
t 51 1 'overlap_diff.csv: 1 bar\(s\) differ.*Nothing was written.*--on-conflict' s1c same -- $I in/overlap_diff.csv --symbol SOL/USDT --interval 1h --store s1c
t 52a 0 'unchanged|conflicting kept' s1c same -- $I in/overlap_diff.csv --symbol SOL/USDT --interval 1h --store s1c --on-conflict keep
t 52b 0 '1 replaced' s1c changed -- $I in/overlap_diff.csv --symbol SOL/USDT --interval 1h --store s1c --on-conflict replace
t 52c 0 '0 bad' - any -- $T data check --store s1c
cp -a s2 s5; truncate -s 1195751 s5/BTC_USDT/1h/bars.parquet
t 53a 1 'BAD: .*bars.parquet: not a readable Parquet file' s5 same -- $T data check --store s5
t 53b 1 'bars.parquet: not a readable Parquet file' s5 same -- $I in/iso_z.csv --symbol BTC/USDT --interval 1h --store s5 --on-conflict replace
mkdir -p s10/ETH_USDT/1h && cp in/foreign_bars.parquet s10/ETH_USDT/1h/bars.parquet
t 55 1 'BAD: .*bars.parquet: not a tradelab store file: column `ts` is Utf8' s10 same -- $T data check --store s10
cp -a s1 s10n && cp in/nan_bars.parquet s10n/SOL_USDT/1h/bars.parquet
t 54 1 'BAD: .*bars.parquet: row 11: field `close`: value NaN' s10n same -- $T data check --store s10n
echo hello > storefile
t 56 1 'storefile/SOL_USDT/1h: Not a directory' storefile same -- $I in/iso_z.csv $S1 --store storefile
t 57a 1 'storefile: store path is not a directory' - any -- $T data check --store storefile
t 57b 1 'nonexist: store directory does not exist' - any -- $T data check --store nonexist
t 57c 1 'nonexist: store directory does not exist' - any -- $T data list --store nonexist
cp -a s1 s6
if chattr +i s6/SOL_USDT/1h 2>/dev/null; then
  t 58 1 'Operation not permitted' s6 same -- $I in/semicolon.csv $S1 --store s6
  chattr -i s6/SOL_USDT/1h; chattr +i s6/SOL_USDT/1h/bars.parquet
  t 59 1 'bars.parquet: Operation not permitted' s6 same -- $I in/semicolon.csv $S1 --store s6
  chattr -i s6/SOL_USDT/1h/bars.parquet; chattr +i s6
  t 60 1 'Operation not permitted' s6 same -- $I in/semicolon.csv --symbol ETH/USDT --interval 1h --store s6
  chattr -i s6
else echo "58-60  skipped  (chattr +i is not supported on $(df --output=fstype . | tail -1))"; fi
cp -a s1 s7; ln -s SOL_USDT s7/ETH_USDT
t 61 1 'refusing to write through symlink' s7 same -- $I in/semicolon.csv --symbol ETH/USDT --interval 1h --store s7
cp -a s1 smulti
t 62 1 'nan.csv: row 4 \(line 5\): field `close`' smulti same -- $I in/semicolon.csv in/nan.csv --symbol SOL/USDT --interval 1h --store smulti
# 63: 8 imports of different bars into one dataset at once; every bar must be present.
cp -a s2 srace; before=$($T data info --symbol BTC/USDT --store srace --json | grep -o '"rows": [0-9]*' | grep -o '[0-9]*')
for k in 0 1 2 3 4 5 6 7; do $I "in/t$k.csv" --symbol BTC/USDT --interval 1h --store srace > "logs/63_$k.out" 2>&1 & done; wait
after=$($T data info --symbol BTC/USDT --store srace --json | grep -o '"rows": [0-9]*' | grep -o '[0-9]*')
c 63 '[ "$after" = $((before + 80)) ]' "8 parallel imports: $before -> $after rows (want $((before + 80)))" data_loss

# ---------------------------------------------------------------- C. symbols and intervals
k=0
for sym in '../../etc' 'BTC/USDT/EXTRA' 'BTC/' '/USDT' 'ÄÖ€/USDT' 'BTC USDT' '$(id)' 'a\b' "$(printf 'a\x01b')" '.' '..' 'BTC_USDT' 'BTC/USDT/USDT' "$(printf 'A%.0s' {1..300})"; do
  k=$((k + 1)); t "64-70_$k" 1 "invalid symbol" s8 same -- $I in/iso_z.csv --symbol "'$sym'" --interval 1h --store s8
done
c 68s '[ "$(wc -c < "logs/64-70_$k.err")" -lt 400 ]' "the 300-character symbol is repeated whole"
t 69b 0 '10 added' s9 changed -- $I in/iso_z.csv --symbol BTC/USDT --interval 1h --store s9
t 70b 0 '10 added' s9 changed -- $I in/iso_z.csv --symbol BTC/USDT:USDT --interval 1h --store s9
t 71a 1 "argument '7m' is invalid" - any -- $I in/iso_z.csv --symbol SOL/USDT --interval 7m --store s8
t 71b 1 "argument '1H' is invalid" - any -- $I in/iso_z.csv --symbol SOL/USDT --interval 1H --store s8
t 72 1 'SOL_USDT-7m.csv: cannot guess the interval' s8 same -- $I in/SOL_USDT-7m.csv --store s8
t 73 1 "invalid symbol '../../etc'" - any -- $T data info --symbol ../../etc --interval 1h --store s8

# ---------------------------------------------------------------- D. backtest
B="$T backtest --symbol BTC/USDT --store s2 --no-record"
t 74 1 "unknown strategy 'nope'" - any -- $B --strategy nope
t 75 1 'need 1 <= fast < slow' - any -- $B --fast 26 --slow 12
t 76 1 'makerFee' - any -- $B --maker-fee -0.01
t 77 1 "--lag: '-1' is not a whole number" - any -- $B --lag -1
t 78 1 "--lag: '1.5' is not a whole number" - any -- $B --lag 1.5
t 79 1 'decisionLag.*below the number of bars' - any -- $B --lag 1e9
t 80 1 'no BTC/USDT 1h bars in the requested window' - any -- $B --from 2024-06-01 --to 2024-01-01
t 81 1 'no BTC/USDT 1h bars in the requested window' - any -- $B --from 2030-01-01 --to 2030-02-01
t 82a 1 "--fast: 'abc'" - any -- $B --fast abc
t 82b 1 "notadate" - any -- $B --from notadate
for a in "--cash -100" "--buffer -5 --fill cross" "--max-hold 0" "--intensity -1" "--slack 5" "--offset -1"; do t 83 1 'invalid|must|not a whole' - any -- $B $a; done
t 84a 1 '--buy-frac: 2 is not a fraction in \[0, 1\]' - any -- $B --strategy band --buy-frac 2
t 84b 1 '--buy-frac: 1e300 is not a fraction' - any -- $B --strategy band --buy-frac 1e300
t 85 1 'no bars stored for BTC/USDT 4h' - any -- $B --interval 4h

# ---------------------------------------------------------------- E. sweep
S="$T sweep --store s2 --no-record --top 2 --config"
t 86 1 '10000000 parameter sets .* exceeds the limit of 2000000' - any -- $S cfg/huge.json
t 87 1 '1000000000000 parameter sets .* exceeds the limit of 2000000' - any -- $S cfg/huge1e12.json
t 88 1 'malformed.json: .*JSON' - any -- $S cfg/malformed.json
t 89a 1 'empty.json: ' - any -- $S cfg/empty.json
t 89b 1 'array.json: needs "symbol" and "strategy"' - any -- $S cfg/array.json
t 90 1 'typo_from.json: unknown key\(s\) "form", "too"' - any -- $S cfg/typo_from.json
t 91 1 'unknown field `bogusAxis`' - any -- $S cfg/unknown_axis.json
t 92 1 'grid axis `fast` is empty' - any -- $S cfg/empty_axis.json
t 93 1 'every strategy combination is invalid' - any -- $S cfg/fast_ge_slow.json
t 94 0 'skipped [0-9]+ invalid combination' - any -- $S cfg/partial_invalid.json
t 95 1 'invalid parameter `makerFee` = -1' - any -- $S cfg/neg_fee.json
t 96a 1 'expected a sequence' - any -- $S cfg/axis_not_array.json
t 96b 1 'unknown variant `nope`' - any -- $S cfg/unknown_kind.json
t 97 1 'decisionLag.*below the number of bars' - any -- $S cfg/huge_lag.json
t 98a 1 'no bars stored for NOPE/USDT' - any -- $S cfg/no_symbol.json
t 98b 1 'no BTC/USDT 1h bars in the requested window' - any -- $S cfg/no_bars.json

# ---------------------------------------------------------------- F. actions files
A="$T backtest --symbol SOL/USDT --store s1 --no-record --strategy"
t 99 1 'act_missing_ts.csv: row 2: timestamp 2030-01-01T00:00:00Z .* is outside the bars' - any -- $A in/act_missing_ts.csv
t 100 1 'act_gap_ts.csv: row 2: timestamp 2024-11-15T00:00:00Z .* matches no bar' - any -- $A in/act_gap_ts.csv
t 101 1 'act_misaligned.csv: row 1: timestamp .* matches no bar' - any -- $A in/act_misaligned.csv
t 102 0 '' - any -- $A in/act_seconds.csv --json
c 102t '! grep -q "\"tradeCount\": 0," logs/102.out' "epoch-second rows gave 0 trades"
t 103a 1 'act1_bfneg.csv: row 1 \(line 2\): field `buy_frac`: -1 is not a fraction' - any -- $A in/act1_bfneg.csv
t 103b 1 'act1_bf5.csv: row 1 \(line 2\): field `buy_frac`: 5 is not a fraction' - any -- $A in/act1_bf5.csv
t 103c 1 'act1_bpneg.csv: row 1 \(line 2\): field `buy_price`: -5 is not a positive price' - any -- $A in/act1_bpneg.csv
t 104 1 "act_nan.csv: row 6 \\(line 7\\): field \`buy_price\`: cannot parse 'NaN'" - any -- $A in/act_nan.csv
t 105a 1 'act_dup.csv: row 2: duplicate timestamp' - any -- $A in/act_dup.csv
t 105b 1 'act_unsorted.csv: row 2: timestamps not sorted' - any -- $A in/act_unsorted.csv
t 105c 1 'act_empty.csv: no action rows' - any -- $A in/act_empty.csv
t 105d 1 'act_bad.json: invalid JSON' - any -- $A in/act_bad.json

# ---------------------------------------------------------------- G. features and forecasts
cp -a s1 s1f
t 106a 1 '`returnWindows` contains 0' s1f same -- $T features build --symbol SOL/USDT --store s1f --spec cfg/spec_zero.json
t 106b 1 'spec' s1f same -- $T features build --symbol SOL/USDT --store s1f --spec cfg/spec_neg.json
t 106c 1 'window >= 2' s1f same -- $T features build --symbol SOL/USDT --store s1f --spec cfg/spec_vol1.json
t 106d 1 'unknown field `bogus`' s1f same -- $T features build --symbol SOL/USDT --store s1f --spec cfg/spec_unknown.json
t 107 0 '' - any -- $T features build --symbol SOL/USDT --store s1f --spec cfg/spec_huge.json --out out/huge.parquet
t 108 1 "--horizons: '4294967296' is too large" s1f same -- $T forecast build --symbols SOL/USDT --store s1f --horizons 4294967296
t 109 1 "--horizons: '4294967297' is too large" s1f same -- $T forecast build --symbols SOL/USDT --store s1f --horizons 4294967297
t 110 1 '--quantiles: 0.1,0.9 lacks 0.5' s1f same -- $T forecast build --symbols SOL/USDT --store s1f --horizons 1 --quantiles 0.1,0.9
t 111a 1 'quantiles must be increasing' s1f same -- $T forecast build --symbols SOL/USDT --store s1f --horizons 1 --quantiles 0.9,0.5,0.1
t 111b 1 "--horizons: '0' is not a whole number >= 1" s1f same -- $T forecast build --symbols SOL/USDT --store s1f --horizons 0
t 111c 1 "unknown forecaster .nope." s1f same -- $T forecast build --symbols SOL/USDT --store s1f --model nope

# ---------------------------------------------------------------- H. run registry
R="$T backtest --symbol SOL/USDT --store s1 --registry"
head -c 100000 /dev/urandom > reg/garbage.sqlite
t 112 1 'garbage.sqlite: file is not a database' reg/garbage.sqlite same -- $R reg/garbage.sqlite
$R reg/half.sqlite >/dev/null 2>&1; for i in 1 2 3; do $R reg/half.sqlite >/dev/null 2>&1; done
cp reg/half.sqlite reg/trunc.sqlite
dd if=/dev/urandom of=reg/half.sqlite bs=1 seek=4096 count=20000 conv=notrunc status=none
t 113 1 'half.sqlite: (database disk image is malformed|file is not a database)' - any -- $T runs list --registry reg/half.sqlite
truncate -s 6000 reg/trunc.sqlite
t 114 1 'trunc.sqlite: database disk image is malformed' - any -- $T runs list --registry reg/trunc.sqlite
t 115 1 'run registry .*reg: unable to open database file' - any -- $R reg
sqlite3 reg/wrongschema.sqlite 'create table runs(x); insert into runs values (1);'
t 116 1 'wrongschema.sqlite: not a tradelab run registry' reg/wrongschema.sqlite same -- $R reg/wrongschema.sqlite
c 116s '! grep -q "CREATE TABLE" logs/116.err' "the foreign DDL is dumped"
$R reg/badrow.sqlite >/dev/null 2>&1; sqlite3 reg/badrow.sqlite "update runs set symbols='not json'"
t 117 1 'column `symbols` holds invalid JSON' - any -- $T runs list --registry reg/badrow.sqlite
for i in 1 2 3 4; do $T backtest --symbol BTC/USDT --store s2 --fast $((i + 2)) --slow 50 --registry reg/conc.sqlite > "logs/118_$i.out" 2>&1 & done; wait
c 118 '[ "$(sqlite3 reg/conc.sqlite "select count(*) from runs")" = 4 ] && [ "$(sqlite3 reg/conc.sqlite "pragma integrity_check")" = ok ]' "4 concurrent recordings"
for i in 1 2 3 4 5 6 7 8; do $T backtest --symbol SOL/USDT --store s1 --fast $((i + 2)) --slow 50 --registry reg/conc8.sqlite > "logs/119_$i.out" 2>&1 & done; wait
c 119 '[ "$(sqlite3 reg/conc8.sqlite "select count(*) from runs")" = 8 ]' "8 concurrent recordings"
t 120a 1 "run id prefix 'r-' is ambiguous" - any -- $T runs show r- --registry reg/conc8.sqlite
t 120b 1 "no run matches" - any -- $T runs show "\"%' OR 1=1 --\"" --registry reg/conc8.sqlite

# ---------------------------------------------------------------- I. download, fake exchange, secrets
DL="$T data download --retries 1"
t 121 1 'network error after 2 attempts.*127.0.0.1:9' sdl0 same -- $DL --symbols BTC/USDT --since 2025-01-01 --until 2025-01-03 --base-url http://127.0.0.1:9 --store sdl0
start_fx() { # ARGS...: starts scripts/fake-exchange.mjs on a free port, sets FX (url) and FXP (pid)
  node "$ROOT/scripts/fake-exchange.mjs" --port 0 --data "$DATA" "$@" > logs/fx.out 2>&1 &
  FXP=$!
  for _ in $(seq 100); do FX=$(grep -o 'http://127.0.0.1:[0-9]*' logs/fx.out | head -1); [ -n "$FX" ] && return 0; sleep 0.1; done
  return 1
}
start_fx --max-limit 100
$DL --symbols BTC/USDT --since 2018-01-01 --until 2019-06-01 --base-url "$FX" --store sdl1 > logs/122.out 2> logs/122.err & D=$!
sleep 3; kill "$FXP"; wait "$D"; rc122=$?
stored122=$($T data info --symbol BTC/USDT --store sdl1 --json 2>/dev/null | grep -o '"rows": [0-9]*' | grep -o '[0-9]*')
c 122 '[ $rc122 = 1 ] && grep -qa "network error" logs/122.err && ! grep -qaE "node:internal|Unhandled" logs/122.err' "kill mid-download: rc=$rc122 $(head -c 200 logs/122.err)"
start_fx
t 123 0 "$([ -n "$stored122" ] && echo 'resumed after the last stored bar')" sdl1 changed -- $DL --symbols BTC/USDT --since 2018-01-01 --until 2019-06-01 --base-url "$FX" --store sdl1
t 123r 0 '' sdl1r changed -- $DL --symbols BTC/USDT --since 2018-01-01 --until 2019-06-01 --base-url "$FX" --store sdl1r
c 123c '[ "$($T data info --symbol BTC/USDT --store sdl1 --json | grep -o "\"rows\": [0-9]*")" = "$($T data info --symbol BTC/USDT --store sdl1r --json | grep -o "\"rows\": [0-9]*")" ]' "resumed download differs from a fresh one"
t 124a 1 '--since 2030-01-01T00:00:00Z is in the future' sdl3 same -- $DL --base-url "$FX" --symbols BTC/USDT --since 2030-01-01 --store sdl3
t 124b 1 'is in the future' sdl1 same -- $DL --base-url "$FX" --symbols BTC/USDT --since 2030-01-01 --store sdl1
t 125 1 '--since 2025-06-01T00:00:00Z is not before --until 2025-01-01T00:00:00Z' sdl4 same -- $DL --base-url "$FX" --symbols BTC/USDT --since 2025-06-01 --until 2025-01-01 --store sdl4
t 126a 1 "cannot read --since 'yesterdayish'" - any -- $DL --base-url "$FX" --symbols BTC/USDT --since yesterdayish --store sdl5
t 126b 1 'Invalid URL|URL' - any -- $DL --base-url "'htp:/x y'" --symbols BTC/USDT --since 2025-01-01 --until 2025-01-02 --store sdl5
t 126c 1 'binance lists no market FOO/BAR' - any -- $DL --base-url "$FX" --symbols FOO/BAR --since 2025-01-01 --until 2025-01-02 --store sdl5
cp -a s1 smix
t 127 1 'would mix sources.*--mix-sources' smix same -- $DL --base-url "$FX" --symbols SOL/USDT --since 2024-11-01 --until 2024-11-03 --store smix
for iv in 3m 2h; do
  t "128$iv" 1 "may not serve $iv bars" "ssec$iv" same -- $DL --exchange alpaca --base-url "$FX" --symbols BTC/USD --interval $iv --since 2025-02-01 --until 2025-02-03 --store "ssec$iv" --json
done
t 129a 1 'alpaca lists no market FOO/USD' - any -- $DL --exchange alpaca --base-url "$FX" --symbols FOO/USD --since 2025-02-01 --until 2025-02-03 --store ssec4 --json
t 129b 1 'network error' - any -- $DL --exchange alpaca --base-url http://127.0.0.1:9 --symbols BTC/USD --since 2025-02-01 --until 2025-02-03 --store ssec4
t 129c 0 '' ssec6 changed -- $DL --exchange alpaca --base-url "$FX" --symbols BTC/USD --since 2025-02-01 --until 2025-02-03 --store ssec6
c 129s '! grep -rqa LEAK ssec4 ssec6 reg 2>/dev/null' "a secret reached the store or a registry" leak
kill "$FXP" 2>/dev/null; wait "$FXP" 2>/dev/null
cat > echo-server.mjs <<'JS'
import http from "node:http";
const status = Number(process.argv[2]);
const s = http.createServer((req, res) => { res.writeHead(status, { "content-type": "application/json" }); res.end(JSON.stringify({ message: "echo", url: req.url, headers: req.headers })); });
s.listen(0, "127.0.0.1", () => console.log("listening http://127.0.0.1:" + s.address().port));
JS
for st in 400 401 403 500; do
  node echo-server.mjs $st > logs/echo.out 2>&1 & EP=$!
  for _ in $(seq 100); do EU=$(grep -o 'http://127.0.0.1:[0-9]*' logs/echo.out | head -1); [ -n "$EU" ] && break; sleep 0.1; done
  t "130_$st" 1 "$st.*REDACTED" ssec5 same -- $DL --exchange alpaca --base-url "$EU" --retries 0 --symbols BTC/USD --since 2025-02-01 --until 2025-02-03 --store ssec5
  t "130_${st}j" 1 "REDACTED" ssec5 same -- $DL --exchange alpaca --base-url "$EU" --retries 0 --symbols BTC/USD --since 2025-02-01 --until 2025-02-03 --store ssec5 --json
  kill $EP; wait $EP 2>/dev/null
done

# ---------------------------------------------------------------- J. signals and output pipes
tmps() { find "$@" -name '.*.tmp-*' 2>/dev/null | wc -l; }
$T sweep --config cfg/grid_sigint.json --store s2 --out out/res.parquet --no-record > logs/131.out 2>&1 & P=$!
sleep 3; kill -INT $P 2>/dev/null; wait $P; rc131=$?
c 131 '{ [ $rc131 = 130 ] || [ $rc131 = 0 ]; } && [ "$(tmps out reg)" = 0 ]' "SIGINT during sweep: rc=$rc131, $(tmps out) temp file(s)" temp_leak
for d in 0.7 1.5; do
  cp -a s2 "sbig$d" 2>/dev/null
  $T features build --symbol BTC/USDT --store "sbig$d" --forecast-model ewma-vol --out "out/f$d.parquet" > "logs/132_$d.out" 2>&1 & P=$!
  sleep "$d"; kill -INT $P 2>/dev/null; wait $P
  c "132_$d" '[ "$(tmps "sbig$d" out)" = 0 ]' "SIGINT at ${d}s during features build leaves $(tmps "sbig$d" out) temp file(s)" temp_leak
done
for d in 0.3 0.7; do
  $I "$BTCF" --symbol BTC/USDT --interval 1h --store "sbig2_$d" > /dev/null 2>&1 & P=$!
  sleep "$d"; kill -INT $P 2>/dev/null; wait $P
  c "133_$d" '[ "$(tmps "sbig2_$d")" = 0 ]' "SIGINT at ${d}s during import leaves $(tmps "sbig2_$d") temp file(s)" temp_leak
done
# SIGKILL cannot be caught: the next write to the dataset removes what the dead process left.
cp -a s1 skill; : > "skill/SOL_USDT/1h/.bars.parquet.tmp-4194304-1"
$I in/semicolon.csv $S1 --store skill > /dev/null 2>&1
c 133k '[ "$(tmps skill)" = 0 ]' "a dead process's temp file survives the next write" temp_leak
rm -rf sep
bash -c "$T data import in/iso_z.csv --symbol BTC/USDT --interval 1h --store sep | head -1 > /dev/null; echo \${PIPESTATUS[0]} > logs/134.rc" 2> logs/134.err
c 134 '! grep -qaE "EPIPE|Unhandled|node:events" logs/134.err && [ "$(cat logs/134.rc)" = 0 ]' "stdout closed early: rc=$(cat logs/134.rc) $(head -c 200 logs/134.err)" crash

[ "${N[temp_leak]}" -gt 0 ] && echo "temp-leak=${N[temp_leak]}"
echo "hostile: ok=${N[ok]} silent=${N[silent]} unclear=${N[unclear]} crash=${N[crash]} data_loss=${N[data_loss]} leak=${N[leak]}"
